package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;

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
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Ret;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery agent against scripted servers on 127.0.0.2-.4 (one port for all, as MX hosts on
 * port P) and the in-JVM DNS server: Postfix's server walk and outcome rules end to end.
 */
class DeliveryAgentTest {

    private TestDnsServer dns;
    private final List<FakeSmtpServer> servers = new ArrayList<>();
    private int port;

    @BeforeEach
    void startDns() throws Exception {
        dns = TestDnsServer.start();
    }

    @AfterEach
    void stopAll() {
        servers.forEach(FakeSmtpServer::close);
        dns.close();
    }

    /** MX hosts mx1..mxN of example.test at 127.0.0.(1+i), preferences 10, 20, 30, ... */
    private List<FakeSmtpServer> mxHosts(int n) {
        for (int i = 1; i <= n; i++) {
            String ip = "127.0.0." + (i + 1);
            FakeSmtpServer s = FakeSmtpServer.start(ip, port);
            if (port == 0) {
                port = s.port();
            }
            servers.add(s);
            dns.mx("example.test", 10 * i, "mx" + i + ".example.test").a("mx" + i + ".example.test", ip);
        }
        return servers;
    }

    private final io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

    private DeliveryAgent agent(AgentSettings settings) {
        LookupSettings lookup = LookupSettings.defaults(DeliveryProtocol.SMTP)
                .self(SelfAddresses.of("127.0.0.254", ""))
                .inetProtocols(true, false)
                .build();
        AsyncDnsResolver resolver = AsyncDnsResolver.create(DnsResolverConfig.parse(dns.dnsServers(), Duration.ofSeconds(2), 2));
        return new DeliveryAgent(settings, new NextHopResolver(resolver, lookup), DestinationParser.smtp(), Clock.systemUTC(),
                new DeliveryMetrics(registry, "smtp"));
    }

    private static AgentSettings settings() {
        return AgentSettings.defaults(SessionSettings.smtp("client.test").withTimeouts(Timeouts.all(Duration.ofSeconds(3))),
                "client.test");
    }

    private DeliveryReport deliver(AgentSettings settings, String... rcpts) {
        return deliverTo("example.test:" + port, settings, rcpts);
    }

    private DeliveryReport deliverTo(String nexthop, AgentSettings settings, String... rcpts) {
        String content = "Subject: hi\r\n\r\nbody\r\n";
        Instant now = Instant.now();
        DeliveryRequest req = new DeliveryRequest("4ABC123", "sender@origin.test",
                java.util.stream.IntStream.range(0, rcpts.length).mapToObj(i -> Recipient.of(i, rcpts[i])).toList(),
                ContentSource.of(content.getBytes(StandardCharsets.UTF_8)), BodyType.SEVEN_BIT, false, false,
                nexthop, "", Ret.NONE, now, now);
        return agent(settings).deliver(req).block(Duration.ofSeconds(30));
    }

    private static List<Outcome> outcomes(DeliveryReport r) {
        return r.results().stream().map(RecipientResult::outcome).toList();
    }

    @Test
    void deliveryToTheBestMxIsSentWithTheServersStatus_REPLY15() {
        mxHosts(2);
        DeliveryReport r = deliver(settings(), "a@example.test", "b@example.test");
        assertEquals(List.of(Outcome.SENT, Outcome.SENT), outcomes(r));
        RecipientResult first = r.results().get(0);
        assertEquals("2.0.0", first.status().text());
        assertEquals("mx1.example.test[127.0.0.2]:" + port, first.relay());
        assertEquals("relayed", first.action().word());
        assertEquals(1, servers.get(0).contents().size());
        assertEquals(0, servers.get(1).sessions());
        String line = DeliveryLog.line("4ABC123", first, r.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS);
        assertTrue(line.matches("4ABC123: to=<a@example\\.test>, relay=mx1\\.example\\.test\\[127\\.0\\.0\\.2\\]:\\d+, "
                + "delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, tls=none, dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as FAKE1\\)"), line);
        assertFalse(r.throttle());
    }

