package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.maillog.MailLog;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.Spool;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay end to end with the logging and SMTPUTF8 parameters of issue 18 set in main.cf: what
 * its mail log says of addresses (smtpd's reject line, the qmgr line, the delivery line; LOG-2),
 * what the listener offers and accepts with smtputf8_enable = no, and which mail it marks as
 * needing SMTPUTF8 (smtputf8_autodetect_classes smtpd, and a notice keeping its original's
 * request, DATA-20).
 */
class RelayLogAndSmtputf8Test {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private Relay relay;
    private MailLog mailLog;

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
        if (mailLog != null) {
            mailLog.close();
        }
        server.close();
    }

    private void start(String extra) throws Exception {
        Configuration cfg = ConfigurationLoader.fromText("myhostname = relay.test\nsmtpd_listen = 127.0.0.1:0\n"
                + "metrics_listen = 127.0.0.1:0\ninet_interfaces = 127.0.0.254\n"
                + "relayhost = [127.0.0.1]:" + server.port() + "\nsmtp_connect_timeout = 2s\nsmtp_helo_timeout = 3s\n"
                + "queue_directory = " + dir.resolve("q") + "\n" + extra, "main.cf", List.of());
        mailLog = MailLog.open(dir.resolve("maillog"), "relay", "postilion", Clock.systemUTC());
        MailLog.install(mailLog);
        relay = Relay.start(cfg, Spool.open(dir.resolve("q"), new ChannelSpoolFiles(), Clock.systemUTC()), Clock.systemUTC());
    }

    /** The mail log once the delivery line is written (closing it flushes the rest). */
    private String log() throws Exception {
        await(() -> {
            try {
                return Files.readString(dir.resolve("maillog")).contains(", status=sent");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "the delivery line");
        mailLog.close();
        return Files.readString(dir.resolve("maillog"));
    }

    /** A plain SMTP client: each command's whole reply, in order. */
    private List<String> converse(String... commands) throws Exception {
        List<String> replies = new ArrayList<>();
        try (Socket s = new Socket("127.0.0.1", relay.smtpPort())) {
            s.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            replies.add(reply(in));
            for (String c : commands) {
                out.write((c + "\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (!c.startsWith("Subject:") && !c.isEmpty() && !c.startsWith("body")) {
                    replies.add(reply(in));
                }
            }
        }
        return replies;
    }

    private static String reply(BufferedReader in) throws Exception {
        StringBuilder sb = new StringBuilder();
        String line;
        do {
            line = in.readLine();
            sb.append(line).append('\n');
        } while (line != null && line.length() > 3 && line.charAt(3) == '-');
        return sb.toString();
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

    private List<String> mailFroms() {
        return server.commands().stream().filter(c -> c.startsWith("MAIL FROM")).toList();
    }

    // ------------------------------------------------------------------ LOG-2

    private List<String> submitQuoted() throws Exception {
        return converse("EHLO app.test", "MAIL FROM:<\"x y\"@client.test>", "RCPT TO:<\"c d\">",
                "RCPT TO:<\"a b\"@dest.test>", "DATA", "Subject: quoted", "", "body", ".", "QUIT");
    }

    @Test
    void theRelayKeepsAddressesInternalAndLogsThemExternallyByDefault_LOG2() throws Exception {
        start("");
        List<String> replies = submitQuoted();
        assertTrue(replies.get(6).startsWith("250"), replies.toString());
        await(() -> server.contents().size() == 1, "delivery");
        assertTrue(server.commands().contains("MAIL FROM:<\"x y\"@client.test>"), "quoted once: " + server.commands());
        assertTrue(server.commands().contains("RCPT TO:<\"a b\"@dest.test>"), "quoted once: " + server.commands());
        String delivered = new String(server.contents().get(0), StandardCharsets.UTF_8);
        assertTrue(delivered.contains("\r\n\tfor <\"a b\"@dest.test>; "), "smtpd's Received: header quotes it: " + delivered);
        String log = log();
        assertTrue(log.matches("(?s).*: NOQUEUE: reject: RCPT from [^ ]+\\[127\\.0\\.0\\.1\\]: 501 5\\.1\\.3 Bad recipient "
                + "address syntax; from=<\"x y\"@client\\.test> to=<\"c d\"> proto=ESMTP helo=<app\\.test>\n.*"), log);
        assertTrue(log.contains(": from=<\"x y\"@client.test>, size="), log);
        assertTrue(log.contains(": to=<\"a b\"@dest.test>, relay=127.0.0.1[127.0.0.1]:"), log);
    }

    @Test
    void withInfoLogAddressFormatInternalTheMailLogShowsAddressesUnquoted_LOG2() throws Exception {
        start("info_log_address_format = internal\n");
        submitQuoted();
        await(() -> server.contents().size() == 1, "delivery");
        String log = log();
        assertTrue(log.matches("(?s).*: NOQUEUE: reject: RCPT from [^ ]+\\[127\\.0\\.0\\.1\\]: 501 5\\.1\\.3 Bad recipient "
                + "address syntax; from=<x y@client\\.test> to=<c d> proto=ESMTP helo=<app\\.test>\n.*"), log);
        assertTrue(log.contains(": from=<x y@client.test>, size="), log);
        assertTrue(log.contains(": to=<a b@dest.test>, relay=127.0.0.1[127.0.0.1]:"), log);
    }

    // ------------------------------------------------------------------ smtputf8_enable in the listener

    @Test
    void withSmtputf8OffTheListenerNeitherOffersNorTakesSmtputf8() throws Exception {
        start("smtputf8_enable = no\n");
        List<String> replies = converse("EHLO app.test", "MAIL FROM:<a@client.test> SMTPUTF8", "QUIT");
        assertFalse(replies.get(1).contains("SMTPUTF8"), replies.get(1));
        assertEquals("555 5.5.4 Unsupported option: SMTPUTF8\n", replies.get(2));
    }

    @Test
    void byDefaultTheListenerOffersAndTakesSmtputf8() throws Exception {
        start("");
        List<String> replies = converse("EHLO app.test", "MAIL FROM:<a@client.test> SMTPUTF8", "QUIT");
        assertTrue(replies.get(1).contains("250-SMTPUTF8\n"), replies.get(1));
        assertTrue(replies.get(2).startsWith("250 "), replies.get(2));
    }

    // ------------------------------------------------------------------ DATA-20, autodetection

    private void submitUtf8Header() throws Exception {
        List<String> replies = converse("EHLO app.test", "MAIL FROM:<a@client.test>", "RCPT TO:<u@dest.test>", "DATA",
                "Subject: Gr\u00fc\u00dfe", "", "body", ".", "QUIT");
        assertTrue(replies.get(5).startsWith("250"), replies.toString());
        await(() -> server.contents().size() == 1, "delivery");
    }

    @Test
    void theSmtpdClassAutodetectsAUtf8HeaderOfMailTheListenerTakes_DATA20() throws Exception {
        server.capabilities("PIPELINING", "8BITMIME", "SMTPUTF8");
        start("smtputf8_autodetect_classes = smtpd\n");
        submitUtf8Header();
        assertTrue(mailFroms().get(0).endsWith(" SMTPUTF8"), mailFroms().toString());
    }

    @Test
    void withoutTheSmtpdClassMailTheListenerTakesIsNotAutodetected_DATA20() throws Exception {
        server.capabilities("PIPELINING", "8BITMIME", "SMTPUTF8");
        start("");
        submitUtf8Header();
        assertFalse(mailFroms().get(0).contains("SMTPUTF8"), mailFroms().toString());
    }

    @Test
    void aNoticeKeepsTheSmtputf8RequestOfTheMailItIsAbout_DATA20() throws Exception {
        server.capabilities("PIPELINING", "8BITMIME", "SMTPUTF8")
                .reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("bad@") ? "550 5.1.1 no such user" : "250 2.1.5 Ok");
        start("");
        List<String> replies = converse("EHLO app.test", "MAIL FROM:<a@client.test> SMTPUTF8", "RCPT TO:<bad@dest.test>",
                "DATA", "Subject: x", "", "body", ".", "QUIT");
        assertTrue(replies.get(5).startsWith("250"), replies.toString());
        await(() -> mailFroms().stream().anyMatch(c -> c.startsWith("MAIL FROM:<>")), "the notice");
        String notice = mailFroms().stream().filter(c -> c.startsWith("MAIL FROM:<>")).findFirst().orElseThrow();
        assertTrue(notice.endsWith(" SMTPUTF8"), notice);
    }

    @Test
    void aUtf8HeaderInMailThatAskedForSmtputf8NeedsAServerThatOffersIt_DATA20() throws Exception {
        server.capabilities("PIPELINING", "8BITMIME"); // no SMTPUTF8
        start("");
        List<String> replies = converse("EHLO app.test", "MAIL FROM:<a@client.test> SMTPUTF8", "RCPT TO:<u@dest.test>",
                "DATA", "Subject: Gr\u00fc\u00dfe", "", "body", ".", "QUIT");
        assertTrue(replies.get(5).startsWith("250"), replies.toString());
        await(() -> {
            try {
                return Files.readString(dir.resolve("maillog")).contains("dsn=5.6.7");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "the SMTPUTF8 failure");
        String log = Files.readString(dir.resolve("maillog"));
        assertTrue(log.contains("to=<u@dest.test>") && log.contains("status=bounced (message requires SMTPUTF8"), log);
        assertTrue(mailFroms().stream().noneMatch(c -> c.startsWith("MAIL FROM:<a@client.test>")),
                "the message with a UTF-8 header was not sent to a server without SMTPUTF8: " + mailFroms());
    }

    /** The notify class: a postmaster transcript to a UTF-8 error_notice_recipient asks for SMTPUTF8. */
    @Test
    void theNotifyClassAutodetectsATranscriptToAUtf8Postmaster_DATA20() throws Exception {
        server.capabilities("PIPELINING", "8BITMIME", "SMTPUTF8")
                .reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("bad@") ? "500 5.5.2 go away" : "250 2.1.5 Ok");
        start("notify_classes = protocol\nerror_notice_recipient = p\u00f6stmaster@relay.test\n"
                + "smtputf8_autodetect_classes = notify\n");
        converse("EHLO app.test", "MAIL FROM:<a@client.test>", "RCPT TO:<bad@dest.test>", "DATA", "Subject: x", "", "body",
                ".", "QUIT");
        await(() -> server.commands().contains("RCPT TO:<p\u00f6stmaster@relay.test>"), "the transcript");
        List<String> cmds = server.commands();
        String mail = cmds.get(cmds.indexOf("RCPT TO:<p\u00f6stmaster@relay.test>") - 1);
        assertTrue(mail.startsWith("MAIL FROM:<double-bounce@") && mail.endsWith(" SMTPUTF8"), cmds.toString());
    }
}
