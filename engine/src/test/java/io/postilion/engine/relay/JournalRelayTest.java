package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.JournalSpool;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.session.Transaction;
import io.postilion.transport.session.TransactionResult;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay on its production queue (the journal-fronted spool), end to end in one JVM. */
class JournalRelayTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String MESSAGE = "Subject: through the journal\r\n\r\nbody\r\n";

    @TempDir
    Path spoolDir;

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private Relay relay;

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
        server.close();
    }

    private Relay start(String extra) throws IOException {
        return start(extra, io.postilion.engine.spool.journal.JournalOptions.defaults());
    }

    private Relay start(String extra, io.postilion.engine.spool.journal.JournalOptions options) throws IOException {
        Configuration cfg = ConfigurationLoader.fromText("myhostname = relay.test\nsmtpd_listen = 127.0.0.1:0\n"
                + "metrics_listen = 127.0.0.1:0\ninet_interfaces = 127.0.0.254\n"
                + "relayhost = [127.0.0.1]:" + server.port() + "\nsmtp_connect_timeout = 2s\nsmtp_helo_timeout = 3s\n"
                + "minimal_backoff_time = 1s\nmaximal_backoff_time = 1s\nqueue_directory = " + spoolDir + "\n" + extra,
                "main.cf", List.of());
        RelaySettings settings = RelaySettings.from(cfg);
        relay = Relay.start(settings, JournalSpool.open(spoolDir, new ChannelSpoolFiles(), Clock.systemUTC(), options)
                .storageLimits(settings.queueMinfree(), settings.listener().messageSizeLimit()), Clock.systemUTC());
        return relay;
    }

    private TransactionResult submit() {
        return submit(MESSAGE);
    }

    private TransactionResult submit(String message) {
        SmtpSession s = SmtpClient.create(SessionSettings.smtp("app.test").withTls(TlsLevel.NONE, false)
                        .withTimeouts(Timeouts.all(Duration.ofSeconds(5))))
                .connect(Endpoint.inet("relay.test", new InetSocketAddress("127.0.0.1", relay.smtpPort()))).block(WAIT)
                .session();
        s.handshake(false).block(WAIT);
        return s.transaction(new Transaction("MAIL FROM:<app@client.test>", List.of("RCPT TO:<user@dest.test>"),
                ContentSource.of(message.getBytes(StandardCharsets.US_ASCII)), ContentOptions.defaults(), false)).block(WAIT);
    }

    private double gauge(String name) {
        String text = reactor.netty.http.client.HttpClient.create().get()
                .uri("http://127.0.0.1:" + relay.metricsPort() + "/metrics").responseContent().aggregate().asString()
                .block(WAIT);
        return text.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError(name + " is not exported"));
    }

    private int filesIn(String state) {
        String[] names = spoolDir.resolve(state).toFile().list();
        return names == null ? 0 : names.length;
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

    @Test
    void aMessageIsAcknowledgedFromTheJournalAndDelivered() throws Exception {
        start("");
        assertEquals(250, submit().finals().get(0).code());
        await(() -> server.contents().size() == 1, "delivery");
        assertTrue(new String(server.contents().get(0), StandardCharsets.US_ASCII).endsWith("\r\nbody\r\n.\r\n"));
        assertEquals(0, filesIn("active") + filesIn("deferred"), "the message never needed a file of its own");
    }

    @Test
    void aDeferredMessageWaitsInItsOwnFileAndIsReadBackForItsRetry() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> tries.incrementAndGet() == 1 ? "451 4.2.0 later" : "250 2.1.5 Ok");
        start("");
        assertEquals(250, submit().finals().get(0).code());
        await(() -> server.contents().size() == 1, "delivery at the retry");
        assertEquals(2, tries.get());
        await(() -> filesIn("active") + filesIn("deferred") == 0, "the file's removal");
    }

    @Test
    void deferredMailIsDeliveredAfterARestartWhenItsNextAttemptComes() throws Exception {
        server.reply(FakeSmtpServer.Stage.GREETING, "421 4.3.2 not now");
        start(""); // backoff 1s
        assertEquals(250, submit().finals().get(0).code());
        await(() -> filesIn("deferred") == 1, "the deferral");
        relay.close();
        server.reply(FakeSmtpServer.Stage.GREETING, "220 ok");
        start("");
        await(() -> server.contents().size() == 1, "delivery after the restart");
    }

    @Test
    void aRestartDoesNotRetryDeferredMailBeforeItsTime() throws Exception {
        server.reply(FakeSmtpServer.Stage.GREETING, "421 4.3.2 not now");
        String hour = "minimal_backoff_time = 1h\nmaximal_backoff_time = 1h\n";
        start(hour);
        assertEquals(250, submit().finals().get(0).code());
        await(() -> filesIn("deferred") == 1, "the deferral");
        relay.close();
        int sessionsBefore = server.sessions();
        server.reply(FakeSmtpServer.Stage.GREETING, "220 ok");
        start(hour);
        assertEquals(250, submit().finals().get(0).code(), "new mail is taken and delivered at once");
        await(() -> server.contents().size() == 1, "the new message");
        Thread.sleep(1000);
        assertEquals(1, server.contents().size(), "the deferred message waits for the hour its last attempt set");
        assertEquals(1, filesIn("deferred"));
        assertTrue(server.sessions() > sessionsBefore);
    }

    @Test
    void atMostQmgrMessageActiveLimitMessagesAreHeldInMemoryAndTheRestWaitInTheSpool() throws Exception {
        // Each delivery takes longer than a submission, so mail gathers behind the two active ones.
        server.delay(FakeSmtpServer.Stage.DOT, Duration.ofMillis(800));
        start("qmgr_message_active_limit = 2\n");
        int messages = 8;
        double peakActive = 0;
        double peakParked = 0;
        for (int i = 0; i < messages; i++) {
            assertEquals(250, submit("Subject: " + i + "\r\n\r\nbody " + i + "\r\n").finals().get(0).code());
            peakActive = Math.max(peakActive, gauge("postilion_qmgr_active_messages"));
            peakParked = Math.max(peakParked, gauge("postilion_qmgr_parked_messages"));
        }
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (server.contents().size() < messages && System.nanoTime() < until) {
            peakActive = Math.max(peakActive, gauge("postilion_qmgr_active_messages"));
            Thread.sleep(50);
        }
        assertEquals(messages, server.contents().size(), "every message delivered, once");
        assertTrue(peakActive <= 2, "held in memory at once: " + peakActive);
        assertTrue(peakParked >= 1, "none waited in the spool: the limit was never reached");
        await(() -> gauge("postilion_qmgr_active_messages") == 0 && gauge("postilion_qmgr_parked_messages") == 0,
                "an empty queue manager");
        List<String> bodies = server.contents().stream().map(b -> new String(b, StandardCharsets.US_ASCII)).toList();
        for (int i = 0; i < messages; i++) {
            int n = i;
            assertEquals(1, bodies.stream().filter(b -> b.contains("body " + n + "\r\n")).count(), "message " + n);
        }
    }

    @Test
    void aNearlyFullQueueFileSystemRefusesMailWith452() throws Exception {
        start("queue_minfree = 1000000000000000\n"); // a petabyte: no test machine has it free
        Thread.sleep(1500); // the free space is read once a second
        SmtpSession s = SmtpClient.create(SessionSettings.smtp("app.test").withTls(TlsLevel.NONE, false)
                        .withTimeouts(Timeouts.all(Duration.ofSeconds(5))))
                .connect(Endpoint.inet("relay.test", new InetSocketAddress("127.0.0.1", relay.smtpPort()))).block(WAIT)
                .session();
        s.handshake(false).block(WAIT);
        TransactionResult r = s.transaction(new Transaction("MAIL FROM:<app@client.test>", List.of("RCPT TO:<user@dest.test>"),
                ContentSource.of(MESSAGE.getBytes(StandardCharsets.US_ASCII)), ContentOptions.defaults(), false)).block(WAIT);
        assertEquals(452, r.mail().code(), r.toString());
        assertEquals("452 4.3.1 Insufficient system storage", r.mail().text());
    }

    @Test
    void aFullDiskRefusesTheMessageItHitLosesNothingAcceptedAndTakesMailAgainWhenSpaceReturns() throws Exception {
        server.reply(FakeSmtpServer.Stage.GREETING, "421 4.3.2 not now"); // mail stays queued meanwhile
        io.postilion.engine.spool.JournalFilesSeam disk = new io.postilion.engine.spool.JournalFilesSeam(0);
        start("queue_minfree = 1000\nmessage_size_limit = 100000\n", // retried every second meanwhile
                io.postilion.engine.spool.journal.JournalOptions.defaults().withFiles(disk));
        assertEquals(250, submit("Subject: one\r\n\r\nbefore\r\n").finals().get(0).code(), "accepted before the disk fills");
        disk.full = true; // the store fails mid-message (a write cut short by ENOSPC)
        TransactionResult refused = submit("Subject: two\r\n\r\nwhile full\r\n");
        assertEquals(4, refused.finals().get(0).codeClass(), "a temporary refusal, the client keeps it: " + refused);
        disk.full = false;
        assertEquals(250, submit("Subject: three\r\n\r\nafter\r\n").finals().get(0).code(), "accepted again");
        server.reply(FakeSmtpServer.Stage.GREETING, "220 ok");
        relay.close();
        start("");
        await(() -> server.contents().size() == 2, "both accepted messages delivered after a restart");
        List<String> bodies = server.contents().stream().map(b -> new String(b, StandardCharsets.US_ASCII)).toList();
        assertTrue(bodies.stream().anyMatch(b -> b.contains("before")) && bodies.stream().anyMatch(b -> b.contains("after")),
                bodies.toString());
        assertTrue(bodies.stream().noneMatch(b -> b.contains("while full")), "the refused one was never queued");
    }
}
