package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.DeliveryFlag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.InlineTable;
import io.postilion.engine.config.LookupTable;
import io.postilion.engine.config.RegexpTable;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delivery-time rewriting end to end (DATA-22..31): what the server receives, and the requests
 * refused before any connection.
 */
class RewritingDeliveryTest {

    private static final String MESSAGE = "From: Joe <joe@inside.test>\r\nTo: ann@inside.test\r\nSubject: hi\r\n"
            + "X-Internal: secret\r\nX-Quiet: 1\r\n\r\nbody\r\n";

    private TestDnsServer dns;
    private final FakeSmtpServer server = FakeSmtpServer.start("127.0.0.2", 0);

    @TempDir
    Path dir;

    @BeforeEach
    void startDns() throws Exception {
        dns = TestDnsServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
        dns.close();
    }

    private DeliveryAgent agent(AgentSettings settings) {
        LookupSettings lookup = LookupSettings.defaults(DeliveryProtocol.SMTP).self(SelfAddresses.of("127.0.0.254", ""))
                .inetProtocols(true, false).build();
        AsyncDnsResolver resolver = AsyncDnsResolver.create(DnsResolverConfig.parse(dns.dnsServers(), Duration.ofSeconds(2), 2));
        return new DeliveryAgent(settings, new NextHopResolver(resolver, lookup), DestinationParser.smtp(), Clock.systemUTC());
    }

    private static AgentSettings.Builder settings() {
        return AgentSettings.builder(SessionSettings.smtp("client.test").withTimeouts(Timeouts.all(Duration.ofSeconds(3))),
                "client.test");
    }

    private DeliveryRequest request(ContentSource content, String flags, String... rcpts) {
        DeliveryRequest.Builder b = DeliveryRequest.builder("4REWR", "joe@inside.test", "[127.0.0.2]:" + server.port())
                .content(content).flags(DeliveryFlag.parse(flags));
        for (String r : rcpts) {
            b.recipient(r);
        }
        return b.build();
    }

    private DeliveryRequest request(String flags, String... rcpts) {
        return request(ContentSource.of(MESSAGE.getBytes(StandardCharsets.UTF_8)), flags, rcpts);
    }

    private DeliveryReport deliver(AgentSettings.Builder s, DeliveryRequest r) {
        return agent(s.build()).deliver(r).block(Duration.ofSeconds(30));
    }

    private String wire() {
        return new String(server.contents().get(0), StandardCharsets.UTF_8);
    }

    private static LookupTable regexp(String... lines) {
        return RegexpTable.parse(String.join("\n", lines) + "\n", "regexp:test");
    }

    @Test
    void prependedHeadersGoOnTheWireInTheOrderROD_DATA22() {
        DeliveryReport r = deliver(settings(), request("DOR", "ann@inside.test"));
        assertEquals(Outcome.SENT, r.results().get(0).outcome());
        assertEquals("Return-Path: <joe@inside.test>\r\nX-Original-To: ann@inside.test\r\nDelivered-To: ann@inside.test\r\n"
                + MESSAGE + ".\r\n", wire());
    }

    @Test
    void withoutFlagsOrTablesTheContentGoesOutAsStored_DATA22() {
        deliver(settings(), request("", "ann@inside.test"));
        assertEquals(MESSAGE + ".\r\n", wire());
    }

    @Test
    void deliveredToOrOriginalToWithTwoRecipientsDefersEveryoneWithoutConnecting_DATA23() {
        for (String flag : List.of("D", "O")) {
            DeliveryReport r = deliver(settings(), request(flag, "a@inside.test", "b@inside.test"));
            for (RecipientResult res : r.results()) {
                assertEquals(Outcome.DEFERRED, res.outcome());
                assertEquals("4.3.5", res.status().text());
                assertEquals("mail system configuration error", res.reason());
            }
        }
        assertEquals(0, server.sessions());
    }

    @Test
    void aDeliveredToLoopBouncesWith546WithoutConnecting_DATA24() {
        String looped = "Delivered-To: Ann@Inside.TEST\r\n" + MESSAGE;
        DeliveryReport r = deliver(settings(), request(ContentSource.of(looped.getBytes(StandardCharsets.UTF_8)), "D",
                "ann@inside.test"));
        RecipientResult res = r.results().get(0);
        assertEquals(Outcome.BOUNCED, res.outcome());
        assertEquals("5.4.6", res.status().text());
        assertEquals("mail forwarding loop for ann@inside.test", res.reason());
        assertEquals(0, server.sessions());
    }

