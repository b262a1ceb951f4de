package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.transport.netty.NettyTransport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;

/**
 * netty_transport (CLARIFICATIONS 42) on the listener: built from main.cf text, as the relay builds
 * it, the listener accepts a message over a plain socket on a transport other than the default,
 * and the session that took it ran on that transport's event loops (the sink is called on the
 * connection's loop, and Netty registers a channel only with a loop of its own kind).
 */
class ListenerTransportTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private SmtpListener listener;

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.close();
        }
    }

    /** Keeps each message and the thread it was handed over on. */
    private static final class ThreadRecordingSink implements MessageSink {
        final List<String> threads = new CopyOnWriteArrayList<>();
        final AtomicInteger ids = new AtomicInteger();

        @Override
        public String newQueueId() {
            return "T" + ids.incrementAndGet();
        }

        @Override
        public boolean hasRoomFor(long declaredSize) {
            return true;
        }

        @Override
        public Mono<Void> accept(ReceivedMessage message) {
            threads.add(Thread.currentThread().getName());
            return Mono.empty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "io_uring"})
    void theListenerAcceptsAMessageOnTheTransportNettyTransportNames(String transport) throws Exception {
        Throwable cause = NettyTransport.byName(transport).orElseThrow().unavailabilityCause();
        Assumptions.assumeTrue(cause == null, () -> transport + " is not available here: " + cause);
        ListenerSettings settings = ListenerConfiguration.settings(ConfigurationLoader.fromText("", "(test)",
                List.of("smtpd_listen=127.0.0.1:0", "myhostname=relay.test", "netty_transport=" + transport)));
        assertEquals(transport, settings.transport().parameterValue());
        ThreadRecordingSink sink = new ThreadRecordingSink();
        listener = SmtpListener.start(settings, sink, Clock.systemUTC()).block(WAIT);

        try (Socket s = new Socket("127.0.0.1", listener.port())) {
            s.setSoTimeout((int) WAIT.toMillis());
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            assertTrue(in.readLine().startsWith("220 "));
            out.write("HELO client.test\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(in.readLine().startsWith("250 "));
            out.write(("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@dest.test>\r\nDATA\r\n").getBytes(StandardCharsets.US_ASCII));
            assertTrue(in.readLine().startsWith("250 "));
            assertTrue(in.readLine().startsWith("250 "));
            assertTrue(in.readLine().startsWith("354 "));
            out.write("Subject: t\r\n\r\nbody\r\n.\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            String queued = in.readLine();
            assertTrue(queued.startsWith("250 2.0.0 Ok: queued as T1"), queued);
            assertTrue(in.readLine().startsWith("221 "));
        }
        assertEquals(1, sink.threads.size());
        assertTrue(sink.threads.get(0).startsWith("postilion-" + transport + "-"), sink.threads.get(0));
    }
}
