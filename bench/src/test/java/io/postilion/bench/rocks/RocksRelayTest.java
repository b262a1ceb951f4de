package io.postilion.bench.rocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.listener.ListenerSettings;
import io.postilion.engine.listener.MessageSink;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.listener.SmtpListener;
import io.postilion.engine.relay.QueuedMessage;
import io.postilion.engine.relay.Relay;
import io.postilion.engine.relay.RelaySettings;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.session.Transaction;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The relay on the bench's RocksDB queue, end to end in one JVM, into a counting sink. */
class RocksRelayTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Pattern SUBJECT = Pattern.compile("(?m)^Subject: ([^\r\n]*)");

    @TempDir
    Path spoolDir;

    /** Deliveries the sink accepted, by Subject. */
    private final Map<String, AtomicLong> delivered = new ConcurrentHashMap<>();
    private volatile boolean refusing;
    private final SmtpListener sink = SmtpListener.start(ListenerSettings.defaults(new InetSocketAddress("127.0.0.1", 0),
            "sink.test").withLimits(0, 100, 100), countingSink(), Clock.systemUTC()).block(WAIT);
    private Relay relay;
    private RocksQueue queue;

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
        sink.close();
    }

    private MessageSink countingSink() {
        AtomicLong ids = new AtomicLong();
        return new MessageSink() {
            @Override
            public String newQueueId() {
                return "S" + ids.incrementAndGet();
            }

            @Override
            public Mono<Void> accept(ReceivedMessage message) {
                if (refusing) {
                    return Mono.error(new IOException("the sink refuses for now")); // 451: the relay defers
                }
                Matcher m = SUBJECT.matcher(new String(message.content(), StandardCharsets.US_ASCII));
                String subject = m.find() ? m.group(1) : "(none)";
                delivered.computeIfAbsent(subject, k -> new AtomicLong()).addAndGet(message.recipients().size());
                return Mono.empty();
            }
        };
    }

    private void start() throws IOException {
        RelaySettings settings = RelaySettings.from(ConfigurationLoader.fromText("myhostname = relay.test\n"
                + "smtpd_listen = 127.0.0.1:0\nmetrics_listen = 127.0.0.1:0\ninet_interfaces = 127.0.0.254\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\nsmtp_connect_timeout = 2s\nsmtp_helo_timeout = 3s\n"
                + "minimal_backoff_time = 1s\nmaximal_backoff_time = 1s\nqueue_directory = " + spoolDir + "\n",
                "main.cf", List.of()));
        queue = RocksQueue.open(spoolDir, Clock.systemUTC(), 8, 0);
        relay = Relay.start(settings, queue, Clock.systemUTC());
    }

    private int submit(String subject) {
        SmtpSession s = SmtpClient.create(SessionSettings.smtp("app.test").withTls(TlsLevel.NONE, false)
                        .withTimeouts(Timeouts.all(Duration.ofSeconds(5))))
                .connect(Endpoint.inet("relay.test", new InetSocketAddress("127.0.0.1", relay.smtpPort()))).block(WAIT)
                .session();
        s.handshake(false).block(WAIT);
        String message = "Subject: " + subject + "\r\n\r\nbody of " + subject + "\r\n";
        int code = s.transaction(new Transaction("MAIL FROM:<app@client.test>", List.of("RCPT TO:<user@dest.test>"),
                ContentSource.of(message.getBytes(StandardCharsets.US_ASCII)), ContentOptions.defaults(), false))
                .block(WAIT).finals().get(0).code();
        s.quit().block(WAIT);
        return code;
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private long keys() {
        try {
            return queue.keysBlocking();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void messagesAreDeliveredOnceEachAndLeaveTheStoreEmpty() throws Exception {
        start();
        for (int i = 1; i <= 5; i++) {
            assertEquals(250, submit("message " + i));
        }
        await(() -> delivered.size() == 5, "five deliveries");
        await(() -> keys() == 0, "every key deleted after delivery");
        assertEquals(Map.of("active", 0, "deferred", 0), queue.counts());
        Thread.sleep(1500); // longer than the backoff: a second delivery would have come by now
        for (int i = 1; i <= 5; i++) {
            assertEquals(1, delivered.get("message " + i).get(), "message " + i + " delivered once");
        }
        assertTrue(queue.walSyncs() >= 1, "accepting synced the write-ahead log");
        relay.close();
        relay = null;

        // What a restart finds: nothing.
        try (RocksQueue again = RocksQueue.open(spoolDir, Clock.systemUTC(), 2, 0)) {
            List<QueuedMessage> left = again.recover().collectList().block(WAIT);
            assertEquals(List.of(), left);
            assertEquals(0, again.keysBlocking());
        }
    }

    @Test
    void aRestartRecoversAnUndeliveredMessageAndDeliversItOnce() throws Exception {
        refusing = true;
        start();
        assertEquals(250, submit("kept over a restart"));
        await(() -> queue.counts().get("deferred") == 1, "the deferral");
        assertTrue(keys() >= 2, "envelope and content are stored");
        relay.close(); // deferred, undelivered: it stays in the store
        relay = null;
        assertTrue(delivered.isEmpty());

        refusing = false;
        start();
        await(() -> delivered.containsKey("kept over a restart"), "delivery after the restart");
        await(() -> keys() == 0, "the removal after the restart");
        Thread.sleep(1500);
        assertEquals(1, delivered.get("kept over a restart").get(), "delivered once");
        assertEquals(1, delivered.size());
    }

    @Test
    void aRocksDbWriteOnANonBlockingThreadIsCaughtByBlockHound() throws Exception {
        try (Options o = new Options().setCreateIfMissing(true);
                RocksDB db = RocksDB.open(o, spoolDir.resolve("guard").toString())) {
            Object outcome = Mono.fromCallable(() -> {
                        db.put(new byte[] {1}, new byte[] {2});
                        return "written";
                    })
                    .subscribeOn(Schedulers.parallel())
                    .map(Object.class::cast)
                    .onErrorResume(Mono::just)
                    .block(WAIT);
            assertTrue(outcome instanceof BlockingOperationError, "RocksDB put on a parallel thread not caught: " + outcome);
        }
    }
}
