package io.postilion.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SendCommandTest {

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        server.close();
    }

    private int run(String stdin, String... args) {
        return Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void sendDeliversAMessageFromStandardInputAndPrintsPostfixLines() {
        int rc = run("Subject: hello\n\n.dot line\n", "send", "--from", "me@client.test", "--to", "a@x.test",
                "--to", "b@x.test", "--nexthop", "[127.0.0.1]:" + server.port(), "-o", "smtp_helo_name=client.test");
        assertEquals(0, rc, out() + err);
        String[] lines = out().strip().split("\n");
        assertEquals(2, lines.length, out());
        assertTrue(lines[0].matches("[0-9A-F]{10}: to=<a@x\\.test>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:\\d+, delay=.*"
                + ", dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as FAKE1\\)"), lines[0]);
        assertEquals("Subject: hello\r\n\r\n..dot line\r\n.\r\n", new String(server.contents().get(0), StandardCharsets.US_ASCII));
        assertTrue(server.commands().contains("EHLO client.test"));
    }

    @Test
    void sendVerifyProbesTheRecipientsWithoutSendingAMessage_MISC1() {
        server.reply(io.postilion.transport.testserver.FakeSmtpServer.Stage.RCPT,
                (line, s) -> line.contains("gone@") ? "550 5.1.1 no such user" : "250 2.1.5 Ok");
        int rc = run("", "send", "--verify", "--from", "me@client.test", "--to", "a@x.test", "--to", "gone@x.test",
                "--nexthop", "[127.0.0.1]:" + server.port());
        assertEquals(69, rc, out() + err);
        String[] lines = out().strip().split("\n");
        assertTrue(lines[0].endsWith("dsn=2.1.5, status=deliverable (250 2.1.5 Ok)"), lines[0]);
        assertTrue(lines[1].contains("dsn=5.1.1, status=undeliverable (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 no such user"),
                lines[1]);
        assertTrue(server.contents().isEmpty());
        assertTrue(server.commands().contains("RSET") && !server.commands().contains("DATA"), server.commands().toString());
    }

    @Test
    void sendReadsTheMessageFromAFileAndUsesTheConfigFile() throws Exception {
        Path msg = Files.writeString(dir.resolve("msg.eml"), "Subject: file\r\n\r\nfrom a file\r\n");
        Path mainCf = Files.writeString(dir.resolve("main.cf"), "myhostname = relay.client.test\nsmtp_helo_name = $myhostname\n");
        int rc = run("", "send", "--config", mainCf.toString(), "--from", "", "--to", "a@x.test",
                "--nexthop", "[127.0.0.1]:" + server.port(), msg.toString());
        assertEquals(0, rc, out() + err);
        assertTrue(server.commands().contains("EHLO relay.client.test"), server.commands().toString());
        assertTrue(server.commands().contains("MAIL FROM:<> BODY=7BIT"), server.commands().toString());
    }

    @Test
    void aDeferredRecipientExitsWithTempfail() {
        server.reply(Stage.RCPT, "450 4.2.0 try later");
        int rc = run("x\n", "send", "--from", "me@client.test", "--to", "a@x.test", "--nexthop", "[127.0.0.1]:" + server.port());
        assertEquals(SendCommand.EX_TEMPFAIL, rc);
        assertTrue(out().contains("status=deferred (host 127.0.0.1[127.0.0.1] said: 450 4.2.0 try later (in reply to RCPT TO command))"), out());
    }

    @Test
    void aBouncedRecipientExitsWithUnavailable() {
        server.reply(Stage.RCPT, "550 5.1.1 no such user");
        int rc = run("x\n", "send", "--from", "me@client.test", "--to", "a@x.test", "--nexthop", "[127.0.0.1]:" + server.port());
        assertEquals(SendCommand.EX_UNAVAILABLE, rc);
        assertTrue(out().contains("dsn=5.1.1, status=bounced"), out());
    }

    @Test
    void lmtpOverAUnixSocket() {
        Path socket = dir.resolve("lmtp.sock");
        try (FakeSmtpServer lmtp = FakeSmtpServer.startUnix(socket).lmtp(true)) {
            int rc = run("x\n", "send", "--lmtp", "--from", "me@client.test", "--to", "a@x.test", "--nexthop",
                    "unix:" + socket, "-o", "myhostname=client.test");
            assertEquals(0, rc, out() + err);
            assertTrue(out().contains("relay=client.test[" + socket + "]"), out());
            assertTrue(lmtp.commands().get(0).startsWith("LHLO "), lmtp.commands().toString());
        }
    }

    @Test
    void dest8_sendUsesSmtpTcpPortForTheMxHostsOfTheNexthop() throws Exception {
        try (io.postilion.dns.testserver.TestDnsServer dns = io.postilion.dns.testserver.TestDnsServer.start()) {
            dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.1");
            int rc = run("Subject: port\n\nbody\n", "send", "--from", "me@client.test", "--to", "a@dest.test",
                    "--nexthop", "dest.test", "-o", "smtp_tcp_port=" + server.port(), "-o", "dns_servers=" + dns.dnsServers(),
                    "-o", "inet_interfaces=127.0.0.254", "-o", "inet_protocols=ipv4");
            assertEquals(0, rc, out() + err);
            assertTrue(out().contains("relay=mx.dest.test[127.0.0.1]:" + server.port() + ","), out());
            assertEquals(1, server.contents().size());
        }
    }

    @Test
    void sendTakesTheDnsReplyFilterFromTheCommandLine_LOOKUP18() throws Exception {
        try (io.postilion.dns.testserver.TestDnsServer dns = io.postilion.dns.testserver.TestDnsServer.start();
                FakeSmtpServer mx1 = FakeSmtpServer.start("127.0.0.2", server.port())) {
            dns.mx("dest.test", 10, "mx1.dest.test").mx("dest.test", 20, "mx2.dest.test")
                    .a("mx1.dest.test", "127.0.0.2").a("mx2.dest.test", "127.0.0.1");
            Path filter = dir.resolve("dns_reply_filter");
            java.nio.file.Files.writeString(filter, "/ IN MX 10 mx1\\.dest\\.test\\.$/ IGNORE\n");
            int rc = run("Subject: filter\n\nbody\n", "send", "--from", "me@client.test", "--to", "a@dest.test",
                    "--nexthop", "dest.test", "-o", "smtp_tcp_port=" + server.port(), "-o", "dns_servers=" + dns.dnsServers(),
                    "-o", "inet_interfaces=127.0.0.254", "-o", "inet_protocols=ipv4",
                    "-o", "smtp_dns_reply_filter=regexp:" + filter);
            assertEquals(0, rc, out() + err);
            assertTrue(out().contains("relay=mx2.dest.test[127.0.0.1]:" + server.port() + ","), out());
            assertEquals(0, mx1.sessions());
        }
    }

    @Test
    void sendTakesTheResolverOptionsFromTheCommandLine_LOOKUP17() throws Exception {
        try (io.postilion.dns.testserver.TestDnsServer dns = io.postilion.dns.testserver.TestDnsServer.start()) {
            dns.a("relay.corp.test", "127.0.0.1");
            int rc = run("Subject: search\n\nbody\n", "send", "--from", "me@client.test", "--to", "a@dest.test",
                    "--nexthop", "[relay]:" + server.port(), "-o", "dns_servers=" + dns.dnsServers(),
                    "-o", "inet_interfaces=127.0.0.254", "-o", "inet_protocols=ipv4",
                    "-o", "smtp_dns_resolver_options=res_defnames", "-o", "dns_search_domains=corp.test");
            assertEquals(0, rc, out() + err);
            assertTrue(out().contains("relay=relay[127.0.0.1]:" + server.port() + ","), out());
        }
    }

    @Test
    void dest8_aBadSmtpTcpPortStopsSendWithExit78NamingIt() {
        int rc = run("Subject: x\n\n", "send", "--from", "me@client.test", "--to", "a@x.test",
                "--nexthop", "[127.0.0.1]:" + server.port(), "-o", "smtp_tcp_port=smtpx-nosuch");
        assertEquals(78, rc, out() + err);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("smtp_tcp_port = smtpx-nosuch"), err.toString());
        assertEquals(0, server.sessions(), "nothing was sent");
    }

    @Test
    void sess5_sendBindsTheClientSocketToSmtpBindAddress() {
        int rc = run("Subject: bind\n\n", "send", "--from", "me@client.test", "--to", "a@x.test",
                "--nexthop", "[127.0.0.1]:" + server.port(), "-o", "smtp_bind_address=127.0.0.7");
        assertEquals(0, rc, out() + err);
        assertEquals(java.util.List.of("127.0.0.7"),
                server.clientAddresses().stream().map(a -> a.getAddress().getHostAddress()).toList());
    }

    @Test
    void sess5_aMalformedSmtpBindAddressStopsSendWithExit78NamingIt() {
        int rc = run("Subject: x\n\n", "send", "--from", "me@client.test", "--to", "a@x.test",
                "--nexthop", "[127.0.0.1]:" + server.port(), "-o", "smtp_bind_address=not-an-address");
        assertEquals(78, rc, out() + err);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("smtp_bind_address = not-an-address"), err.toString());
    }

    @Test
    void anUnknownParameterOnTheCommandLineIsMisuse_CLARIFICATIONS6() {
        int rc = run("x\n", "send", "--from", "a@b", "--to", "c@d", "--nexthop", "[127.0.0.1]:1", "-o", "smtp_no_such_thing=1");
        assertEquals(64, rc);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("smtp_no_such_thing"));
    }

    @Test
    void aBadValueIsAConfigurationErrorNamingParameterAndValue_CLARIFICATIONS6() {
        int rc = run("x\n", "send", "--from", "a@b", "--to", "c@d", "--nexthop", "[127.0.0.1]:1", "-o", "smtp_mx_session_limit=-3");
        assertEquals(78, rc);
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("smtp_mx_session_limit") && e.contains("-3"), e);
    }

    @Test
    void anUnknownTlsLevelStopsStartUpNamingIt() {
        int rc = run("x\n", "send", "--from", "a@b", "--to", "c@d", "--nexthop", "[127.0.0.1]:1", "-o", "smtp_tls_security_level=halfdane");
        assertEquals(78, rc);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("smtp_tls_security_level"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void missingArgumentsAreMisuse() {
        assertEquals(64, run("", "send", "--to", "a@b", "--nexthop", "x"));
        assertEquals(64, run("", "bogus"));
    }

    @Test
    void helpDocumentsEveryOption() {
        assertEquals(0, run("", "send", "--help"));
        for (String option : new String[] {"--from", "--to", "--nexthop", "--lmtp", "--flags", "--config", "-o", "FILE"}) {
            assertTrue(out().contains(option), option);
        }
    }

    @Test
    void anyBounceWinsOverADeferralInTheExitStatus() {
        server.reply(Stage.RCPT, (line, s) -> line.contains("bad@") ? "550 5.1.1 no" : "450 4.2.0 later");
        int rc = run("x\n", "send", "--from", "me@client.test", "--to", "bad@x.test", "--to", "later@x.test",
                "--nexthop", "[127.0.0.1]:" + server.port());
        assertEquals(SendCommand.EX_UNAVAILABLE, rc, out());
    }

    @Test
    void anUnreadableMessageFileIsAOneLineError() {
        int rc = run("", "send", "--from", "a@b", "--to", "c@d", "--nexthop", "[127.0.0.1]:1", dir.resolve("missing.eml").toString());
        assertEquals(66, rc);
        String e = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(1, e.lines().count(), e);
    }

    @Test
    void flagsPrependTheirHeadersInTheOrderROD_DATA22() {
        int rc = run("Subject: flags\n\nbody\n", "send", "--flags", "DOR", "--from", "me@client.test", "--to", "a@x.test",
                "--nexthop", "[127.0.0.1]:" + server.port());
        assertEquals(0, rc, out() + err);
        assertEquals("Return-Path: <me@client.test>\r\nX-Original-To: a@x.test\r\nDelivered-To: a@x.test\r\n"
                + "Subject: flags\r\n\r\nbody\r\n.\r\n", new String(server.contents().get(0), StandardCharsets.US_ASCII));
    }

    @Test
    void anUnknownFlagLetterIsAOneLineMisuse_DATA22() {
        int rc = run("x\n", "send", "--flags", "DZ", "--from", "a@b", "--to", "c@d", "--nexthop", "[127.0.0.1]:1");
        assertEquals(64, rc);
        String e = err.toString(StandardCharsets.UTF_8).strip();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.contains("'Z'"), e);
        assertEquals(0, server.sessions());
    }

    @Test
    void issue18_sendRefusesClientSaslRatherThanDeliveringWithoutIt() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int status = Main.run(new String[] {"send", "--from", "a@b.test", "--to", "c@d.test", "--nexthop", "[127.0.0.1]:9",
                "-o", "smtp_sasl_auth_enable=yes", "-o", "inet_interfaces=127.0.0.254"},
                new java.io.ByteArrayInputStream("Subject: x\n\nx\n".getBytes(StandardCharsets.US_ASCII)),
                new java.io.PrintStream(new java.io.ByteArrayOutputStream()), new java.io.PrintStream(err));
        org.junit.jupiter.api.Assertions.assertEquals(78, status, err.toString());
        org.junit.jupiter.api.Assertions.assertTrue(err.toString().contains("smtp_sasl_auth_enable"), err.toString());
    }


    // ------------------------------------------------------------------ issue 18: log format and SMTPUTF8

    @Test
    void theLinesSendPrintsFollowInfoLogAddressFormat_LOG2() {
        String nexthop = "[127.0.0.1]:" + server.port();
        assertEquals(0, run("x\n", "send", "--from", "me@client.test", "--to", "a b@x.test", "--nexthop", nexthop));
        assertTrue(out().contains(": to=<\"a b\"@x.test>, relay="), out());
        out.reset();
        assertEquals(0, run("x\n", "send", "--from", "me@client.test", "--to", "a b@x.test", "--nexthop", nexthop,
                "-o", "info_log_address_format=internal"));
        assertTrue(out().contains(": to=<a b@x.test>, relay="), out());
    }

    private String lastMailFrom() {
        java.util.List<String> mails = server.commands().stream().filter(c -> c.startsWith("MAIL FROM")).toList();
        return mails.get(mails.size() - 1);
    }

    /** DATA-20: the sendmail class (a default one) gives a UTF-8 submission SMTPUTF8; without it, not. */
    @Test
    void aUtf8SubmissionIsAutodetectedByTheSendmailClass_DATA20() {
        server.capabilities("PIPELINING", "8BITMIME", "SMTPUTF8");
        String nexthop = "[127.0.0.1]:" + server.port();
        assertEquals(0, run("Subject: x\n\nx\n", "send", "--from", "me@client.test", "--to", "\u00fc@x.test", "--nexthop", nexthop));
        assertTrue(lastMailFrom().endsWith(" SMTPUTF8"), lastMailFrom());

        assertEquals(0, run("Subject: Gr\u00fc\u00dfe\n\nx\n", "send", "--from", "me@client.test", "--to", "a@x.test",
                "--nexthop", nexthop));
        assertTrue(lastMailFrom().endsWith(" SMTPUTF8"), "a UTF-8 header counts too: " + lastMailFrom());

        assertEquals(0, run("Subject: x\n\nx\n", "send", "--from", "me@client.test", "--to", "\u00fc@x.test", "--nexthop", nexthop,
                "-o", "smtputf8_autodetect_classes=verify"));
        assertFalse(lastMailFrom().contains("SMTPUTF8"), lastMailFrom());

        server.capabilities("PIPELINING", "8BITMIME");
        assertEquals(SendCommand.EX_UNAVAILABLE, run("Subject: x\n\nx\n", "send", "--from", "me@client.test",
                "--to", "\u00fc@x.test", "--nexthop", nexthop));
        assertTrue(out().contains("dsn=5.6.7, status=bounced (message requires SMTPUTF8"), out());
        assertEquals(0, run("Subject: x\n\nx\n", "send", "--from", "me@client.test", "--to", "\u00fc@x.test", "--nexthop", nexthop,
                "-o", "smtputf8_enable=no"));
    }

    /** DATA-20: a probe is in the verify class (a default one). */
    @Test
    void aUtf8ProbeIsAutodetectedByTheVerifyClass_DATA20() {
        server.capabilities("PIPELINING", "8BITMIME", "SMTPUTF8");
        String nexthop = "[127.0.0.1]:" + server.port();
        assertEquals(0, run("", "send", "--verify", "--from", "me@client.test", "--to", "\u00fc@x.test", "--nexthop", nexthop));
        assertTrue(lastMailFrom().endsWith(" SMTPUTF8"), lastMailFrom());
        assertEquals(0, run("", "send", "--verify", "--from", "me@client.test", "--to", "\u00fc@x.test", "--nexthop", nexthop,
                "-o", "smtputf8_autodetect_classes=sendmail"));
        assertFalse(lastMailFrom().contains("SMTPUTF8"), lastMailFrom());
    }
}