    @Test
    void greeting421AtTheFirstMxMovesToTheNext_SESS7() {
        mxHosts(2);
        servers.get(0).reply(Stage.GREETING, "421 4.3.2 busy");
        DeliveryReport r = deliver(settings(), "a@example.test");
        assertEquals(List.of(Outcome.SENT), outcomes(r));
        assertEquals("mx2.example.test[127.0.0.3]:" + port, r.results().get(0).relay());
    }

    @Test
    void recipientsRefusedSoftlyAtANonFinalMxGoToTheNextInANewTransaction_XFER32() {
        mxHosts(2);
        servers.get(0).reply(Stage.RCPT, (line, s) -> line.contains("bad@") ? "550 5.1.1 no such user"
                : line.contains("later@") ? "450 4.2.0 try later" : "250 2.1.5 Ok");
        DeliveryReport r = deliver(settings(), "good@example.test", "bad@example.test", "later@example.test");
        assertEquals(List.of(Outcome.SENT, Outcome.BOUNCED, Outcome.SENT), outcomes(r));
        assertEquals("5.1.1", r.results().get(1).status().text());
        assertEquals("host mx1.example.test[127.0.0.2] said: 550 5.1.1 no such user (in reply to RCPT TO command)",
                r.results().get(1).reason());
        assertEquals(List.of("RCPT TO:<later@example.test>"),
                servers.get(1).commands().stream().filter(c -> c.startsWith("RCPT")).toList());
    }

    @Test
    void aSoftRecipientFailureAtTheFinalServerDefers_SESS3() {
        mxHosts(1);
        servers.get(0).reply(Stage.RCPT, (line, s) -> line.contains("later@") ? "450 4.2.0 try later" : "250 2.1.5 Ok");
        DeliveryReport r = deliver(settings(), "good@example.test", "later@example.test");
        assertEquals(List.of(Outcome.SENT, Outcome.DEFERRED), outcomes(r));
        assertEquals("4.2.0", r.results().get(1).status().text());
        assertFalse(r.throttle(), "a recipient failure never throttles");
    }

    @Test
    void greeting421AtTheOnlyMxDefersAndThrottles_REPLY12() {
        mxHosts(1);
        servers.get(0).reply(Stage.GREETING, "421 4.3.2 busy");
        DeliveryReport r = deliver(settings(), "a@example.test");
        assertEquals(List.of(Outcome.DEFERRED), outcomes(r));
        assertEquals("host mx1.example.test[127.0.0.2] refused to talk to me: 421 4.3.2 busy", r.results().get(0).reason());
        assertTrue(r.throttle());
    }

    @Test
    void mail451AtTheOnlyMxDefersWithoutThrottling_REPLY12() {
        mxHosts(1);
        servers.get(0).reply(Stage.MAIL, "451 4.3.0 later");
        DeliveryReport r = deliver(settings(), "a@example.test");
        assertEquals(List.of(Outcome.DEFERRED), outcomes(r));
        assertFalse(r.throttle());
    }

    @Test
    void greeting554IsSkippedAsSoftByDefaultAndBouncesWhenNotSkipped_SESS7() {
        mxHosts(1);
        servers.get(0).reply(Stage.GREETING, "554 5.3.2 no service");
        DeliveryReport soft = deliver(settings(), "a@example.test");
        assertEquals(List.of(Outcome.DEFERRED), outcomes(soft));
        assertEquals("4.3.2", soft.results().get(0).status().text());
        DeliveryReport hard = deliver(settings().withSkip5xxGreeting(false), "a@example.test");
        assertEquals(List.of(Outcome.BOUNCED), outcomes(hard));
    }

    @Test
    void theSessionLimitStopsAfterTwoTransactions_SESS2() {
        mxHosts(3);
        servers.forEach(s -> s.reply(Stage.MAIL, "451 4.3.0 later"));
        DeliveryReport r = deliver(settings(), "a@example.test");
        assertEquals(List.of(Outcome.DEFERRED), outcomes(r));
        assertEquals(1, servers.get(0).sessions());
        assertEquals(1, servers.get(1).sessions());
        assertEquals(0, servers.get(2).sessions(), "the third MX is never tried");
    }

