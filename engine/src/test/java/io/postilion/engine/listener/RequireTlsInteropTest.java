package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.relay.Relay;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.Spool;
import io.postilion.transport.interop.Rig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS-19 end to end: a client hands our listener a message with {@code MAIL FROM ... REQUIRETLS}
 * over STARTTLS; the relay delivers it at level verify to the rig's Postfix (the instance on 2536
 * relaying into Dovecot, reached as [relay.example.test], a name its certificate carries). Postfix
 * 3.7 does not implement REQUIRETLS, so it never announces it: under {@code enforce} (the computed
 * default for a domain that is not ours) the message bounces with 5.7.30; under
 * {@code opportunistic} it is delivered (without REQUIRETLS on MAIL FROM, RET=HDRS in its place:
 * what goes on the wire is RequireTlsDeliveryTest's to check, as Postfix does not log it).
 */
@Tag("interop")
class RequireTlsInteropTest {

    private static final String USER = "user1@example.test";
    private static final String FROM = "app@client.example.test";

    @TempDir
    Path dir;

    private Relay relay;
    private io.postilion.engine.maillog.MailLog before;
    private io.postilion.engine.maillog.MailLog mailLog;

    @BeforeAll
    static void peersAreUp() {
        Rig.requireTcp("Postfix smtpd relaying into Dovecot", Rig.POSTFIX_LMTP_PORT, "up.sh");
        Rig.requireTcp("Knot", 5353, "dns.sh");
    }

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
        if (mailLog != null) {
            io.postilion.engine.maillog.MailLog.install(before);
            mailLog.close();
        }
    }

    /** The relay, its listener with a key made now, delivering to Postfix under {@code policy}. */
    private void relay(String policy) throws Exception {
        Path key = dir.resolve("listener.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-subj", "/CN=relay.test", "-days", "2", "-keyout", dir.resolve("key.pem").toString(),
                "-out", dir.resolve("cert.pem").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        Files.writeString(key, Files.readString(dir.resolve("key.pem")) + Files.readString(dir.resolve("cert.pem")));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path spool = Files.createDirectory(dir.resolve("spool"));
        Configuration cfg = ConfigurationLoader.fromText("myhostname = relay.postilion.invalid\nsmtpd_listen = 127.0.0.1:0\n"
                + "metrics_listen = 127.0.0.1:0\ninet_interfaces = 127.0.0.254\n"
                + "relayhost = [relay.example.test]:" + Rig.POSTFIX_LMTP_PORT + "\ndns_servers = 127.0.0.1:5353\n"
                + "smtp_tls_security_level = verify\nsmtp_tls_CAfile = " + Rig.RIG_DIR.resolve("certs/ca.crt") + "\n"
                + "smtpd_tls_security_level = may\nsmtpd_tls_chain_files = " + key + "\n"
                + "queue_directory = " + spool + "\n"
                + (policy.isEmpty() ? "" : "smtp_requiretls_policy = " + policy + "\n"), "main.cf", List.of());
        // The relay command installs the mail log; Relay.start alone does not.
        before = io.postilion.engine.maillog.MailLog.current();
        mailLog = io.postilion.engine.maillog.MailLog.open(dir.resolve("maillog"), "relay", "postilion", Clock.systemUTC());
        io.postilion.engine.maillog.MailLog.install(mailLog);
        relay = Relay.start(cfg, Spool.open(spool, new ChannelSpoolFiles(), Clock.systemUTC()), Clock.systemUTC());
    }

    /** Submits over STARTTLS with REQUIRETLS and RET=FULL; our listener's reply to the end of data. */
    private void submit(String message) throws Exception {
        try (SmtpListenerTest.Raw c = new SmtpListenerTest.Raw(relay.smtpPort(), null)) {
            c.expect("220 ");
            c.send("EHLO client.example.test\r\n");
            c.multiline();
            c.send("STARTTLS\r\n");
            c.expect("220 ");
            c.startTls();
            c.send("EHLO client.example.test\r\n");
            assertTrue(c.multiline().contains("250-REQUIRETLS"));
            c.send("MAIL FROM:<" + FROM + "> RET=FULL REQUIRETLS\r\n");
            c.expect("250 ");
            c.send("RCPT TO:<" + USER + ">\r\n");
            c.expect("250 ");
            c.send("DATA\r\n");
            c.expect("354 ");
            c.send(message + ".\r\n");
            c.expect("250 2.0.0 Ok: queued as ");
        }
    }

    /** Waits for a delivery log line of ours about {@code USER} that contains {@code part}. */
    private String logLine(String part) throws Exception {
        Path log = dir.resolve("maillog");
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String text = "";
        while (System.nanoTime() < end) {
            text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            for (String line : text.lines().toList()) {
                if (line.contains("to=<" + USER + ">") && line.contains(part)) {
                    return line;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no log line with " + part + " in:\n" + text);
    }

    @Test
    void enforceBouncesAgainstPostfixWhichDoesNotAnnounceRequireTls5730_TLS19() throws Exception {
        relay("");
        submit(Rig.message(Rig.token(), FROM, USER));
        String line = logLine("status=bounced");
        assertTrue(line.contains("dsn=5.7.30"), line);
        assertTrue(line.contains("does not support REQUIRETLS"), line);
    }

    @Test
    void opportunisticDeliversToPostfixOverVerifiedTls_TLS19() throws Exception {
        relay("opportunistic");
        String token = Rig.token();
        submit(Rig.message(token, FROM, USER));
        String line = logLine("status=sent");
        assertTrue(line.contains("dsn=2.0.0"), line);
        String stored = Files.readString(Rig.awaitDelivery(USER, token), StandardCharsets.ISO_8859_1);
        assertTrue(stored.contains("using TLSv1.3") || stored.contains("using TLSv1.2"), "Postfix saw TLS: " + stored);
        assertEquals(1, Rig.filesWith(Rig.maildir(USER), token).size());
    }
}