    @Test
    void genericMapsRewriteTheWireWhileTheLogKeepsTheOriginalRecipient_DATA26() {
        DeliveryRequest req = request("", "ann@inside.test");
        DeliveryReport r = deliver(settings().genericMaps(InlineTable.parse("{ @inside.test=@outside.example }")), req);
        RecipientResult res = r.results().get(0);
        assertEquals(Outcome.SENT, res.outcome());
        assertTrue(server.commands().contains("MAIL FROM:<joe@outside.example>"), server.commands().toString());
        assertTrue(server.commands().contains("RCPT TO:<ann@outside.example>"), server.commands().toString());
        assertTrue(wire().startsWith("From: Joe <joe@outside.example>\r\nTo: ann@outside.example\r\nSubject: hi\r\n"), wire());
        assertSame(req.recipients().get(0), res.recipient());
        assertTrue(DeliveryLog.line("4REWR", res, r.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS).startsWith("4REWR: to=<ann@inside.test>, relay="));
    }

    @Test
    void headerChecksReplaceStripPrependAndIgnoreOnTheWire_DATA30() {
        AgentSettings.Builder s = settings().headerChecks(regexp("/^Subject:/ REPLACE Subject: [ext] hi",
                "/^X-Internal:/ STRIP", "/^To:/ PREPEND X-Checked: yes", "/^X-Quiet:/ IGNORE"));
        DeliveryReport r = deliver(s, request("", "ann@inside.test"));
        assertEquals(Outcome.SENT, r.results().get(0).outcome());
        assertEquals("From: Joe <joe@inside.test>\r\nX-Checked: yes\r\nTo: ann@inside.test\r\nSubject: [ext] hi\r\n"
                + "\r\nbody\r\n.\r\n", wire());
    }

    @Test
    void anUnsupportedRejectIsIgnoredAndTheMessageSent_DATA30() {
        DeliveryReport r = deliver(settings().headerChecks(regexp("/^Subject:/ REJECT not here"))
                .bodyChecks(regexp("/body/ DISCARD")), request("", "ann@inside.test"));
        assertEquals(Outcome.SENT, r.results().get(0).outcome());
        assertEquals(MESSAGE + ".\r\n", wire());
    }

    @Test
    void aCheckTableLookupErrorDefersWithLocalDataError_DATA30() {
        LookupTable broken = key -> {
            throw new IllegalStateException("table unavailable");
        };
        DeliveryReport r = deliver(settings().headerChecks(broken), request("", "ann@inside.test"));
        RecipientResult res = r.results().get(0);
        assertEquals(Outcome.DEFERRED, res.outcome());
        assertEquals("4.3.0", res.status().text());
        assertTrue(res.reason().startsWith("local data error"), res.reason());
        assertEquals(0, server.sessions());
    }

    @Test
    void aMissingQueueFileDefersWithoutConnecting_DATA31() throws Exception {
        Path file = Files.writeString(dir.resolve("4REWR"), MESSAGE);
        ContentSource content = ContentSource.of(file);
        Files.delete(file);
        RecipientResult res = deliver(settings(), request(content, "R", "ann@inside.test")).results().get(0);
        assertEquals(Outcome.DEFERRED, res.outcome());
        assertEquals("4.3.0", res.status().text());
        assertEquals(0, server.sessions());
    }

    @Test
    void aDamagedQueueEntryBouncesWith530_DATA31() throws Exception {
        Path file = Files.writeString(dir.resolve("4REWR"), MESSAGE);
        ContentSource content = ContentSource.of(file);
        Files.writeString(file, "Subject: cut short");
        RecipientResult res = deliver(settings(), request(content, "R", "ann@inside.test")).results().get(0);
        assertEquals(Outcome.BOUNCED, res.outcome());
        assertEquals("5.3.0", res.status().text());
        assertEquals("unreadable mail queue entry", res.reason());
        assertEquals(0, server.sessions());
    }

    @Test
    void mainCfNamesReachTheSettingsAndLmtpReadsItsTwins_DATA26() {
        var cfg = io.postilion.engine.config.ConfigurationLoader.fromText(String.join("\n",
                "myorigin = origin.test", "mydestination = dest.test", "recipient_delimiter = +",
                "propagate_unmatched_extensions = generic", "smtp_generic_maps = inline:{ a@b.test=c@d.test }",
                "lmtp_body_checks = inline:{ x=WARN }"), "main.cf", List.of());
        var smtp = AgentConfiguration.agentSettings(cfg.forSmtp()).rewriting();
        assertEquals("c@d.test", smtp.genericMaps().find("a@b.test").orElseThrow());
        assertEquals("origin.test", smtp.myOrigin());
        assertEquals(List.of("dest.test"), smtp.myDestination());
        assertEquals("+", smtp.recipientDelimiter());
        assertTrue(smtp.propagateGenericExtensions());
        assertTrue(!smtp.hasChecks());
        var lmtp = AgentConfiguration.agentSettings(cfg.forLmtp()).rewriting();
        assertTrue(lmtp.hasChecks() && !lmtp.hasGenericMaps());
        assertEquals("lmtp_body_checks", lmtp.table("body_checks"));
    }
}