    @Test
    void aHandshakeFailureDoesNotCountTowardTheSessionLimit_SESS2() {
        mxHosts(3);
        servers.get(0).reply(Stage.GREETING, "421 4.3.2 busy");
        servers.get(1).reply(Stage.MAIL, "451 4.3.0 later");
        DeliveryReport r = deliver(settings(), "a@example.test");
        assertEquals(List.of(Outcome.SENT), outcomes(r));
        assertEquals(1, servers.get(2).contents().size());
    }

    @Test
    void softBounceTurnsTheFinalBounceIntoADeferral_REPLY14() {
        mxHosts(2);
        servers.forEach(s -> s.reply(Stage.RCPT, "550 5.1.1 no such user"));
        DeliveryReport r = deliver(settings().withSoftBounce(true), "a@example.test");
        assertEquals(List.of(Outcome.SOFTBOUNCE), outcomes(r));
        assertEquals("4.1.1", r.results().get(0).status().text());
        assertEquals(1, servers.get(1).sessions(), "a hard failure at MX1 is retried at MX2 under soft_bounce");
        assertTrue(DeliveryLog.line("Q", r.results().get(0), r.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS).contains("status=SOFTBOUNCE"));
    }

    @Test
    void aMessageOverTheServersSizeLimitBouncesWithoutMail_XFER1() {
        mxHosts(2);
        servers.forEach(s -> s.capabilities("PIPELINING", "SIZE 10"));
        DeliveryReport r = deliver(settings(), "a@example.test");
        assertEquals(List.of(Outcome.BOUNCED), outcomes(r));
        assertEquals("5.3.4", r.results().get(0).status().text());
        assertTrue(r.results().get(0).reason().startsWith("message size "), r.results().get(0).reason());
        assertFalse(servers.get(0).commands().stream().anyMatch(c -> c.startsWith("MAIL")));
        assertEquals(0, servers.get(1).sessions(), "no other server is tried");
    }

    @Test
    void nullMxBouncesWithoutConnecting_LOOKUP7() {
        dns.mx("example.test", 0, ".");
        port = 2599;
        DeliveryReport r = deliver(settings(), "a@example.test");
        assertEquals(List.of(Outcome.BOUNCED), outcomes(r));
        assertEquals("5.1.0", r.results().get(0).status().text());
        assertEquals("none", r.results().get(0).relay());
    }

