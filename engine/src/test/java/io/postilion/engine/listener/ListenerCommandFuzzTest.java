package io.postilion.engine.listener;

import io.postilion.engine.config.ClientNetworks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the listener's command side (SMTPD-14): command lines, MAIL/RCPT paths and parameters,
 * BDAT sizes and chunks, DATA content, STARTTLS-less sessions, fed to the real handler and
 * session in an EmbeddedChannel, in one piece and split at a fuzzed point. For any bytes: no
 * exception, the same replies and the same accepted messages either way, every reply line
 * well-formed (three digits, then space or dash, no control character), and no control
 * character in any envelope field of an accepted message. Netty's PARANOID leak detector
 * watches the buffers. In a normal build this replays the seeds under
 * {@code ListenerCommandFuzzTestInputs/anyClientBytes}.
 */
class ListenerCommandFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void anyClientBytes(FuzzedDataProvider data) {
        boolean outsider = data.consumeBoolean();
        byte[] input = data.consumeRemainingAsBytes();
        int cut = input.length == 0 ? 0 : Math.floorMod(input[0], input.length + 1);
        Run whole = run(outsider, input, input.length);
        Run split = run(outsider, input, cut);
        assertEquals(whole.replies, split.replies, "the split changed the replies");
        assertEquals(whole.envelopes, split.envelopes, "the split changed what was accepted");
        for (String line : whole.replies) {
            assertTrue(line.matches("[2-5][0-9][0-9][ -][^\\p{Cntrl}]*"), "malformed reply line: " + line);
        }
        for (String e : whole.envelopes) {
            assertFalse(e.chars().anyMatch(c -> c < 0x20 || c == 0x7f), "control character in an envelope: " + e);
        }
    }

    private record Run(List<String> replies, List<String> envelopes) {
    }

    private static Run run(boolean outsider, byte[] input, int cut) {
        SmtpListenerTest.MemorySink sink = new SmtpListenerTest.MemorySink();
        ListenerSettings s = ListenerSettings.defaults(new InetSocketAddress("127.0.0.1", 0), "relay.test")
                .withMynetworks(ClientNetworks.parse(List.of("127.0.0.1/32")))
                .withLimits(64 * 1024, 20, 10);
        s = s.withSessionLimits(s.normal().withErrors(10, 20, Duration.ZERO, 100), s.stress());
        InetAddress client;
        try {
            client = InetAddress.getByName(outsider ? "127.0.0.5" : "127.0.0.1");
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        ServerSession session = new ServerSession(s, sink, client, Clock.systemUTC(), () -> false,
                new ClientLimiter(s.clients(), System::nanoTime), SmtpdLog.to(line -> { }), ListenerMeters.none());
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(new SmtpServerHandler(session, s));
        StringBuilder out = new StringBuilder();
        feed(channel, input, 0, cut, out);
        feed(channel, input, cut, input.length, out);
        channel.finishAndReleaseAll();
        List<String> replies = new ArrayList<>();
        for (String line : out.toString().split("\r\n", -1)) {
            if (!line.isEmpty()) {
                replies.add(line);
            }
        }
        List<String> envelopes = new ArrayList<>();
        for (ReceivedMessage m : sink.messages) {
            StringBuilder e = new StringBuilder(m.sender()).append('|').append(m.envId()).append('|').append(m.client().helo());
            m.recipients().forEach(r -> e.append('|').append(r.address()).append(';').append(r.orcpt()));
            envelopes.add(e.toString());
        }
        return new Run(replies, envelopes);
    }

    private static void feed(EmbeddedChannel channel, byte[] input, int from, int to, StringBuilder out) {
        if (to > from && channel.isOpen()) {
            channel.writeInbound(Unpooled.wrappedBuffer(input, from, to - from));
        }
        for (int i = 0; i < 3; i++) {
            channel.runPendingTasks();
        }
        for (Object o; (o = channel.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
    }
}
