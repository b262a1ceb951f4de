package io.postilion.engine.agent;

import io.postilion.engine.delivery.DsnAction;
import io.postilion.engine.delivery.Results;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.PostmasterTranscript;

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
import io.postilion.transport.protocol.ClientOrigin;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * The agent's rules of spec section 12 and the diagnostics of section 11 that need a server:
 * address verification probes (MISC-1), best_mx_transport (MISC-2), debug_peer_list (MISC-3),
 * XFORWARD (MISC-4, XFER-2), the tls= field (LOG-5) and the postmaster transcript (LOG-9).
 */
class DiagnosticsAndProbesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final FakeSmtpServer server = FakeSmtpServer.start("127.0.0.2", 0);
    private TestDnsServer dns;

    @AfterEach
    void stop() {
        server.close();
        if (dns != null) {
            dns.close();
        }
    }

    private String nexthop() {
        return "[127.0.0.2]:" + server.port();
    }

    private static AgentSettings.Builder settings() {
        SessionSettings session = SessionSettings.smtp("client.test").withTimeouts(Timeouts.all(Duration.ofSeconds(3)))
                .withTls(TlsLevel.NONE, false);
        return AgentSettings.builder(session, "client.test");
    }

    private DeliveryAgent agent(AgentSettings settings) {
        String servers = dns != null ? dns.dnsServers() : "127.0.0.1:9";
        LookupSettings lookup = LookupSettings.defaults(DeliveryProtocol.SMTP).self(SelfAddresses.of("127.0.0.254", ""))
                .inetProtocols(true, false).build();
        AsyncDnsResolver resolver = AsyncDnsResolver.create(DnsResolverConfig.parse(servers, Duration.ofSeconds(1), 1));
        return new DeliveryAgent(settings, new NextHopResolver(resolver, lookup), DestinationParser.smtp(), Clock.systemUTC());
    }

    private static DeliveryRequest.Builder request(String nexthop, String... rcpts) {
        DeliveryRequest.Builder b = DeliveryRequest.builder("4DIAG1", "s@client.test", nexthop)
                .content(ContentSource.of("Subject: diag\r\n\r\nsecret body\r\n".getBytes(StandardCharsets.US_ASCII)));
        for (String r : rcpts) {
            b.recipient(r);
        }
        return b;
    }

    private DeliveryReport deliver(AgentSettings settings, DeliveryRequest.Builder req) {
        DeliveryAgent agent = agent(settings);
        try {
            return agent.deliver(req.build()).block(WAIT);
        } finally {
            agent.close();
        }
    }

    /** Runs {@code work} with standard error (slf4j-simple's log) captured. */

    private static List<Outcome> outcomes(DeliveryReport r) {
        return r.results().stream().map(RecipientResult::outcome).toList();
    }

    // ------------------------------------------------------------------ MISC-1

    @Test
    void aRcptProbeRecordsEachAcceptedRecipientDeliverableWithItsRcptReply_MISC1() {
        server.reply(Stage.RCPT, (line, s) -> line.contains("gone@") ? "550 5.1.1 no such user"
                : line.contains("later@") ? "450 4.2.0 try later" : "250 2.1.5 Ok");
        DeliveryReport r = deliver(settings().build(),
                request(nexthop(), "ok@dest.test", "gone@dest.test", "later@dest.test").probe(true));
        assertEquals(List.of(Outcome.DELIVERABLE, Outcome.UNDELIVERABLE, Outcome.UNDELIVERABLE), outcomes(r));
        assertEquals("2.1.5", r.results().get(0).status().text());
        assertEquals("250 2.1.5 Ok", r.results().get(0).reason());
        assertEquals("5.1.1", r.results().get(1).status().text());
        assertEquals("4.2.0", r.results().get(2).status().text(), "a soft refusal keeps its 4.x.x status for the verifier");
        List<String> cmds = server.commands();
        assertTrue(cmds.contains("RSET") && !cmds.contains("DATA"), cmds.toString());
        assertTrue(server.contents().isEmpty());
        String line = DeliveryLog.line(r.queueId(), r.results().get(0), r.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS);
        assertTrue(line.endsWith("dsn=2.1.5, status=deliverable (250 2.1.5 Ok)"), line);
    }

    /**
     * Postfix's verify_append: with address_verify_negative_cache = no a failed probe is not
     * recorded by the verify service and is logged "undeliverable-but-not-cached"; a success is
     * still "deliverable". The setting is read from main.cf by the configured agent.
     */
    @Test
    void withoutTheNegativeCacheAFailedProbeIsUndeliverableButNotCached_MISC1_CLARIFICATION7() {
        server.reply(Stage.RCPT, (line, s) -> line.contains("gone@") ? "550 5.1.1 no such user"
                : line.contains("later@") ? "450 4.2.0 try later" : "250 2.1.5 Ok");
        var cfg = io.postilion.engine.config.ConfigurationLoader.fromText("address_verify_negative_cache = no\n",
                "main.cf", List.of());
        assertFalse(io.postilion.engine.agent.AgentConfiguration.agentSettings(cfg.forSmtp()).verifyNegativeCache());
        DeliveryReport r = deliver(settings().verifyNegativeCache(false).build(),
                request(nexthop(), "ok@dest.test", "gone@dest.test", "later@dest.test").probe(true));
        assertEquals(List.of(Outcome.DELIVERABLE, Outcome.UNDELIVERABLE_NOT_CACHED, Outcome.UNDELIVERABLE_NOT_CACHED),
                outcomes(r));
        assertEquals("5.1.1", r.results().get(1).status().text());
        assertEquals("undeliverable-but-not-cached", r.results().get(1).action().word());
        String line = DeliveryLog.line(r.queueId(), r.results().get(1), r.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS);
        assertTrue(line.endsWith("dsn=5.1.1, status=undeliverable-but-not-cached (host 127.0.0.2[127.0.0.2] said: "
                + "550 5.1.1 no such user (in reply to RCPT TO command))"), line);
        DeliveryReport cached = deliver(settings().build(), request(nexthop(), "gone@dest.test").probe(true));
        assertEquals(List.of(Outcome.UNDELIVERABLE), outcomes(cached));
    }

    @Test
    void aDataProbeRecordsDeliverableWith200WhenDataGets354AndSendsNoContent_MISC1() {
        DeliveryReport r = deliver(settings().verifyTarget(ProbeTarget.DATA).build(),
                request(nexthop(), "ok@dest.test").probe(true));
        assertEquals(List.of(Outcome.DELIVERABLE), outcomes(r));
        assertEquals("2.0.0", r.results().get(0).status().text());
        assertTrue(r.results().get(0).reason().startsWith("354 "), r.results().get(0).reason());
        List<String> cmds = server.commands();
        assertEquals("DATA", cmds.get(cmds.size() - 1), "dropped right after 354: " + cmds);
        assertTrue(server.contents().isEmpty());
    }

    @Test
    void aDataProbeRefusedAtDataIsUndeliverable_MISC1() {
        server.reply(Stage.DATA, "554 5.7.1 recipients refused after all");
        DeliveryReport r = deliver(settings().verifyTarget(ProbeTarget.DATA).build(),
                request(nexthop(), "ok@dest.test").probe(true));
        assertEquals(List.of(Outcome.UNDELIVERABLE), outcomes(r));
        assertEquals("5.7.1", r.results().get(0).status().text());
        assertTrue(r.results().get(0).reason().endsWith("(in reply to DATA command)"), r.results().get(0).reason());
    }

    @Test
    void aProbeAtAnUnreachableServerIsUndeliverableWithItsSoftStatus_MISC1() throws Exception {
        int free;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.3"))) {
            free = probe.getLocalPort();
        }
        DeliveryReport r = deliver(settings().build(), request("[127.0.0.3]:" + free, "ok@dest.test").probe(true));
        assertEquals(List.of(Outcome.UNDELIVERABLE), outcomes(r));
        assertEquals("4.4.1", r.results().get(0).status().text());
    }

    // ------------------------------------------------------------------ MISC-2

    @Test
    void mailForADestinationWhoseBestMxIsUsGoesToBestMxTransport_MISC2() throws Exception {
        dns = TestDnsServer.start();
        dns.mx("loop.test", 10, "mx.loop.test").a("mx.loop.test", "127.0.0.254");
        AtomicReference<String> handedTo = new AtomicReference<>();
        DeliveryAgent agent = agent(settings().bestMxTransport("lmtp:inet:127.0.0.9:24").build());
        agent.bestMxHandoff((transport, nexthop, request) -> {
            handedTo.set(transport + " " + nexthop + " " + request.recipients().size());
            return Mono.just(new DeliveryReport(request.queueId(), request.recipients().stream()
                    .map(rcpt -> Results.fromServer(rcpt, Outcome.SENT, "2.0.0", DsnAction.DELIVERED, "local", "250 2.0.0 stored", "250 2.0.0 stored", "local", 1))
                    .toList(), false, new DeliveryReport.Timings(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO,
                            Duration.ZERO)));
        });
        DeliveryReport r;
        try {
            r = agent.deliver(request("loop.test", "a@loop.test", "b@loop.test").build()).block(WAIT);
        } finally {
            agent.close();
        }
        assertEquals("lmtp inet:127.0.0.9:24 2", handedTo.get());
        assertEquals(List.of(Outcome.SENT, Outcome.SENT), outcomes(r));
        assertEquals("250 2.0.0 stored", r.results().get(0).reason());
    }

    @Test
    void withoutBestMxTransportTheLoopBounces546_MISC2() throws Exception {
        dns = TestDnsServer.start();
        dns.mx("loop.test", 10, "mx.loop.test").a("mx.loop.test", "127.0.0.254");
        DeliveryReport r = deliver(settings().build(), request("loop.test", "a@loop.test"));
        assertEquals(List.of(Outcome.BOUNCED), outcomes(r));
        assertEquals("5.4.6", r.results().get(0).status().text());
    }

    @Test
    void aBestMxTransportTheCallerDoesNotKnowDefersAsAConfigurationError_MISC2() throws Exception {
        dns = TestDnsServer.start();
        dns.mx("loop.test", 10, "mx.loop.test").a("mx.loop.test", "127.0.0.254");
        DeliveryReport r = deliver(settings().bestMxTransport("local").build(), request("loop.test", "a@loop.test"));
        assertEquals(List.of(Outcome.DEFERRED), outcomes(r));
        assertEquals("4.3.5", r.results().get(0).status().text());
    }

    // ------------------------------------------------------------------ MISC-3

    @Test
    void aListedPeerHasItsConversationLoggedAndOthersDoNot_MISC3() {
        StringBuilder log = new StringBuilder();
        LogCapture.capturingLog(log, () -> deliver(settings().debugPeers(DebugPeers.parse(List.of("127.0.0.0/8"))).build(),
                request(nexthop(), "a@dest.test")));
        String server = "127.0.0.2[127.0.0.2]:" + server().port();
        assertTrue(log.toString().contains("> " + server + ": MAIL FROM:<s@client.test>"), log.toString());
        assertTrue(log.toString().contains("< " + server + ": 250 2.1.0 Ok"), log.toString());
        assertFalse(log.toString().contains("secret body"), "content is never logged");

        StringBuilder quiet = new StringBuilder();
        LogCapture.capturingLog(quiet, () -> deliver(settings().debugPeers(DebugPeers.parse(List.of("example.com"))).build(),
                request(nexthop(), "a@dest.test")));
        assertFalse(quiet.toString().contains("MAIL FROM:<s@client.test>"), quiet.toString());
    }

    @Test
    void aListedNexthopDomainLogsEverySessionOfTheRequest_MISC3() {
        DebugPeers peers = DebugPeers.parse(List.of("example.com"));
        assertTrue(peers.matchesNexthop("example.com"));
        assertTrue(peers.matchesNexthop("[mx.example.com]:2525"));
        assertTrue(peers.matchesNexthop("example.com, fallback.test"));
        assertFalse(peers.matchesNexthop("notexample.com"));
        assertFalse(DebugPeers.parse(List.of(".example.com")).matchesNexthop("example.com"), ".domain: subdomains only");
        assertTrue(DebugPeers.parse(List.of(".example.com")).matchesNexthop("mx.example.com"));
    }

    private FakeSmtpServer server() {
        return server;
    }

    // ------------------------------------------------------------------ MISC-4, XFER-2

    @Test
    void withSendXforwardTheOriginalClientIsForwardedBeforeMail_MISC4_XFER2() {
        server.capabilities("PIPELINING", "XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE");
        ClientOrigin origin = new ClientOrigin("app.client.test", "192.0.2.7", "40001", "ESMTP", "app.client.test", true);
        DeliveryReport r = deliver(settings().sendXforward(true).build(), request(nexthop(), "a@dest.test").origin(origin));
        assertEquals(List.of(Outcome.SENT), outcomes(r));
        List<String> cmds = server.commands();
        int mail = cmds.indexOf("MAIL FROM:<s@client.test>");
        assertEquals(List.of("XFORWARD NAME=app.client.test ADDR=192.0.2.7 PORT=40001",
                "XFORWARD PROTO=ESMTP HELO=app.client.test IDENT=4DIAG1 SOURCE=REMOTE"), cmds.subList(mail - 2, mail));
    }

    @Test
    void xforwardIsNotSentByDefaultNorToServersThatDoNotOfferIt_MISC4_XFER2() {
        server.capabilities("PIPELINING", "XFORWARD NAME ADDR");
        deliver(settings().build(), request(nexthop(), "a@dest.test"));
        assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("XFORWARD")), server.commands().toString());
        server.capabilities("PIPELINING");
        deliver(settings().sendXforward(true).build(), request(nexthop(), "a@dest.test"));
        assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("XFORWARD")), server.commands().toString());
    }

    @Test
    void aRefusedXforwardIsAWarningAndTheMailStillGoes_XFER2() {
        server.capabilities("PIPELINING", "XFORWARD IDENT SOURCE").reply(Stage.XFORWARD, "421 4.7.0 not now");
        StringBuilder log = new StringBuilder();
        DeliveryReport r = LogCapture.capturingLog(log, () -> deliver(settings().sendXforward(true).build(),
                request(nexthop(), "a@dest.test")));
        assertEquals(List.of(Outcome.SENT), outcomes(r));
        assertTrue(log.toString().contains("said: 421 4.7.0 not now (in reply to XFORWARD helo/protocol command)"),
                log.toString());
    }

    // ------------------------------------------------------------------ LOG-5

    @Test
    void theLogLineShowsMayDowngradedToNoneForAPlaintextServer_LOG5() {
        AgentSettings s = settings().session(settings().build().session().withTls(TlsLevel.MAY, false)).build();
        DeliveryReport r = deliver(s, request(nexthop(), "a@dest.test"));
        RecipientResult x = r.results().get(0);
        assertEquals("may:none", x.tls());
        assertTrue(DeliveryLog.line(r.queueId(), x, r.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS).contains(", tls=may:none, dsn=2.0.0, status=sent"));
    }

    @Test
    void theLogLineShowsAnUndecidedLevelWhenNoServerAnswered_LOG5() throws Exception {
        int free;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.3"))) {
            free = probe.getLocalPort();
        }
        AgentSettings s = settings().session(settings().build().session().withTls(TlsLevel.MAY, false)).build();
        DeliveryReport r = deliver(s, request("[127.0.0.3]:" + free, "a@dest.test"));
        assertEquals("may?", r.results().get(0).tls());
    }

    @Test
    void smtpLogTlsFeatureStatusNoLeavesTheFieldOut_LOG5() {
        DeliveryReport r = deliver(settings().logTlsStatus(false).build(), request(nexthop(), "a@dest.test"));
        assertEquals("", r.results().get(0).tls());
        assertFalse(DeliveryLog.line(r.queueId(), r.results().get(0), r.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS).contains("tls="));
    }

    // ------------------------------------------------------------------ LOG-9

    @Test
    void aProtocolErrorEarnsThePostmasterATranscriptWhenNotifyClassesListProtocol_LOG9() {
        server.reply(Stage.RCPT, "500 5.5.2 syntax error, go away");
        AgentSettings s = settings().notices(PostmasterNotices.of(List.of("protocol"), "postmaster")).build();
        DeliveryReport r = deliver(s, request(nexthop(), "a@dest.test"));
        assertEquals(1, r.transcripts().size(), r.toString());
        PostmasterTranscript t = r.transcripts().get(0);
        assertEquals("postmaster", t.recipient());
        assertEquals("127.0.0.2[127.0.0.2]:" + server.port(), t.server());
        assertTrue(t.lines().contains("Out: RCPT TO:<a@dest.test>"), t.lines().toString());
        assertTrue(t.lines().contains("In: 500 5.5.2 syntax error, go away"), t.lines().toString());
        assertTrue(t.lines().stream().noneMatch(l -> l.contains("secret body")), t.lines().toString());
        assertEquals("Postilion SMTP client: errors from " + t.server(), t.subject(false));
    }

    /**
     * REPLY-6 at the hello stage, Postfix's smtp_bulk_fail: a 500-509 or 555 reply to EHLO/HELO
     * raises the protocol class too (Trouble's protocol-error flag), so the postmaster gets the
     * session; an ordinary 5xx refusal does not.
     */
    @Test
    void aHelloAnsweredWithAProtocolErrorCodeEarnsATranscript_REPLY6_LOG9() {
        AgentSettings s = settings().notices(PostmasterNotices.of(List.of("protocol"), "postmaster")).build();
        server.reply(Stage.EHLO, "502 5.5.2 Error: command not recognized").reply(Stage.HELO, "501 5.5.4 Syntax: HELO hostname");
        DeliveryReport r = deliver(s, request(nexthop(), "a@dest.test"));
        assertEquals(List.of(Outcome.BOUNCED), outcomes(r));
        assertEquals(1, r.transcripts().size(), r.toString());
        assertTrue(r.transcripts().get(0).lines().contains("In: 501 5.5.4 Syntax: HELO hostname"),
                r.transcripts().get(0).lines().toString());

        server.reply(Stage.HELO, "550 5.7.1 not you");
        assertTrue(deliver(s, request(nexthop(), "a@dest.test")).transcripts().isEmpty());
    }

    @Test
    void noTranscriptWithPostfixsDefaultNotifyClasses_LOG9() {
        server.reply(Stage.RCPT, "500 5.5.2 syntax error, go away");
        assertTrue(deliver(settings().build(), request(nexthop(), "a@dest.test")).transcripts().isEmpty());
    }

    @Test
    void noTranscriptAboutMailThatIsItselfANotice_LOG9() {
        server.reply(Stage.RCPT, "500 5.5.2 syntax error, go away");
        AgentSettings s = settings().notices(PostmasterNotices.of(List.of("protocol", "data"), "postmaster")).build();
        DeliveryRequest.Builder bounce = DeliveryRequest.builder("4DIAG2", "", nexthop()).recipient("a@dest.test")
                .content(ContentSource.of("Subject: bounce\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(deliver(s, bounce).transcripts().isEmpty());
    }

    @Test
    void anOrdinaryRefusalIsNoProtocolError_LOG9() {
        server.reply(Stage.RCPT, "550 5.1.1 no such user");
        AgentSettings s = settings().notices(PostmasterNotices.of(List.of("protocol"), "postmaster")).build();
        assertEquals(Set.of(), Set.copyOf(deliver(s, request(nexthop(), "a@dest.test")).transcripts()));
    }
}
