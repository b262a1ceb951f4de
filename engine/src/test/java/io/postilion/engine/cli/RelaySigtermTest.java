package io.postilion.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.session.Transaction;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code postilion relay} in a process of its own, stopped by a real SIGTERM while a delivery is
 * in progress: the relay lets the delivery finish and records it before the process ends with
 * exit 0. While it runs, the queue command reaches it through admin.sock and a second relay on
 * its queue_directory is refused (75).
 */
class RelaySigtermTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void sigtermLetsTheDeliveryInProgressFinishAndRecordsIt() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start()) {
            server.delay(FakeSmtpServer.Stage.DOT, Duration.ofSeconds(2));
            Path spool = dir.resolve("spool");
            Path log = dir.resolve("relay.log");
            Process relay = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "relay",
                    "-o", "myhostname=relay.test", "-o", "inet_interfaces=127.0.0.254",
                    "-o", "smtpd_listen=127.0.0.1:0", "-o", "metrics_listen=127.0.0.1:0",
                    "-o", "queue_directory=" + spool, "-o", "relayhost=[127.0.0.1]:" + server.port(),
                    "-o", "shutdown_grace_time=20s")
                    .redirectError(log.toFile()).start();
            try {
                CompletableFuture<Integer> port = new CompletableFuture<>();
                Thread reader = new Thread(() -> {
                    Pattern smtpOn = Pattern.compile("SMTP on 127\\.0\\.0\\.1:(\\d+)");
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(relay.getInputStream(),
                            StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null; ) {
                            Matcher m = smtpOn.matcher(line);
                            if (m.find()) {
                                port.complete(Integer.parseInt(m.group(1)));
                            }
                        }
                    } catch (java.io.IOException ended) {
                        port.completeExceptionally(ended);
                    }
                });
                reader.setDaemon(true);
                reader.start();

                SmtpSession s = SmtpClient.create(SessionSettings.smtp("app.test").withTls(TlsLevel.NONE, false)
                                .withTimeouts(Timeouts.all(Duration.ofSeconds(5))))
                        .connect(Endpoint.inet("relay.test", new InetSocketAddress("127.0.0.1",
                                port.get(WAIT.toSeconds(), TimeUnit.SECONDS)))).block(WAIT).session();
                s.handshake(false).block(WAIT);
                int code = s.transaction(new Transaction("MAIL FROM:<app@client.test>", List.of("RCPT TO:<user@dest.test>"),
                        ContentSource.of("Subject: sigterm\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)),
                        ContentOptions.defaults(), false)).block(WAIT).finals().get(0).code();
                assertEquals(250, code);
                long until = System.nanoTime() + WAIT.toNanos();
                while (server.contents().isEmpty() && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                assertEquals(1, server.contents().size(), "the delivery is in progress (its reply is held)");

                // The queue command finds this relay through queue_directory's admin.sock.
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                assertEquals(0, Main.run(new String[] {"queue", "-o", "queue_directory=" + spool}, InputStream.nullInputStream(),
                        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)),
                        err.toString(StandardCharsets.UTF_8));
                String listing = out.toString(StandardCharsets.UTF_8);
                assertTrue(listing.contains("user@dest.test") && listing.contains("-- 0 Kbytes in 1 Request.\n")
                        && !listing.contains("no relay is running"), listing);

                // A change through the socket is logged with who asked (this JVM's uid and pid).
                out.reset();
                assertEquals(0, Main.run(new String[] {"flush", "-o", "queue_directory=" + spool}, InputStream.nullInputStream(),
                        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)),
                        err.toString(StandardCharsets.UTF_8));
                assertEquals("flushed 0 deferred message(s)", out.toString(StandardCharsets.UTF_8).strip());

                // A second relay on the same queue_directory is refused, naming the directory and the holder.
                err.reset();
                assertEquals(75, Main.run(new String[] {"relay", "-o", "queue_directory=" + spool,
                        "-o", "smtpd_listen=127.0.0.1:0", "-o", "metrics_listen=127.0.0.1:0"}, InputStream.nullInputStream(),
                        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
                assertEquals("postilion relay: queue_directory " + spool.toAbsolutePath() + " is in use by another relay (pid "
                        + relay.pid() + ")", err.toString(StandardCharsets.UTF_8).strip());

                relay.destroy(); // SIGTERM
                assertTrue(relay.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the relay did not stop");
                assertEquals(0, relay.exitValue(), "SIGTERM after a clean stop is exit 0");
            } finally {
                relay.destroyForcibly();
            }
            String text = Files.readString(log);
            assertTrue(text.contains("stopping: waiting up to 20s for 1 delivery in progress"), text);
            assertTrue(text.contains("status=sent") && text.contains("relay stopped"), text);
            int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            assertTrue(text.contains("admin: flush of deferred mail by uid=" + uid + " pid=" + ProcessHandle.current().pid()
                    + " via " + spool.resolve("admin.sock")), text);
            assertEquals(0, spool.resolve("active").toFile().list().length + spool.resolve("deferred").toFile().list().length,
                    "the delivery was recorded and its file removed before the process ended");
        }
    }
}
