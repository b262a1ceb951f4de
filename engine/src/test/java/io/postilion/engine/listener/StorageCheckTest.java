package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.postilion.engine.config.ClientNetworks;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * queue_minfree at MAIL (Postfix's smtpd_check_queue): a queue without room refuses early with 452
 * 4.3.1, keeps the session, and takes mail again once the room is back.
 */
class StorageCheckTest {

    private static List<String> talk(EmbeddedChannel ch, String lines) {
        ch.writeInbound(Unpooled.copiedBuffer(lines, StandardCharsets.US_ASCII));
        for (int i = 0; i < 3; i++) {
            ch.runPendingTasks();
        }
        List<String> out = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            for (String l : b.toString(StandardCharsets.US_ASCII).split("\r\n")) {
                if (!l.isEmpty()) {
                    out.add(l);
                }
            }
            b.release();
        }
        return out;
    }

    @Test
    void aQueueWithoutRoomRefusesMailWith452AndTakesItAgainLater() throws Exception {
        SmtpListenerTest.MemorySink sink = new SmtpListenerTest.MemorySink();
        ListenerSettings s = ListenerSettings.defaults(new InetSocketAddress("127.0.0.1", 0), "relay.test")
                .withMynetworks(ClientNetworks.parse(List.of("127.0.0.1/32")));
        ServerSession session = new ServerSession(s, sink, InetAddress.getByName("127.0.0.1"), Clock.systemUTC(), () -> false,
                new ClientLimiter(s.clients(), System::nanoTime), SmtpdLog.to(line -> { }), ListenerMeters.none());
        EmbeddedChannel ch = new EmbeddedChannel(new SmtpServerHandler(session, s));
        talk(ch, "EHLO client.test\r\n");
        sink.full = true;
        assertEquals(List.of("452 4.3.1 Insufficient system storage"), talk(ch, "MAIL FROM:<a@client.test> SIZE=1000\r\n"));
        sink.full = false;
        List<String> later = talk(ch, "MAIL FROM:<a@client.test>\r\nRCPT TO:<b@dest.test>\r\nDATA\r\n");
        assertTrue(later.get(0).startsWith("250"), later.toString());
        ch.finishAndReleaseAll();
    }
}
