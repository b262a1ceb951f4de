package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
                + "minimal_backoff_time = 1s\nmaximal_backoff_time = 1s\n" + extra, "main.cf", List.of());
        relay = Relay.start(cfg, Spool.open(spoolDir, new ChannelSpoolFiles(), Clock.systemUTC()), Clock.systemUTC());
        return relay;
    }

    private TransactionResult submit(int port) {
        SmtpSession s = SmtpClient.create(SessionSettings.smtp("app.test").withTls(TlsLevel.NONE, false)
                        .withTimeouts(Timeouts.all(Duration.ofSeconds(5))))
                .connect(Endpoint.inet("relay.test", new InetSocketAddress("127.0.0.1", port))).block(WAIT).session();
        s.handshake(false).block(WAIT);
        return s.transaction(new Transaction("MAIL FROM:<app@client.test>", List.of("RCPT TO:<user@dest.test>"),
                ContentSource.of(MESSAGE.getBytes(StandardCharsets.US_ASCII)), ContentOptions.defaults(), false)).block(WAIT);
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

    private String admin(String method, String path) {
        var http = HttpClient.create();
        var sender = method.equals("POST") ? http.post() : method.equals("DELETE") ? http.delete() : http.get();
        return sender.uri("http://127.0.0.1:" + relay.metricsPort() + path).responseSingle((res, body) ->
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
        assertTrue(listing.startsWith("200 ") && listing.contains(" deferred ") && listing.contains("user@dest.test")
                && listing.contains("-- 2 message(s) in the queue"), listing);
        String id = spoolDir.resolve("deferred").toFile().list()[0];
        assertEquals("200 deleted " + id + "\n", admin("DELETE", "/queue/" + id));
        assertTrue(admin("DELETE", "/queue/" + id).startsWith("404 "), "gone");

        server.reply(FakeSmtpServer.Stage.GREETING, "220 fake ESMTP");
        assertEquals("200 flushed 1 deferred message(s)\n", admin("POST", "/queue/flush"));
        await(() -> server.contents().size() == 1, "the flushed message to be delivered");
        await(() -> spoolDir.resolve("deferred").toFile().list().length == 0
                && spoolDir.resolve("active").toFile().list().length == 0, "the queue to empty");
    }
}
