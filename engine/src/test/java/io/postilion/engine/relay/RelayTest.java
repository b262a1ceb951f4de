package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.unix.DomainSocketAddress;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.Spool;
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
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.netty.http.client.HttpClient;

/** The relay end to end in one JVM: our client submits, the relay queues and delivers to a fake server. */
class RelayTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String MESSAGE = "Subject: through the relay\r\n\r\n.a dot line\r\nbody\r\n";

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
        Configuration cfg = ConfigurationLoader.fromText("myhostname = relay.test\nsmtpd_listen = 127.0.0.1:0\n"
                + "metrics_listen = 127.0.0.1:0\ninet_interfaces = 127.0.0.254\n"
                + "relayhost = [127.0.0.1]:" + server.port() + "\nsmtp_connect_timeout = 2s\nsmtp_helo_timeout = 3s\n"
                + "minimal_backoff_time = 1s\nmaximal_backoff_time = 1s\nqueue_directory = " + spoolDir + "\n" + extra,
                "main.cf", List.of());
        relay = Relay.start(cfg, Spool.open(spoolDir, new ChannelSpoolFiles(), Clock.systemUTC()), Clock.systemUTC());
        return relay;
    }

    private TransactionResult submit(int port) {
        return submit(port, "user@dest.test");
    }

    private TransactionResult submit(int port, String... rcpts) {
        SmtpSession s = SmtpClient.create(SessionSettings.smtp("app.test").withTls(TlsLevel.NONE, false)
                        .withTimeouts(Timeouts.all(Duration.ofSeconds(5))))
                .connect(Endpoint.inet("relay.test", new InetSocketAddress("127.0.0.1", port))).block(WAIT).session();
        s.handshake(false).block(WAIT);
        return s.transaction(new Transaction("MAIL FROM:<app@client.test>",
                java.util.Arrays.stream(rcpts).map(r -> "RCPT TO:<" + r + ">").toList(),
                ContentSource.of(MESSAGE.getBytes(StandardCharsets.US_ASCII)), ContentOptions.defaults(), false)).block(WAIT);
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

    private String metrics() {
        return HttpClient.create().get().uri("http://127.0.0.1:" + relay.metricsPort() + "/metrics")
                .responseContent().aggregate().asString().block(WAIT);
    }

    @Test
    void aMessageSubmittedToTheRelayArrivesAndTheMetricsMove() throws Exception {
        start("");
        TransactionResult r = submit(relay.smtpPort());
        assertEquals(250, r.finals().get(0).code(), r.toString());
        await(() -> server.contents().size() == 1, "delivery");
        String delivered = new String(server.contents().get(0), StandardCharsets.US_ASCII);
        assertTrue(delivered.startsWith("Received: from app.test ([127.0.0.1])"), delivered);
        assertTrue(delivered.endsWith("\r\n" + MESSAGE.replace("\r\n.a", "\r\n..a") + ".\r\n"), "dot-stuffed again on the way out: " + delivered);
        await(() -> metrics().contains("postilion_deliveries_total{status=\"sent\",transport=\"smtp\"} 1.0"), "the sent meter");
        String m = metrics();
        assertTrue(m.contains("postilion_messages_accepted_total 1.0"), m);
        await(() -> spoolDir.resolve("active").toFile().list().length == 0, "the queue file's removal");
    }

    @Test
    void mailDeferredWhenTheRelayStopsIsDeliveredAfterARestart() throws Exception {
        server.reply(FakeSmtpServer.Stage.GREETING, "421 4.3.2 not now");
        start("");
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        await(() -> spoolDir.resolve("deferred").toFile().list().length == 1, "the deferral");
        relay.close();
        relay = null;

        server.reply(FakeSmtpServer.Stage.GREETING, "220 fake ESMTP");
        start("");
        await(() -> server.contents().size() == 1, "delivery after the restart");
        await(() -> spoolDir.resolve("deferred").toFile().list().length == 0
                && spoolDir.resolve("active").toFile().list().length == 0, "the queue to empty");
    }

    /** The queue commands' API, over the relay's admin socket. */
    private String admin(String method, String path) {
        var http = HttpClient.create().remoteAddress(() -> new DomainSocketAddress(relay.adminSocket().toString()));
        var sender = method.equals("POST") ? http.post() : method.equals("DELETE") ? http.delete() : http.get();
        return sender.uri(path).responseSingle((res, body) ->
                body.asString().defaultIfEmpty("").map(t -> res.status().code() + " " + t)).block(WAIT);
    }

    @Test
    void theQueueCommandsApiListsFlushesAndDeletesDeferredMail() throws Exception {
        server.reply(FakeSmtpServer.Stage.GREETING, "421 4.3.2 not now");
        start("minimal_backoff_time = 300s\nmaximal_backoff_time = 300s\n");
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        await(() -> spoolDir.resolve("deferred").toFile().list().length == 2, "two deferrals");

        String listing = admin("GET", "/queue");
        assertTrue(listing.startsWith("200 ----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------")
                && listing.contains("app@client.test") && listing.contains("user@dest.test")
                && listing.contains("421 4.3.2 not now)\n") && listing.endsWith("-- 0 Kbytes in 2 Requests.\n"), listing);
        String id = spoolDir.resolve("deferred").toFile().list()[0];
        assertEquals("200 deleted " + id + "\n", admin("DELETE", "/queue/" + id));
        assertTrue(admin("DELETE", "/queue/" + id).startsWith("404 "), "gone");

        server.reply(FakeSmtpServer.Stage.GREETING, "220 fake ESMTP");
        assertEquals("200 flushed 1 deferred message(s)\n", admin("POST", "/queue/flush"));
        await(() -> server.contents().size() == 1, "the flushed message to be delivered");
        await(() -> spoolDir.resolve("deferred").toFile().list().length == 0
                && spoolDir.resolve("active").toFile().list().length == 0, "the queue to empty");
    }

    @Test
    void theRetryTimersGaugeHoldsOneTimerPerDeferredMessageAndFallsToZeroOnceItIsDelivered() throws Exception {
        server.reply(FakeSmtpServer.Stage.GREETING, "421 4.3.2 not now");
        start("minimal_backoff_time = 300s\nmaximal_backoff_time = 300s\n");
        assertTrue(metrics().contains("\npostilion_qmgr_retry_timers 0.0"), "no timer before any mail");
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        await(() -> metrics().contains("\npostilion_qmgr_retry_timers 2.0"), "one armed timer per deferred message");

        server.reply(FakeSmtpServer.Stage.GREETING, "220 fake ESMTP");
        assertEquals("200 flushed 2 deferred message(s)\n", admin("POST", "/queue/flush"));
        await(() -> server.contents().size() == 2, "both flushed messages to be delivered");
        try {
            await(() -> metrics().contains("\npostilion_qmgr_retry_timers 0.0")
                    && metrics().contains("\npostilion_queue_in_flight 0.0"), "no timer left behind once the queue is empty");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": " + metrics().lines().filter(l -> l.startsWith("postilion_q")).toList());
        }
    }

    @Test
    void theMetricsPortAnswersOnlyGetMetricsAndTheQueueApiLivesOnTheAdminSocket() throws Exception {
        server.reply(FakeSmtpServer.Stage.GREETING, "421 4.3.2 not now");
        start("minimal_backoff_time = 300s\nmaximal_backoff_time = 300s\n");
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        await(() -> filesIn("deferred") == 1, "a deferral");

        var http = HttpClient.create().baseUrl("http://127.0.0.1:" + relay.metricsPort());
        assertEquals(404, http.delete().uri("/queue").response().block(WAIT).status().code());
        assertEquals(404, http.get().uri("/queue").response().block(WAIT).status().code());
        assertEquals(404, http.post().uri("/queue/flush").response().block(WAIT).status().code());
        assertEquals(405, http.delete().uri("/metrics").response().block(WAIT).status().code());
        assertTrue(metrics().contains("postilion_messages_accepted_total 1.0"));
        assertEquals(1, filesIn("deferred"), "nothing was deleted through the metrics port");

        assertEquals(spoolDir.resolve("admin.sock"), relay.adminSocket());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(relay.adminSocket())));
        assertEquals("200 deleted 1 message(s)\n", admin("DELETE", "/queue"));
        assertEquals(0, filesIn("deferred"));
        relay.close();
        relay = null;
        assertTrue(java.nio.file.Files.notExists(spoolDir.resolve("admin.sock")), "the socket goes with the relay");
    }

    // ------------------------------------------------------------------ graceful shutdown

    @Test
    void stopWaitsForADeliveryInProgressAndRecordsItsResult() throws Exception {
        server.delay(FakeSmtpServer.Stage.DOT, Duration.ofMillis(1500));
        start("");
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        await(() -> server.contents().size() == 1, "the content to reach the server (its reply is held)");
        long t0 = System.nanoTime();
        relay.stop(Duration.ofSeconds(20));
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        relay = null;
        assertTrue(tookMs >= 500 && tookMs < 10_000, "stop waited for the reply, not for the whole grace: " + tookMs + " ms");
        assertEquals(0, filesIn("active") + filesIn("deferred"), "the delivery was recorded and its file removed");
        assertTrue(server.transcript().stream().anyMatch(l -> l.startsWith("S: 250 2.0.0 Ok: queued as FAKE1")),
                server.transcript().toString());
    }

    @Test
    void theListenerRefusesNewConnectionsWhileDeliveriesFinish() throws Exception {
        server.delay(FakeSmtpServer.Stage.DOT, Duration.ofSeconds(3));
        start("");
        int port = relay.smtpPort();
        assertEquals(250, submit(port).finals().get(0).code());
        await(() -> server.contents().size() == 1, "the delivery to be in progress");
        Relay stopping = relay;
        relay = null;
        Thread stopper = new Thread(() -> stopping.stop(Duration.ofSeconds(20)), "test-stopper");
        stopper.start();
        await(() -> {
            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                return false;
            } catch (IOException refused) {
                return true;
            }
        }, "the listener to refuse connections");
        assertTrue(stopper.isAlive(), "the listener closed while the delivery was still running");
        stopper.join(WAIT.toMillis());
        assertEquals(0, filesIn("active") + filesIn("deferred"), "and the delivery still finished");
    }

    @Test
    void aDeliveryLongerThanTheGraceTimeIsCutOffAndTheMessageIsDeliveredAfterARestart() throws Exception {
        server.delay(FakeSmtpServer.Stage.DOT, Duration.ofSeconds(40));
        start("shutdown_grace_time = 1s\n");
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        await(() -> server.contents().size() == 1, "the delivery to be in progress");
        Path file = spoolDir.resolve("active").resolve(spoolDir.resolve("active").toFile().list()[0]);
        byte[] before = java.nio.file.Files.readAllBytes(file);
        long t0 = System.nanoTime();
        relay.stop();
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        relay = null;
        assertTrue(tookMs >= 900 && tookMs < 6_000, "cut off after shutdown_grace_time: " + tookMs + " ms");
        assertTrue(java.util.Arrays.equals(before, java.nio.file.Files.readAllBytes(file)), "the queue file is untouched");

        server.delay(FakeSmtpServer.Stage.DOT, Duration.ZERO);
        start("");
        await(() -> server.contents().size() == 2, "delivery after the restart");
        await(() -> filesIn("active") + filesIn("deferred") == 0, "the queue to empty");
    }

    @Test
    void aRecipientRecordedAsSentBeforeTheCutIsNotDeliveredAgainAfterARestart() throws Exception {
        try (FakeSmtpServer slow = FakeSmtpServer.start()) {
            slow.delay(FakeSmtpServer.Stage.DOT, Duration.ofSeconds(40));
            String routes = "transport_maps = inline:{ slow@dest.test=smtp:[127.0.0.1]:" + slow.port() + " }\n";
            start(routes + "shutdown_grace_time = 1s\n");
            assertEquals(250, submit(relay.smtpPort(), "fast@dest.test", "slow@dest.test").finals().get(0).code());
            await(() -> slow.contents().size() == 1 && pending().equals(List.of("slow@dest.test")),
                    "fast@ recorded as sent while slow@ is still in progress");
            relay.stop();
            relay = null;
            assertEquals(List.of("slow@dest.test"), pending(), "still queued for slow@ only");

            slow.delay(FakeSmtpServer.Stage.DOT, Duration.ZERO);
            start(routes);
            await(() -> slow.contents().size() == 2, "slow@ delivered after the restart");
            await(() -> filesIn("active") + filesIn("deferred") == 0, "the queue to empty");
            assertEquals(1, server.commands().stream().filter(c -> c.startsWith("RCPT TO:<fast@dest.test>")).count(),
                    "fast@ got the message once: " + server.commands());
        }
    }

    private List<String> pending() {
        try {
            List<QueueEntry> entries = Spool.list(spoolDir, new ChannelSpoolFiles());
            return entries.size() == 1 ? entries.get(0).pending().stream().map(QueueEntry.Pending::address).toList()
                    : List.of("(" + entries.size() + " messages)");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ postilion delete

    private static final String CORRUPT_ID = "0123456789ABCD";

    @Test
    void deleteRemovesAMessageBeingDeliveredAndItsResultIsDropped() throws Exception {
        server.delay(FakeSmtpServer.Stage.DOT, Duration.ofSeconds(2));
        start("");
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        await(() -> server.contents().size() == 1, "the delivery to be in progress");
        String id = spoolDir.resolve("active").toFile().list()[0];
        assertEquals("200 deleted " + id + "\n", admin("DELETE", "/queue/" + id));
        assertEquals(0, filesIn("active"), "the file is gone at once");
        await(() -> server.transcript().stream().anyMatch(l -> l.startsWith("S: 250 2.0.0 Ok: queued as FAKE1")), "the reply");
        long t0 = System.nanoTime();
        relay.stop(Duration.ofSeconds(20));
        relay = null;
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000, "a deleted message is no delivery to wait for");
        assertEquals(0, filesIn("active") + filesIn("deferred"), "nothing came back");
    }

    @Test
    void deleteRemovesACorruptFileThroughTheRunningRelay() throws Exception {
        java.nio.file.Files.createDirectories(spoolDir.resolve("corrupt"));
        java.nio.file.Files.writeString(spoolDir.resolve("corrupt").resolve(CORRUPT_ID), "not a queue file");
        start("");
        assertTrue(admin("GET", "/queue").contains(CORRUPT_ID + " "), "listed");
        assertEquals("200 deleted " + CORRUPT_ID + "\n", admin("DELETE", "/queue/" + CORRUPT_ID));
        assertEquals(0, filesIn("corrupt"));
        assertTrue(admin("DELETE", "/queue/" + CORRUPT_ID).startsWith("404 "), "gone");
    }

    @Test
    void deleteAllRemovesActiveDeferredAndCorruptMail() throws Exception {
        java.nio.file.Files.createDirectories(spoolDir.resolve("corrupt"));
        java.nio.file.Files.writeString(spoolDir.resolve("corrupt").resolve(CORRUPT_ID), "not a queue file");
        server.reply(FakeSmtpServer.Stage.GREETING, "421 4.3.2 not now");
        start("minimal_backoff_time = 300s\nmaximal_backoff_time = 300s\n");
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        await(() -> filesIn("deferred") == 1, "a deferral");
        server.reply(FakeSmtpServer.Stage.GREETING, "220 fake ESMTP");
        server.delay(FakeSmtpServer.Stage.DOT, Duration.ofSeconds(2));
        assertEquals(250, submit(relay.smtpPort()).finals().get(0).code());
        await(() -> server.contents().size() == 1, "a delivery in progress");

        assertEquals("200 deleted 3 message(s)\n", admin("DELETE", "/queue"));
        assertEquals(0, filesIn("active") + filesIn("deferred") + filesIn("corrupt"));
        assertEquals("200 Mail queue is empty\n", admin("GET", "/queue"));
    }
}
