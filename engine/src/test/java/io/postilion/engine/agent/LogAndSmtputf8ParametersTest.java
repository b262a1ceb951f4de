package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.maillog.MailLog;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logging and SMTPUTF8 parameters of issue 18, each set in main.cf text, read by the agent the
 * relay and {@code send} build, and seen where Postfix shows them: the mail log's delivery and
 * debug lines (info_log_address_format LOG-2, delay_logging_resolution_limit LOG-4,
 * debug_peer_level MISC-3) and the conversation with the scripted server (smtputf8_enable:
 * REPLY-1, DATA-21, SESS-16, DEST-5).
 */
class LogAndSmtputf8ParametersTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final FakeSmtpServer server = FakeSmtpServer.start("127.0.0.2", 0);
    private TestDnsServer dns;
    private final List<DeliveryAgent> agents = new ArrayList<>();

    @AfterEach
    void stop() {
        agents.forEach(DeliveryAgent::close);
        server.close();
        if (dns != null) {
            dns.close();
        }
    }

    private String nexthop() {
        return "[127.0.0.2]:" + server.port();
    }

    /** An agent from main.cf parameters, as the relay builds it; loopback is not "myself", short timers. */
    private DeliveryAgent agent(Clock clock, String... more) throws Exception {
        if (dns == null) {
            dns = TestDnsServer.start();
        }
        List<String> o = new ArrayList<>(List.of("inet_interfaces=127.0.0.254", "inet_protocols=ipv4",
                "dns_servers=" + dns.dnsServers(), "myhostname=client.test", "smtp_tls_security_level=none",
                "smtp_connect_timeout=3s", "smtp_helo_timeout=3s", "smtp_mail_timeout=3s", "smtp_rcpt_timeout=3s",
                "smtp_data_init_timeout=3s", "smtp_data_xfer_timeout=3s", "smtp_data_done_timeout=3s"));
        o.addAll(List.of(more));
        DeliveryAgent a = DeliveryAgent.builder(ConfigurationLoader.fromText("", "(test)", o)).clock(clock).build();
        agents.add(a);
        return a;
    }

    private DeliveryAgent agent(String... more) throws Exception {
        return agent(Clock.systemUTC(), more);
    }

    private static DeliveryRequest.Builder request(String nexthop) {
        return DeliveryRequest.builder("4LOGP1", "s@client.test", nexthop)
                .content(ContentSource.of("Subject: log\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));
    }

    /** Runs {@code work} with a mail log installed; gives what it wrote. */
    private String mailLog(Supplier<?> work) throws Exception {
        Path file = Files.createTempFile(dir, "maillog", "");
        MailLog log = MailLog.open(file, "client", "postilion", Clock.systemUTC());
        MailLog.install(log);
        try {
            work.get();
        } finally {
            log.close();
        }
        return Files.readString(file);
    }

    private static String deliveryLine(String log) {
        return log.lines().filter(l -> l.contains(": to=<")).findFirst().orElseThrow(() -> new AssertionError(log));
    }

    // ------------------------------------------------------------------ LOG-2

    @Test
    void infoLogAddressFormatDecidesWhetherTheDeliveryLineQuotesAddresses_LOG2() throws Exception {
        Recipient quoted = new Recipient(0, "a b@dest.test", "o p@dest.test", Set.of(), "");
        DeliveryAgent external = agent();
        String log = mailLog(() -> external.deliver(request(nexthop()).recipient(quoted).build()).block(WAIT));
        assertTrue(deliveryLine(log).contains(": to=<\"a b\"@dest.test>, orig_to=<\"o p\"@dest.test>, relay="), log);
        assertTrue(server.commands().contains("RCPT TO:<\"a b\"@dest.test>"), server.commands().toString());

        DeliveryAgent internal = agent("info_log_address_format=internal");
        log = mailLog(() -> internal.deliver(request(nexthop()).recipient(quoted).build()).block(WAIT));
        assertTrue(deliveryLine(log).contains(": to=<a b@dest.test>, orig_to=<o p@dest.test>, relay="), log);
        assertTrue(server.commands().contains("RCPT TO:<\"a b\"@dest.test>"), "the wire keeps RFC 5321 quoting");
    }

    // ------------------------------------------------------------------ LOG-4

    @Test
    void delayLoggingResolutionLimitSetsTheDigitsAfterThePoint_LOG4() throws Exception {
        // A clock that stands still: only the 1234 microseconds before the active queue count.
        Instant now = Instant.parse("2026-12-07T12:00:00Z");
        Clock still = Clock.fixed(now, ZoneOffset.UTC);
        DeliveryRequest req = request(nexthop()).recipient("a@dest.test").times(now.minusNanos(1_234_000), now).build();

        DeliveryAgent byDefault = agent(still);
        String two = deliveryLine(mailLog(() -> byDefault.deliver(req).block(WAIT)));
        assertTrue(two.contains(", delay=0, delays=0/0/0/0, "), two);

        DeliveryAgent four = agent(still, "delay_logging_resolution_limit=4");
        String line = deliveryLine(mailLog(() -> four.deliver(req).block(WAIT)));
        assertTrue(line.contains(", delay=0.0012, delays=0.0012/0/0/0, "), line);

        DeliveryAgent none = agent(still, "delay_logging_resolution_limit=0");
        DeliveryRequest slow = request(nexthop()).recipient("a@dest.test").times(now.minusMillis(1_600), now).build();
        line = deliveryLine(mailLog(() -> none.deliver(slow).block(WAIT)));
        assertTrue(line.contains(", delay=2, delays=2/0/0/0, "), line);
    }

    // ------------------------------------------------------------------ MISC-3

    @Test
    void debugPeerLevelOneLogsTheConversationAndTwoAddsTheServerFeatures_MISC3() throws Exception {
        String peer = "127.0.0.2[127.0.0.2]:" + server.port();
        DeliveryAgent one = agent("debug_peer_list=127.0.0.0/8", "debug_peer_level=1");
        String log = mailLog(() -> one.deliver(request(nexthop()).recipient("a@dest.test").build()).block(WAIT));
        assertTrue(log.contains("postilion/smtp[" + ProcessHandle.current().pid() + "]: > " + peer + ": MAIL FROM:<s@client.test>\n"),
                log);
        assertTrue(log.contains(": < " + peer + ": 250 2.1.0 Ok\n"), log);
        assertFalse(log.contains("server features"), log);

        DeliveryAgent two = agent("debug_peer_list=127.0.0.0/8");
        log = mailLog(() -> two.deliver(request(nexthop()).recipient("a@dest.test").build()).block(WAIT));
        assertTrue(log.contains(": > " + peer + ": MAIL FROM:<s@client.test>\n"), log);
        assertTrue(log.contains(": server features: 8BITMIME PIPELINING ENHANCEDSTATUSCODES, size 0 (" + peer + ")\n"), log);

        DeliveryAgent unlisted = agent("debug_peer_list=example.com", "debug_peer_level=5");
        log = mailLog(() -> unlisted.deliver(request(nexthop()).recipient("a@dest.test").build()).block(WAIT));
        assertFalse(log.contains("MAIL FROM") || log.contains("server features"), log);
    }

    // ------------------------------------------------------------------ REPLY-1

    @Test
    void withSmtputf8OffUtf8InAReplyIsCensoredByteByByte_REPLY1() throws Exception {
        server.reply(Stage.RCPT, "550 5.1.1 Empf\u00e4nger \u9001 unbekannt");
        RecipientResult on = agent().deliver(request(nexthop()).recipient("a@dest.test").build()).block(WAIT).results().get(0);
        assertEquals("host 127.0.0.2[127.0.0.2] said: 550 5.1.1 Empf\u00e4nger \u9001 unbekannt (in reply to RCPT TO command)",
                on.reason());

        RecipientResult off = agent("smtputf8_enable=no").deliver(request(nexthop()).recipient("a@dest.test").build())
                .block(WAIT).results().get(0);
        assertEquals("host 127.0.0.2[127.0.0.2] said: 550 5.1.1 Empf??nger ??? unbekannt (in reply to RCPT TO command)",
                off.reason());
    }

    // ------------------------------------------------------------------ DATA-21, SESS-16

    @Test
    void withSmtputf8OffNoSmtputf8IsAskedOfTheServer_DATA21() throws Exception {
        server.capabilities("PIPELINING", "8BITMIME", "SMTPUTF8");
        DeliveryRequest asks = request(nexthop()).recipient("a@dest.test").smtputf8(true, true).build();
        agent().deliver(asks).block(WAIT);
        assertTrue(server.commands().stream().anyMatch(c -> c.startsWith("MAIL FROM:<s@client.test>") && c.contains(" SMTPUTF8")),
                server.commands().toString());

        agent("smtputf8_enable=no").deliver(asks).block(WAIT);
        List<String> mails = server.commands().stream().filter(c -> c.startsWith("MAIL FROM")).toList();
        assertFalse(mails.get(mails.size() - 1).contains("SMTPUTF8"), mails.toString());
    }

    @Test
    void withSmtputf8OffAUtf8RecipientIsNotRefusedForAServerWithoutIt_SESS16() throws Exception {
        DeliveryRequest asks = request(nexthop()).recipient("\u00fcser@dest.test").smtputf8(true, false).build();
        RecipientResult on = agent().deliver(asks).block(WAIT).results().get(0);
        assertEquals(Outcome.BOUNCED, on.outcome(), on.reason());
        assertEquals("5.6.7", on.status().text());

        RecipientResult off = agent("smtputf8_enable=no").deliver(asks).block(WAIT).results().get(0);
        assertEquals(Outcome.SENT, off.outcome(), off.reason());
    }

    // ------------------------------------------------------------------ DEST-5

    @Test
    void withSmtputf8OffAUtf8NexthopHostIsASyntaxError_DEST5() throws Exception {
        RecipientResult off = agent("smtputf8_enable=no").deliver(request("b\u00fccher.test:" + server.port())
                .recipient("a@dest.test").build()).block(WAIT).results().get(0);
        assertEquals(Outcome.DEFERRED, off.outcome());
        assertTrue(off.reason().contains("bad host name \"b\u00fccher.test\""), off.reason());

        dns.mx("xn--bcher-kva.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2");
        RecipientResult on = agent("smtp_tcp_port=" + server.port()).deliver(request("b\u00fccher.test")
                .recipient("a@dest.test").build()).block(WAIT).results().get(0);
        assertEquals(Outcome.SENT, on.outcome(), on.reason());
    }

    @Test
    void anUnknownAutodetectClassStopsStartUpNamingTheParameter() throws Exception {
        ConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigurationException.class,
                () -> agent("smtputf8_autodetect_classes=sendmail, smtp"));
        assertEquals(78, e.exitStatus());
        assertEquals("smtputf8_autodetect_classes", e.parameter().orElseThrow());
    }
}