    @Test
    void noServerAnsweringDefersWithTheConnectErrorAndThrottles_SESS4() throws Exception {
        int free;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.2"))) {
            free = probe.getLocalPort();
        }
        port = free;
        dns.mx("example.test", 10, "mx1.example.test").a("mx1.example.test", "127.0.0.2");
        DeliveryReport r = deliver(settings(), "a@example.test");
        assertEquals(List.of(Outcome.DEFERRED), outcomes(r));
        assertEquals("4.4.1", r.results().get(0).status().text());
        assertEquals("connect to mx1.example.test[127.0.0.2]:" + free + ": Connection refused", r.results().get(0).reason());
        assertTrue(r.throttle());
    }

    @Test
    void aRecipientWithALineBreakBouncesBeforeAnyConnection_CLARIFICATIONS3() {
        mxHosts(1);
        DeliveryReport r = deliver(settings(), "good@example.test", "evil@example.test\r\nRCPT TO:<x@y>");
        assertEquals(List.of(Outcome.SENT, Outcome.BOUNCED), outcomes(r));
        assertEquals("5.1.3", r.results().get(1).status().text());
        assertEquals(List.of("RCPT TO:<good@example.test>"),
                servers.get(0).commands().stream().filter(c -> c.startsWith("RCPT")).toList());
    }

    @Test
    void aSenderWithANulFailsTheWholeRequest_CLARIFICATIONS3() {
        mxHosts(1);
        Instant now = Instant.now();
        DeliveryRequest req = new DeliveryRequest("Q1", "bad\0sender@x.test", List.of(Recipient.of(0, "a@example.test")),
                ContentSource.of(new byte[] {'x', '\r', '\n'}), BodyType.SEVEN_BIT, false, false, "example.test:" + port,
                "", Ret.NONE, now, now);
        DeliveryReport r = agent(settings()).deliver(req).block(Duration.ofSeconds(30));
        assertEquals("5.1.7", r.results().get(0).status().text());
        assertEquals(0, servers.get(0).sessions());
    }

    @Test
    void badDestinationSyntaxDefersWith435_CLARIFICATIONS5() {
        Instant now = Instant.now();
        DeliveryRequest req = new DeliveryRequest("Q2", "s@x.test", List.of(Recipient.of(0, "a@example.test")),
                ContentSource.of(new byte[] {'x', '\r', '\n'}), BodyType.SEVEN_BIT, false, false, "[unclosed:25",
                "", Ret.NONE, now, now);
        DeliveryReport r = agent(settings()).deliver(req).block(Duration.ofSeconds(30));
        assertEquals(List.of(Outcome.DEFERRED), outcomes(r));
        assertEquals("4.3.5", r.results().get(0).status().text());
    }

    @Test
    void ehloNameEqualToMyHostnameIsNotCheckedOffPort25_SESS15_LOOKUP2() {
        mxHosts(1);
        servers.get(0).reply(Stage.EHLO, "250-client.test\r\n250 PIPELINING");
        DeliveryReport r = deliver(settings(), "a@example.test");
        assertEquals(List.of(Outcome.SENT), outcomes(r), "the fake MX listens on port " + port + ", not 25");
    }

    @Test
    void aFailedLookupHandsTheRecipientsToTheFallbackRelay_LOOKUP21() {
        FakeSmtpServer relay = FakeSmtpServer.start("127.0.0.5", 0);
        servers.add(relay);
        DeliveryReport r = deliverTo("nosuch.example.test:" + relay.port(),
                settings().withFallbackRelay("[127.0.0.5]:" + relay.port()), "a@example.test");
        assertEquals(List.of(Outcome.SENT), outcomes(r));
        assertEquals("127.0.0.5[127.0.0.5]:" + relay.port(), r.results().get(0).relay());
    }

    @Test
    void softFailuresAtEveryMxHandTheRecipientsToTheFallbackRelay_LOOKUP21() {
        mxHosts(2);
        servers.forEach(s -> s.reply(Stage.MAIL, "451 4.3.0 later"));
        FakeSmtpServer relay = FakeSmtpServer.start("127.0.0.5", port);
        servers.add(relay);
        DeliveryReport r = deliver(settings().withFallbackRelay("[127.0.0.5]:" + port), "a@example.test");
        assertEquals(List.of(Outcome.SENT), outcomes(r));
        assertEquals(1, relay.contents().size());
    }

    @Test
    void aHardFailureIsNotRetriedAtTheFallbackRelay_LOOKUP21() {
        mxHosts(1);
        servers.get(0).reply(Stage.RCPT, "550 5.1.1 no such user");
        FakeSmtpServer relay = FakeSmtpServer.start("127.0.0.5", port);
        servers.add(relay);
        DeliveryReport r = deliver(settings().withFallbackRelay("[127.0.0.5]:" + port), "a@example.test");
        assertEquals(List.of(Outcome.BOUNCED), outcomes(r));
        assertEquals(0, relay.sessions());
    }

    @Test
    void aHardLookupFailureAtTheFallbackRelayDefersWith435_LOOKUP22() {
        DeliveryReport r = deliverTo("nosuch.example.test:2599", settings().withFallbackRelay("norelay.example.test:2599"),
                "a@example.test");
        assertEquals(List.of(Outcome.DEFERRED), outcomes(r));
        assertEquals("4.3.5", r.results().get(0).status().text());
        assertTrue(r.results().get(0).reason().contains("norelay.example.test"), r.results().get(0).reason());
    }

    @Test
    void aHardLookupFailureWithoutFallbackBounces_LOOKUP22() {
        DeliveryReport r = deliverTo("nosuch.example.test:2599", settings(), "a@example.test");
        assertEquals(List.of(Outcome.BOUNCED), outcomes(r));
        assertEquals("5.4.4", r.results().get(0).status().text());
        assertTrue(r.results().get(0).reason().startsWith("Host or domain name not found."), r.results().get(0).reason());
    }

    /**
     * Postfix's smtp_connect.c: a hard failure when the request's first next-hop item is the
     * relayhost setting is a configuration problem, deferred with 4.3.5 and the diagnostic kept.
     */
    @Test
    void aRelayhostThatDoesNotResolveDefersWith435_LOOKUP22() {
        DeliveryReport r = deliverTo("nosuch.example.test:2599", settings().withRelayhost("nosuch.example.test:2599"),
                "a@example.test", "b@example.test");
        assertEquals(List.of(Outcome.DEFERRED, Outcome.DEFERRED), outcomes(r));
        assertEquals("4.3.5", r.results().get(0).status().text());
        assertTrue(r.results().get(0).reason().startsWith("Host or domain name not found."), r.results().get(0).reason());
        assertEquals("none", r.results().get(0).relay());
        // another next-hop than the relayhost still bounces
        DeliveryReport other = deliverTo("nosuch.example.test:2599", settings().withRelayhost("[192.0.2.1]"),
                "a@example.test");
        assertEquals(List.of(Outcome.BOUNCED), outcomes(other));
    }

    @Test
    void aRelayhostWhoseMxIsMyselfDefersWith435_LOOKUP22() {
        dns.mx("loop.example.test", 10, "mx.loop.example.test").a("mx.loop.example.test", "127.0.0.254");
        DeliveryReport bounce = deliverTo("loop.example.test", settings(), "a@example.test");
        assertEquals(List.of(Outcome.BOUNCED), outcomes(bounce));
        assertEquals("5.4.6", bounce.results().get(0).status().text());
        DeliveryReport r = deliverTo("loop.example.test", settings().withRelayhost("loop.example.test"), "a@example.test");
        assertEquals(List.of(Outcome.DEFERRED), outcomes(r));
        assertEquals("4.3.5", r.results().get(0).status().text());
        assertEquals(bounce.results().get(0).reason(), r.results().get(0).reason());
    }

    /**
     * LOG-1/LOG-6: Postfix prints addresses with inet_ntop, so an IPv6 server is logged in the
     * compressed form, relay=::1[::1]:PORT, in the relay field and in every reason naming it.
     */
    @Test
    void anIpv6ServerIsLoggedInCompressedForm_LOG1() throws Exception {
        FakeSmtpServer mx;
        try {
            mx = FakeSmtpServer.start("::1", 0);
        } catch (RuntimeException e) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here: " + e);
            return;
        }
        servers.add(mx);
        mx.reply(Stage.RCPT, (line, s) -> line.contains("bad@") ? "550 5.1.1 no such user" : "250 2.1.5 Ok");
        LookupSettings lookup = LookupSettings.defaults(DeliveryProtocol.SMTP)
                .self(SelfAddresses.of("127.0.0.254", "")).inetProtocols(true, true).build();
        AsyncDnsResolver resolver = AsyncDnsResolver.create(DnsResolverConfig.parse(dns.dnsServers(), Duration.ofSeconds(2), 2));
        DeliveryAgent agent = new DeliveryAgent(settings(), new NextHopResolver(resolver, lookup), DestinationParser.smtp(),
                Clock.systemUTC());
        Instant now = Instant.now();
        DeliveryRequest req = new DeliveryRequest("4ABC6", "sender@origin.test",
                List.of(Recipient.of(0, "a@example.test"), Recipient.of(1, "bad@example.test")),
                ContentSource.of("Subject: v6\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8)), BodyType.SEVEN_BIT,
                false, false, "[ipv6:::1]:" + mx.port(), "", Ret.NONE, now, now);
        DeliveryReport r = agent.deliver(req).block(Duration.ofSeconds(30));
        assertEquals(List.of(Outcome.SENT, Outcome.BOUNCED), outcomes(r));
        assertEquals("::1[::1]:" + mx.port(), r.results().get(0).relay());
        assertEquals("host ::1[::1] said: 550 5.1.1 no such user (in reply to RCPT TO command)", r.results().get(1).reason());
        assertTrue(DeliveryLog.line("4ABC6", r.results().get(0), r.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS).contains(", relay=::1[::1]:" + mx.port() + ", "));
    }

    /**
     * REPLY-1: with smtputf8_enable = yes (the default) Postfix's printable() keeps valid UTF-8
     * in a server reply; control characters and broken UTF-8 still become '?'.
     */
    @Test
    void utf8InAServerReplyIsKeptAndBrokenBytesAreCensored_REPLY1() {
        mxHosts(1);
        servers.get(0).reply(Stage.RCPT, (line, s) -> line.contains("bad@") ? "550 5.1.1 Empf\u00e4nger unbekannt \u2014 \u9001\u4fe1\u4e0d\u53ef\u0007"
                : "250 2.1.5 Ok");
        DeliveryReport r = deliver(settings(), "a@example.test", "bad@example.test");
        assertEquals(List.of(Outcome.SENT, Outcome.BOUNCED), outcomes(r));
        assertEquals("host mx1.example.test[127.0.0.2] said: 550 5.1.1 Empf\u00e4nger unbekannt \u2014 \u9001\u4fe1\u4e0d\u53ef? "
                + "(in reply to RCPT TO command)", r.results().get(1).reason());
    }

    /**
     * LOG-8: the informational lines smtp(8) writes besides the per-recipient ones reach the mail
     * log under its process name: a skipped server ("QUEUEID: REASON") and the relayhost
     * configuration warning.
     */
    @Test
    void skippedServersAndConfigurationWarningsReachTheMailLog_LOG8(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        mxHosts(2);
        servers.get(0).reply(Stage.GREETING, "421 4.3.2 busy");
        java.nio.file.Path file = dir.resolve("maillog");
        io.postilion.engine.maillog.MailLog mailLog = io.postilion.engine.maillog.MailLog.open(file, "client", "postilion",
                Clock.systemUTC());
        io.postilion.engine.maillog.MailLog.install(mailLog);
        try {
            assertEquals(List.of(Outcome.SENT), outcomes(deliver(settings(), "a@example.test")));
            deliverTo("nosuch.example.test:2599", settings().withRelayhost("nosuch.example.test:2599"), "a@example.test");
        } finally {
            mailLog.close();
        }
        String log = java.nio.file.Files.readString(file);
        assertTrue(log.matches("(?s).* postilion/smtp\\[\\d+\\]: 4ABC123: host mx1\\.example\\.test\\[127\\.0\\.0\\.2\\] "
                + "refused to talk to me: 421 4\\.3\\.2 busy\n.*"), log);
        assertTrue(log.contains("postilion/smtp[" + ProcessHandle.current().pid() + "]: warning: relayhost configuration problem\n"), log);
    }

    /**
     * REPLY-12, Postfix's smtp_bulk_fail: a site failure that only keeps the recipients for the
     * next server (KEEP) sets no hop status. When the final server then fails the message without
     * a throttling failure and without completing a transaction (the SIZE pre-check under
     * soft_bounce; a local data error), the destination is not throttled.
     */
    @Test
    void aSkippedServerDoesNotThrottleWhenTheFinalServerFailsOnlyTheMessage_REPLY12() {
        mxHosts(2);
        servers.get(0).reply(Stage.GREETING, "421 4.3.2 busy");
        servers.get(1).capabilities("PIPELINING", "SIZE 10", "ENHANCEDSTATUSCODES");
        DeliveryReport r = deliver(settings().withSoftBounce(true), "a@example.test");
        assertEquals(List.of(Outcome.SOFTBOUNCE), outcomes(r));
        assertEquals("4.3.4", r.results().get(0).status().text());
        assertFalse(r.throttle(), "the 421 at mx1 left no one queued; XFER-1 is a message failure");

        servers.get(1).capabilities("PIPELINING", "ENHANCEDSTATUSCODES");
        Instant now = Instant.now();
        DeliveryRequest unreadable = new DeliveryRequest("4ABC124", "sender@origin.test", List.of(Recipient.of(0, "a@example.test")),
                new ContentSource() {
                    @Override
                    public long size() {
                        return 1000;
                    }

                    @Override
                    public reactor.core.publisher.Flux<io.netty.buffer.ByteBuf> open(io.netty.buffer.ByteBufAllocator alloc) {
                        return reactor.core.publisher.Flux.error(new java.io.IOException("read error"));
                    }
                }, BodyType.SEVEN_BIT, false, false, "example.test:" + port, "", Ret.NONE, now, now);
        DeliveryReport data = agent(settings()).deliver(unreadable).block(Duration.ofSeconds(30));
        assertEquals(List.of(Outcome.DEFERRED), outcomes(data));
        assertEquals("4.3.0", data.results().get(0).status().text());
        assertFalse(data.throttle(), "DATA-31 does not throttle, even after a skipped server");
    }

    /**
     * DEST-14 and appendix B, Postfix's smtp_connect_unix: a UNIX-domain path too long for a
     * socket address warns "unix-domain name too long: PATH" and defers with 4.3.5 "Server
     * configuration error".
     */
    @Test
    void anLmtpSocketPathTooLongDefersWithPostfixsWordsAndWarns_DEST14(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String path = "/" + "x".repeat(200);
        LookupSettings lookup = LookupSettings.defaults(DeliveryProtocol.LMTP).self(SelfAddresses.of("127.0.0.254", ""))
                .inetProtocols(true, false).build();
        AsyncDnsResolver resolver = AsyncDnsResolver.create(DnsResolverConfig.parse(dns.dnsServers(), Duration.ofSeconds(2), 2));
        DeliveryAgent lmtp = new DeliveryAgent(AgentSettings.defaults(SessionSettings.lmtp("client.test")
                .withTimeouts(Timeouts.all(Duration.ofSeconds(3))), "client.test"), new NextHopResolver(resolver, lookup),
                DestinationParser.lmtp(), Clock.systemUTC());
        java.nio.file.Path file = dir.resolve("maillog");
        io.postilion.engine.maillog.MailLog mailLog = io.postilion.engine.maillog.MailLog.open(file, "client", "postilion",
                Clock.systemUTC());
        io.postilion.engine.maillog.MailLog.install(mailLog);
        DeliveryReport r;
        try {
            DeliveryRequest req = DeliveryRequest.builder("4ABC125", "s@client.test", "unix:" + path).recipient("a@dest.test")
                    .content(ContentSource.of("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII))).build();
            r = lmtp.deliver(req).block(Duration.ofSeconds(30));
        } finally {
            mailLog.close();
        }
        assertEquals(List.of(Outcome.DEFERRED), outcomes(r));
        assertEquals("4.3.5", r.results().get(0).status().text());
        assertEquals("Server configuration error", r.results().get(0).reason());
        assertEquals("none", r.results().get(0).relay());
        String log = java.nio.file.Files.readString(file);
        assertTrue(log.contains("postilion/lmtp[" + ProcessHandle.current().pid() + "]: warning: unix-domain name too long: "
                + path + "\n"), log);
    }

    @Test
    void metersCountOutcomesAndConnectionsWithBoundedLabels() {
        mxHosts(1);
        servers.get(0).reply(Stage.RCPT, (line, s) -> line.contains("bad@") ? "550 5.1.1 no" : "250 2.1.5 Ok");
        deliver(settings(), "a@example.test", "bad@example.test");
        assertEquals(1.0, registry.get("postilion_deliveries_total").tags("status", "sent", "transport", "smtp").counter().count());
        assertEquals(1.0, registry.get("postilion_deliveries_total").tags("status", "bounced").counter().count());
        assertEquals(1.0, registry.get("postilion_connection_attempts_total").tags("result", "connected").counter().count());
        assertEquals(1, registry.get("postilion_delivery_seconds").timer().count());
        assertTrue(registry.get("postilion_delivery_stage_seconds").tags("stage", "setup").timer().count() >= 1);
        assertTrue(registry.get("postilion_delivery_stage_seconds").tags("stage", "transmission").timer().count() >= 1);
        registry.getMeters().forEach(m -> m.getId().getTags().forEach(t ->
                assertFalse(t.getValue().contains("@") || t.getValue().contains("4ABC123"), m.getId().toString())));
    }
}
