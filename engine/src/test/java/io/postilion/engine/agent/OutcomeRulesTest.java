package io.postilion.engine.agent;

import io.postilion.engine.delivery.DsnAction;
import io.postilion.engine.delivery.Results;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.DeliveryFlag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.Notify;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The outcome rules of spec sections 7, 11 and 12 checked one by one against scripted servers:
 * two servers on 127.0.0.2 and 127.0.0.3 (same port) make a destination list whose first item is
 * not final, so "non-final" and "final" server behaviour can be told apart without DNS.
 */
class OutcomeRulesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<FakeSmtpServer> servers = new ArrayList<>();
    private TestDnsServer dns;
    private int port;

    @AfterEach
    void stop() {
        servers.forEach(FakeSmtpServer::close);
        if (dns != null) {
            dns.close();
        }
    }

    /** Servers on 127.0.0.2, 127.0.0.3, ... all on one port. */
    private List<FakeSmtpServer> servers(int n) {
        for (int i = 0; i < n; i++) {
            FakeSmtpServer s = FakeSmtpServer.start("127.0.0." + (i + 2), port);
            port = s.port();
            servers.add(s);
        }
        return servers;
    }

    private String list() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < servers.size(); i++) {
            sb.append(i > 0 ? ", " : "").append("[127.0.0.").append(i + 2).append("]:").append(port);
        }
        return sb.toString();
    }

    private static AgentSettings.Builder settings(boolean lmtp) {
        SessionSettings session = (lmtp ? SessionSettings.lmtp("client.test") : SessionSettings.smtp("client.test"))
                .withTimeouts(Timeouts.all(Duration.ofSeconds(2))).withTls(TlsLevel.NONE, false);
        return AgentSettings.builder(session, "client.test").mxSessionLimit(0);
    }

    private DeliveryReport deliver(AgentSettings settings, String nexthop, DeliveryRequest.Builder req) {
        String dnsServers = dns != null ? dns.dnsServers() : "127.0.0.1:9";
        LookupSettings lookup = LookupSettings.defaults(settings.session().lmtp() ? DeliveryProtocol.LMTP : DeliveryProtocol.SMTP)
                .self(SelfAddresses.of("127.0.0.254", "")).inetProtocols(true, false).build();
        AsyncDnsResolver resolver = AsyncDnsResolver.create(DnsResolverConfig.parse(dnsServers, Duration.ofSeconds(1), 1));
        DeliveryAgent agent = new DeliveryAgent(settings, new NextHopResolver(resolver, lookup),
                settings.session().lmtp() ? DestinationParser.lmtp() : DestinationParser.smtp(), Clock.systemUTC());
        try {
            return agent.deliver(req.build()).block(WAIT);
        } finally {
            agent.close();
        }
    }

    private DeliveryReport deliver(AgentSettings settings, String... rcpts) {
        return deliver(settings, list(), request(list(), rcpts));
    }

    private static DeliveryRequest.Builder request(String nexthop, String... rcpts) {
        DeliveryRequest.Builder b = DeliveryRequest.builder("4ABC123", "s@client.test", nexthop)
                .content(ContentSource.of("Subject: rules\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));
        for (String r : rcpts) {
            b.recipient(r);
        }
        return b;
    }

    private static RecipientResult only(DeliveryReport r) {
        assertEquals(1, r.results().size(), r.toString());
        return r.results().get(0);
    }

    // ------------------------------------------------------------------ section 7

    @Test
    void theReplyCodeIsTheFinalLinesAndOnlyTheLastLineGivesTheStatus_REPLY4() {
        servers(1).get(0).reply(Stage.RCPT, "450-4.2.0 first line\r\n550 5.1.1 <a@dest.test>: no such user");
        RecipientResult r = only(deliver(settings(false).build(), "a@dest.test"));
        assertEquals(Outcome.BOUNCED, r.outcome(), "550 decides, not the 450 of the first line");
        assertEquals("5.1.1", r.status().text());
        // Both lines whole, each with its own code, joined with spaces, as Postfix quotes them.
        assertTrue(r.reason().contains("said: 450-4.2.0 first line 550 5.1.1 <a@dest.test>: no such user"), r.reason());
    }

    @Test
    void aSiteFailureKeepsRecipientsForTheNextServerAndDefersAtTheLast_REPLY9() {
        servers(2);
        servers.get(0).reply(Stage.GREETING, "421 4.3.2 too busy");
        DeliveryReport moved = deliver(settings(false).build(), "a@dest.test");
        assertEquals(Outcome.SENT, only(moved).outcome());
        assertEquals("127.0.0.3[127.0.0.3]:" + port, only(moved).relay());
        assertFalse(moved.throttle(), "a transaction went through");

        servers.get(1).reply(Stage.GREETING, "421 4.3.2 too busy");
        DeliveryReport deferred = deliver(settings(false).build(), "a@dest.test");
        assertEquals(Outcome.DEFERRED, only(deferred).outcome());
        assertEquals("host 127.0.0.3[127.0.0.3] refused to talk to me: 421 4.3.2 too busy", only(deferred).reason());
        assertTrue(deferred.throttle(), "site trouble and nothing delivered: the destination is throttled");
    }

    @Test
    void aHardHelloFailureBouncesEveryRecipientEvenAtANonFinalServer_REPLY9() {
        servers(2).get(0).reply(Stage.EHLO, "550 5.7.1 go away").reply(Stage.HELO, "550 5.7.1 go away");
        DeliveryReport r = deliver(settings(false).build(), "a@dest.test", "b@dest.test");
        assertEquals(List.of(Outcome.BOUNCED, Outcome.BOUNCED), r.results().stream().map(RecipientResult::outcome).toList());
        assertEquals(0, servers.get(1).sessions(), "a hard failure is not tried elsewhere");
    }

    @Test
    void aMessageFailureDefersWithoutThrottling_REPLY10() {
        servers(1).get(0).reply(Stage.MAIL, "452 4.3.1 insufficient system storage");
        DeliveryReport r = deliver(settings(false).build(), "a@dest.test", "b@dest.test");
        assertEquals(List.of(Outcome.DEFERRED, Outcome.DEFERRED), r.results().stream().map(RecipientResult::outcome).toList());
        assertEquals("host 127.0.0.2[127.0.0.2] said: 452 4.3.1 insufficient system storage (in reply to MAIL FROM command)",
                r.results().get(0).reason());
        assertFalse(r.throttle());
    }

    @Test
    void softFailuresMoveOnButHardOnesAreNeverRetriedElsewhere_REPLY16() {
        servers(2).get(0).reply(Stage.RCPT, (line, s) -> line.contains("hard@") ? "550 5.1.1 no such user"
                : line.contains("soft@") ? "450 4.2.1 mailbox busy" : "250 2.1.5 Ok");
        DeliveryReport r = deliver(settings(false).build(), "hard@dest.test", "soft@dest.test");
        assertEquals(Outcome.BOUNCED, r.results().get(0).outcome());
        assertEquals(Outcome.SENT, r.results().get(1).outcome());
        assertEquals("127.0.0.3[127.0.0.3]:" + port, r.results().get(1).relay());
        assertEquals(List.of("RCPT TO:<soft@dest.test>"),
                servers.get(1).commands().stream().filter(c -> c.startsWith("RCPT")).toList());
    }

    @Test
    void deferredRecipientsKeepTheirStatusReasonAndDelayedAction_REPLY17() {
        servers(1).get(0).reply(Stage.RCPT, "450 4.2.0 <a@dest.test>: greylisted");
        RecipientResult r = only(deliver(settings(false).build(), "a@dest.test"));
        assertEquals(Outcome.DEFERRED, r.outcome());
        assertEquals("4.2.0", r.status().text());
        assertEquals("delayed", r.action().word());
        assertEquals("host 127.0.0.2[127.0.0.2] said: 450 4.2.0 <a@dest.test>: greylisted (in reply to RCPT TO command)",
                r.reason());
    }

    @Test
    void bouncedRecipientsAreFinalWithTheFailedAction_REPLY18() {
        servers(1).get(0).reply(Stage.DOT, "554 5.6.0 content rejected");
        DeliveryReport r = deliver(settings(false).build(), "a@dest.test", "b@dest.test");
        for (RecipientResult x : r.results()) {
            assertEquals(Outcome.BOUNCED, x.outcome());
            assertFalse(x.outcome().staysQueued());
            assertEquals("failed", x.action().word());
            assertEquals("host 127.0.0.2[127.0.0.2] said: 554 5.6.0 content rejected (in reply to end of DATA command)",
                    x.reason());
        }
    }

    @Test
    void aMessageFailureMarksOnlyTheRecipientsStillUnmarked_XFER31() {
        servers(1).get(0).reply(Stage.RCPT, (line, x) -> line.contains("a@") ? "550 5.1.1 no such user" : "250 2.1.5 Ok")
                .reply(Stage.DATA, "451 4.3.0 queue full");
        DeliveryReport r = deliver(settings(false).build(), "a@dest.test", "b@dest.test");
        assertEquals(Outcome.BOUNCED, r.results().get(0).outcome(), "the RCPT verdict stands");
        assertEquals("5.1.1", r.results().get(0).status().text());
        assertEquals(Outcome.DEFERRED, r.results().get(1).outcome(), "DATA's 451 marks the one still open");
        assertEquals("4.3.0", r.results().get(1).status().text());
        assertTrue(r.results().get(1).reason().endsWith("(in reply to DATA command)"), r.results().get(1).reason());
    }

    // ------------------------------------------------------------------ DATA-25, REPLY-15

    @Test
    void flagXMakesAnLmtpSuccessDeliveredOnlyWithoutServerDsn_DATA25() {
        FakeSmtpServer lmtp = servers(1).get(0).lmtp(true);
        String nexthop = "inet:127.0.0.2:" + port;
        RecipientResult plain = only(deliver(settings(true).build(), nexthop, request(nexthop, "a@dest.test")));
        assertEquals("relayed", plain.action().word(), "without X");
        RecipientResult x = only(deliver(settings(true).build(), nexthop,
                request(nexthop, "a@dest.test").flags(EnumSet.of(DeliveryFlag.X))));
        assertEquals("delivered", x.action().word());
        RecipientResult assumed = only(deliver(settings(true).assumeFinal(true).build(), nexthop, request(nexthop, "a@dest.test")));
        assertEquals("delivered", assumed.action().word(), "lmtp_assume_final is the old spelling of X");
        lmtp.capabilities("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN");
        RecipientResult withDsn = only(deliver(settings(true).build(), nexthop,
                request(nexthop, "a@dest.test").flags(EnumSet.of(DeliveryFlag.X))));
        assertEquals("relayed", withDsn.action().word(), "a server with DSN takes the success notice over");
    }

    @Test
    void flagXChangesNothingInSmtpMode_DATA25() {
        servers(1);
        RecipientResult r = only(deliver(settings(false).build(), list(),
                request(list(), "a@dest.test").flags(EnumSet.of(DeliveryFlag.X))));
        assertEquals("relayed", r.action().word());
    }

    @Test
    void aSuccessNoticeIsOursOnlyWhenTheServerDidNotAnnounceDsn_REPLY15() {
        servers(1);
        DeliveryRequest.Builder req = DeliveryRequest.builder("Q1", "s@client.test", list())
                .recipient(new Recipient(0, "a@dest.test", "", Set.of(Notify.SUCCESS), ""))
                .recipient("b@dest.test")
                .content(ContentSource.of("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));
        DeliveryReport noDsn = deliver(settings(false).build(), list(), req);
        assertTrue(noDsn.results().get(0).successNotice());
        assertFalse(noDsn.results().get(1).successNotice(), "no NOTIFY=SUCCESS, no notice");
        servers.get(0).capabilities("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN");
        DeliveryReport dsn = deliver(settings(false).build(), list(), req);
        assertFalse(dsn.results().get(0).successNotice(), "the next server sends it");
        assertTrue(servers.get(0).commands().stream().anyMatch(c -> c.contains("NOTIFY=SUCCESS")), servers.get(0).commands().toString());
    }

    @Test
    void theReplyFilterRewritesAReplyLineBeforeItIsParsed_REPLY3() {
        servers(1).get(0).reply(Stage.RCPT, "550 5.7.1 blocked\u0001 by policy");
        AgentSettings s = settings(false).build();
        AgentSettings filtered = s.toBuilder().session(s.session().withReplyFilter(
                line -> line.equals("550 5.7.1 blocked? by policy") ? "450 4.7.1 blocked, try later" : line)).build();
        RecipientResult r = only(deliver(filtered, "a@dest.test"));
        assertEquals(Outcome.DEFERRED, r.outcome(), "the filter saw the line with '?' for the control character");
        assertEquals("4.7.1", r.status().text());
        assertTrue(r.reason().contains("said: 450 4.7.1 blocked, try later"), r.reason());
    }

    @Test
    void theReplyFilterIsReadFromMainCf_REPLY3(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path table = java.nio.file.Files.writeString(dir.resolve("reply_filter"),
                "/^550 5\\.7\\.1 (.*)$/ 451 4.7.1 $1\n");
        io.postilion.engine.config.Configuration cfg = io.postilion.engine.config.ConfigurationLoader.fromText(
                "smtp_reply_filter = regexp:" + table + "\n", "main.cf", List.of());
        servers(1).get(0).reply(Stage.RCPT, "550 5.7.1 go away");
        AgentSettings fromCfg = AgentConfiguration.agentSettings(cfg);
        AgentSettings s = settings(false).build();
        AgentSettings filtered = s.toBuilder().session(s.session().withReplyFilter(fromCfg.session().replyFilter())).build();
        RecipientResult r = only(deliver(filtered, "a@dest.test"));
        assertEquals(Outcome.DEFERRED, r.outcome());
        assertTrue(r.reason().contains("said: 451 4.7.1 go away"), r.reason());
    }

    // ------------------------------------------------------------------ section 11

    @Test
    void theStatusFilterTurnsAMatchingBounceIntoADeferral_LOG7(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path table = java.nio.file.Files.writeString(dir.resolve("dsn_filter"),
                "/^5\\.7\\.1 .*blocked/ 4.7.1 temporarily blocked\n/^2\\.0\\.0 / 5.0.0 not allowed\n");
        io.postilion.engine.config.Configuration cfg = io.postilion.engine.config.ConfigurationLoader.fromText(
                "smtp_delivery_status_filter = regexp:" + table + "\n", "main.cf", List.of());
        AgentSettings s = settings(false).statusFilter(AgentConfiguration.agentSettings(cfg).statusFilter()).build();
        servers(1).get(0).reply(Stage.RCPT, (line, x) -> line.contains("b@") ? "554 5.7.1 you are blocked" : "250 2.1.5 Ok");
        DeliveryReport r = deliver(s, "a@dest.test", "b@dest.test");
        RecipientResult bounced = r.results().get(1);
        assertEquals(Outcome.DEFERRED, bounced.outcome(), "a 4.x.x result makes the bounce a deferral");
        assertEquals("4.7.1", bounced.status().text());
        assertEquals("temporarily blocked", bounced.reason());
        assertEquals("delayed", bounced.action().word());
        RecipientResult sent = r.results().get(0);
        assertEquals(Outcome.SENT, sent.outcome(), "a success mapped to 5.0.0 is ignored with a warning");
        assertEquals("2.0.0", sent.status().text());
    }

    @Test
    void everyDecidedRecipientHasOneRecordWithItsDsnFields_LOG1() {
        servers(1).get(0).reply(Stage.RCPT, (line, s) -> line.contains("b@") ? "550 5.1.1 unknown" : "250 2.1.5 Ok");
        DeliveryReport r = deliver(settings(false).build(), "a@dest.test", "b@dest.test");
        assertEquals(2, r.results().size());
        RecipientResult sent = r.results().get(0);
        RecipientResult bounced = r.results().get(1);
        assertEquals("a@dest.test", sent.recipient().address());
        assertEquals(List.of("sent", "2.0.0", "relayed", "127.0.0.2[127.0.0.2]:" + port),
                List.of(sent.outcome().logWord(), sent.status().text(), sent.action().word(), sent.relay()));
        assertEquals(List.of("bounced", "5.1.1", "failed"), List.of(bounced.outcome().logWord(), bounced.status().text(), bounced.action().word()));
    }

    @Test
    void theLogLineShowsOrigToOnlyWhenItDiffersBeyondCaseAndConnUseOnlyOnReuse_LOG2() {
        DeliveryReport.Timings t = new DeliveryReport.Timings(Duration.ofMillis(1234), Duration.ZERO, Duration.ofMillis(10),
                Duration.ofMillis(500), Duration.ofMillis(724));
        RecipientResult aliased = Results.fromServer(new Recipient(0, "user@dest.test", "alias@dest.test", Set.of(), ""),
                Outcome.SENT, "2.0.0", DsnAction.RELAYED, "mx", "250 2.0.0 Ok", "250 2.0.0 Ok", "mx[192.0.2.1]:25", 1);
        assertEquals("Q1: to=<user@dest.test>, orig_to=<alias@dest.test>, relay=mx[192.0.2.1]:25, delay=1.2, "
                + "delays=0/0.01/0.5/0.72, dsn=2.0.0, status=sent (250 2.0.0 Ok)", DeliveryLog.line("Q1", aliased, t, io.postilion.engine.maillog.InfoLogFormat.DEFAULTS));
        RecipientResult caseOnly = Results.local(new Recipient(0, "user@dest.test", "USER@Dest.Test", Set.of(), ""),
                Outcome.DEFERRED, "4.4.1", "connect to mx[192.0.2.1]:25: Connection refused", "mx[192.0.2.1]:25", 3);
        assertEquals("Q1: to=<user@dest.test>, relay=mx[192.0.2.1]:25, conn_use=3, delay=1.2, delays=0/0.01/0.5/0.72, "
                + "dsn=4.4.1, status=deferred (connect to mx[192.0.2.1]:25: Connection refused)", DeliveryLog.line("Q1", caseOnly, t, io.postilion.engine.maillog.InfoLogFormat.DEFAULTS));
    }

    @Test
    void aLookupFailureLogsRelayNoneAndNoTransmissionTime_LOG3() throws Exception {
        dns = TestDnsServer.start();
        DeliveryReport r = deliver(settings(false).build(), "nosuch.dest.test", request("nosuch.dest.test", "a@nosuch.dest.test"));
        RecipientResult x = only(r);
        assertEquals("none", x.relay());
        assertEquals(Duration.ZERO, r.timings().transmission());
        assertTrue(DeliveryLog.line("Q", x, r.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS).matches(".*, delays=[0-9.]+/[0-9.]+/[0-9.]+/0, dsn=.*"),
                DeliveryLog.line("Q", x, r.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS));
    }

    @Test
    void reasonTextsUsePostfixsWording_LOG6() throws Exception {
        int free;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.2"))) {
            free = probe.getLocalPort();
        }
        String refused = "[127.0.0.2]:" + free;
        RecipientResult connect = only(deliver(settings(false).build(), refused, request(refused, "a@dest.test")));
        assertEquals("connect to 127.0.0.2[127.0.0.2]:" + free + ": Connection refused", connect.reason());
        assertEquals("4.4.1", connect.status().text());

        servers(1).get(0).dropAfter(Stage.MAIL);
        RecipientResult lost = only(deliver(settings(false).build(), "a@dest.test"));
        assertTrue(lost.reason().startsWith("lost connection with 127.0.0.2[127.0.0.2] while "), lost.reason());
        assertEquals("4.4.2", lost.status().text());
    }

    @Test
    void aSkippedServerGetsAnInformationalLineAndEveryRecipientItsDeliveryLine_LOG8() throws Exception {
        int free;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.3"))) {
            free = probe.getLocalPort();
        }
        servers(1);
        String nexthop = "[127.0.0.3]:" + free + ", [127.0.0.2]:" + port;
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
        DeliveryReport r;
        try {
            r = deliver(settings(false).build(), nexthop, request(nexthop, "a@dest.test"));
        } finally {
            System.setErr(saved);
        }
        assertEquals(Outcome.SENT, only(r).outcome());
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("4ABC123: connect to 127.0.0.3[127.0.0.3]:" + free + ": Connection refused"), log);
        assertTrue(log.contains("4ABC123: to=<a@dest.test>, relay=127.0.0.2[127.0.0.2]:" + port), log);
    }

    // ------------------------------------------------------------------ section 12

    @Test
    void lmtpReadsOneEndOfDataReplyPerRecipientAndNeverLooksUpMx_MISC6() {
        FakeSmtpServer lmtp = servers(1).get(0).lmtp(true);
        lmtp.lmtpDotReply((line, k) -> k == 1 ? "452 4.2.2 mailbox full" : "250 2.0.0 Ok");
        String nexthop = "inet:127.0.0.2:" + port;
        DeliveryReport r = deliver(settings(true).build(), nexthop, request(nexthop, "a@dest.test", "b@dest.test", "c@dest.test"));
        assertEquals(List.of(Outcome.SENT, Outcome.DEFERRED, Outcome.SENT), r.results().stream().map(RecipientResult::outcome).toList());
        assertTrue(lmtp.commands().get(0).startsWith("LHLO "), lmtp.commands().toString());
    }

    @Test
    void everyRecipientIsAccountedForExactlyOnceWhateverTheServersSay_MISC7() {
        servers(2);
        Random random = new Random(42);
        String[] replies = {"250 2.1.5 Ok", "450 4.2.0 later", "550 5.1.1 no"};
        for (int round = 0; round < 20; round++) {
            for (FakeSmtpServer s : servers) {
                s.reply(Stage.RCPT, (line, x) -> replies[Math.floorMod(line.hashCode() + random.nextInt(3), 3)]);
                s.reply(Stage.DOT, random.nextInt(4) == 0 ? "451 4.3.0 try later" : "250 2.0.0 Ok");
            }
            String[] rcpts = new String[1 + random.nextInt(6)];
            for (int i = 0; i < rcpts.length; i++) {
                rcpts[i] = "r" + round + "x" + i + "@dest.test";
            }
            DeliveryReport r = deliver(settings(false).build(), rcpts);
            assertEquals(rcpts.length, r.results().size(), "one result per recipient");
            for (int i = 0; i < rcpts.length; i++) {
                assertEquals(rcpts[i], r.results().get(i).recipient().address(), "in request order, none twice");
            }
            for (FakeSmtpServer s : servers) {
                List<String> rcptLines = s.commands().stream().filter(c -> c.startsWith("RCPT")).toList();
                assertEquals(rcptLines.size(), Set.copyOf(rcptLines).size(), "no recipient sent twice to one server");
            }
            for (RecipientResult x : r.results()) {
                if (x.outcome() == Outcome.BOUNCED && x.relay().startsWith("127.0.0.2[")) {
                    assertFalse(servers.get(1).commands().contains("RCPT TO:<" + x.recipient().address() + ">"),
                            "a recipient decided at the first server is never sent again: " + x);
                }
            }
        }
    }
}
