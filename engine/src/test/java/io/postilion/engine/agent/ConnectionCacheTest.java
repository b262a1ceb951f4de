package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import io.postilion.tls.TlsLevel;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The connection cache as the agent uses it (spec section 10), against a server that counts sessions. */
class ConnectionCacheTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private DeliveryAgent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        server.close();
    }

    private DeliveryAgent agent(ConnectionReuse reuse) {
        return agent(reuse, TlsLevel.NONE);
    }

    private DeliveryAgent agent(ConnectionReuse reuse, TlsLevel tls) {
        AgentSettings settings = AgentSettings.builder(SessionSettings.smtp("client.test")
                        .withTimeouts(Timeouts.all(Duration.ofSeconds(3))).withTls(tls, false), "client.test")
                .reuse(reuse).build();
        LookupSettings lookup = LookupSettings.defaults(DeliveryProtocol.SMTP).self(SelfAddresses.of("127.0.0.254", ""))
                .inetProtocols(true, false).build();
        AsyncDnsResolver dns = AsyncDnsResolver.create(DnsResolverConfig.parse("127.0.0.1:9", Duration.ofSeconds(1), 1));
        agent = new DeliveryAgent(settings, new NextHopResolver(dns, lookup), DestinationParser.smtp(), Clock.systemUTC());
        return agent;
    }

    private static ConnectionReuse reuse(Duration reuseTime, int countLimit, Duration idle, String... destinations) {
        return new ConnectionReuse(List.of(destinations), true, idle, reuseTime, countLimit);
    }

    private DeliveryReport send(CacheHint hint, boolean smtputf8, String rcpt) {
        return send(hint, smtputf8, rcpt, "[127.0.0.1]:" + server.port(), "Subject: x\r\n\r\nbody\r\n");
    }

    private DeliveryReport send(CacheHint hint, boolean smtputf8, String rcpt, String nexthop, String content) {
        DeliveryRequest r = DeliveryRequest.builder("Q" + System.nanoTime() % 100000, "s@client.test", nexthop).recipient(rcpt)
                .content(ContentSource.of(content.getBytes(StandardCharsets.US_ASCII)))
                .smtputf8(smtputf8, false).build();
        return agent.deliver(r, hint).block(WAIT);
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

    @Test
    void backToBackRequestsShareOneConnectionWithAnRsetProbeAndConnUse2_CACHE5_CACHE7_CACHE11() {
        agent(ConnectionReuse.defaults());
        DeliveryReport first = send(CacheHint.LOAD_AND_STORE, false, "a@dest.test");
        DeliveryReport second = send(CacheHint.LOAD_AND_STORE, false, "b@dest.test");
        assertEquals(Outcome.SENT, first.results().get(0).outcome());
        assertEquals(Outcome.SENT, second.results().get(0).outcome());
        assertEquals(1, server.sessions(), "one connection for both: " + server.commands());
        List<String> cmds = server.commands();
        int rset = cmds.indexOf("RSET");
        assertTrue(rset > 0 && cmds.get(rset + 1).startsWith("MAIL FROM:"), "RSET then MAIL, no greeting or EHLO: " + cmds);
        assertEquals(1, cmds.stream().filter(c -> c.startsWith("EHLO")).count(), cmds.toString());
        assertEquals(1, first.results().get(0).connUse());
        assertEquals(2, second.results().get(0).connUse());
        assertTrue(DeliveryLog.line(second.queueId(), second.results().get(0), second.timings(), io.postilion.engine.maillog.InfoLogFormat.DEFAULTS).contains(", conn_use=2,"));
    }

    @Test
    void withoutABacklogConnectionsAreNotKept_CACHE1() {
        agent(ConnectionReuse.defaults());
        send(CacheHint.OFF, false, "a@dest.test");
        send(CacheHint.OFF, false, "b@dest.test");
        assertEquals(2, server.sessions());
        assertTrue(server.commands().stream().noneMatch(c -> c.equals("RSET")), server.commands().toString());
    }

    @Test
    void aListedDestinationCachesWithoutABacklogBracketsAndPortIgnored_CACHE1() {
        agent(reuse(Duration.ofSeconds(300), 0, Duration.ofSeconds(2), "127.0.0.1"));
        send(CacheHint.OFF, false, "a@dest.test");
        send(CacheHint.OFF, false, "b@dest.test");
        assertEquals(1, server.sessions(), server.commands().toString());
    }

    /** A delivery under a fleet's shared lease parks nothing, not even for a listed destination. */
    @Test
    void underASharedLeaseEvenAListedDestinationIsNotCached_CACHE1() {
        agent(reuse(Duration.ofSeconds(300), 0, Duration.ofSeconds(2), "127.0.0.1"));
        send(CacheHint.NEVER, false, "a@dest.test");
        send(CacheHint.NEVER, false, "b@dest.test");
        assertEquals(2, server.sessions(), server.commands().toString());
        assertTrue(server.commands().stream().noneMatch(c -> c.equals("RSET")), server.commands().toString());
    }

    @Test
    void aFailedRsetProbeClosesSilentlyAndANewConnectionDelivers_CACHE7() {
        agent(ConnectionReuse.defaults());
        server.reply(Stage.RSET, "421 4.3.2 going away");
        send(CacheHint.LOAD_AND_STORE, false, "a@dest.test");
        DeliveryReport second = send(CacheHint.LOAD_AND_STORE, false, "b@dest.test");
        assertEquals(Outcome.SENT, second.results().get(0).outcome());
        assertEquals(1, second.results().get(0).connUse());
        assertEquals(2, server.sessions());
    }

    @Test
    void pastTheReuseTimeLimitQuitFollowsTheDot_CACHE4() throws Exception {
        agent(reuse(Duration.ZERO, 0, Duration.ofSeconds(2)));
        send(CacheHint.LOAD_AND_STORE, false, "a@dest.test");
        send(CacheHint.LOAD_AND_STORE, false, "b@dest.test");
        assertEquals(2, server.sessions());
        // QUIT's reply is not waited for (smtp_skip_quit_response), so the server may log it a moment later.
        await(() -> server.commands().stream().filter(c -> c.equals("QUIT")).count() == 2, "two QUITs");
        assertTrue(server.commands().stream().noneMatch(c -> c.equals("RSET")), server.commands().toString());
    }

    @Test
    void aReuseCountLimitOfOneAllowsTwoTransactions_CACHE9() {
        agent(reuse(Duration.ofSeconds(300), 1, Duration.ofSeconds(2)));
        DeliveryReport r1 = send(CacheHint.LOAD_AND_STORE, false, "a@dest.test");
        DeliveryReport r2 = send(CacheHint.LOAD_AND_STORE, false, "b@dest.test");
        DeliveryReport r3 = send(CacheHint.LOAD_AND_STORE, false, "c@dest.test");
        assertEquals(List.of(1, 2, 1), List.of(r1.results().get(0).connUse(), r2.results().get(0).connUse(),
                r3.results().get(0).connUse()));
        assertEquals(2, server.sessions());
    }

    @Test
    void aSessionThatSawA501IsNotKept_CACHE3() {
        agent(ConnectionReuse.defaults());
        server.reply(Stage.RCPT, (line, s) -> line.contains("bad@") ? "501 5.1.3 bad address" : "250 2.1.5 Ok");
        DeliveryReport first = send(CacheHint.LOAD_AND_STORE, false, "bad@dest.test");
        assertEquals(Outcome.BOUNCED, first.results().get(0).outcome());
        send(CacheHint.LOAD_AND_STORE, false, "b@dest.test");
        assertEquals(2, server.sessions(), server.commands().toString());
    }

    /**
     * CACHE-3/TLS-21: with smtp_tls_connection_reuse = no (Postfix's default) a session that
     * completed STARTTLS is never cached; it ends with QUIT. (With it on: TlsFallbackTest.)
     */
    @Test
    void aSessionThatStartedTlsIsNotKeptWithoutTlsConnectionReuse_CACHE3() throws Exception {
        agent(ConnectionReuse.defaults(), TlsLevel.MAY);
        server.startTls(true);
        DeliveryReport first = send(CacheHint.LOAD_AND_STORE, false, "a@dest.test");
        assertEquals(Outcome.SENT, first.results().get(0).outcome());
        assertEquals("may", first.results().get(0).tls());
        assertEquals(0, agent.parkedSessions(), "a TLS session is not parked");
        await(() -> server.openSessions() == 0, "the TLS session to end");
        send(CacheHint.LOAD_AND_STORE, false, "b@dest.test");
        assertEquals(2, server.sessions(), server.commands().toString());
    }

    @Test
    void aMessageNeedingSmtputf8NeverTakesAConnectionCachedWithoutIt_CACHE8() {
        agent(ConnectionReuse.defaults());
        server.capabilities("PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES");
        send(CacheHint.LOAD_AND_STORE, false, "a@dest.test");
        send(CacheHint.LOAD_AND_STORE, true, "b@dest.test");
        assertEquals(2, server.sessions());
    }

    @Test
    void anIdleParkedConnectionIsClosedAfterTheCacheTimeLimit_CACHE1() throws Exception {
        agent(reuse(Duration.ofSeconds(300), 0, Duration.ofMillis(300)));
        send(CacheHint.LOAD_AND_STORE, false, "a@dest.test");
        assertEquals(1, agent.parkedSessions());
        await(() -> agent.parkedSessions() == 0 && server.openSessions() == 0, "the idle connection to close");
        assertTrue(server.commands().contains("QUIT"), server.commands().toString());
        send(CacheHint.LOAD_AND_STORE, false, "b@dest.test");
        assertEquals(2, server.sessions());
    }

    @Test
    void closingTheAgentQuitsItsParkedSessions() throws Exception {
        agent(ConnectionReuse.defaults());
        send(CacheHint.LOAD_AND_STORE, false, "a@dest.test");
        assertEquals(1, agent.parkedSessions());
        agent.close();
        await(() -> server.openSessions() == 0, "QUIT");
        assertEquals(0, agent.parkedSessions());
    }

    @Test
    void onlyStoringRequestsParkAndTheReuseDeadlineCountsFromTheConnect_CACHE2() throws Exception {
        agent(reuse(Duration.ofMillis(800), 0, Duration.ofSeconds(5)));
        send(CacheHint.LOAD, false, "a@dest.test");
        assertEquals(0, agent.parkedSessions(), "load without store parks nothing");
        long connected = System.nanoTime();
        send(CacheHint.LOAD_AND_STORE, false, "b@dest.test");
        DeliveryReport reused = send(CacheHint.LOAD_AND_STORE, false, "c@dest.test");
        assertEquals(2, reused.results().get(0).connUse());
        await(() -> System.nanoTime() - connected > Duration.ofMillis(900).toNanos(), "the deadline");
        DeliveryReport third = send(CacheHint.LOAD_AND_STORE, false, "d@dest.test");
        assertEquals(3, third.results().get(0).connUse(), "still reusable: the deadline is checked when the dot is built");
        assertEquals(0, agent.parkedSessions(), "past its deadline it is not parked again, although it was just reused");
        DeliveryReport fresh = send(CacheHint.LOAD_AND_STORE, false, "e@dest.test");
        assertEquals(1, fresh.results().get(0).connUse());
        assertEquals(3, server.sessions());
    }

    @Test
    void aConnectionIsFoundByItsEndpointUnderAnotherNexthop_CACHE6() throws Exception {
        agent(ConnectionReuse.defaults());
        send(CacheHint.LOAD_AND_STORE, false, "a@dest.test");
        int closed;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.2"))) {
            closed = probe.getLocalPort();
        }
        String otherList = "[127.0.0.2]:" + closed + ", [127.0.0.1]:" + server.port();
        DeliveryReport r = send(CacheHint.LOAD_AND_STORE, false, "b@dest.test", otherList, "Subject: y\r\n\r\nbody\r\n");
        assertEquals(Outcome.SENT, r.results().get(0).outcome());
        assertEquals(2, r.results().get(0).connUse(), "the endpoint key found the parked session");
        assertEquals(1, server.sessions());
    }

    @Test
    void aReusedSessionSkipsTheSizePreCheckButStillSendsSize_CACHE10() {
        agent(ConnectionReuse.defaults());
        server.capabilities("PIPELINING", "SIZE 100", "8BITMIME", "ENHANCEDSTATUSCODES");
        String big = "Subject: big\r\n\r\n" + "x".repeat(200) + "\r\n";
        DeliveryReport fresh = send(CacheHint.OFF, false, "a@dest.test", "[127.0.0.1]:" + server.port(), big);
        assertEquals(Outcome.BOUNCED, fresh.results().get(0).outcome(), "a fresh session checks SIZE first (XFER-1)");
        assertEquals("5.3.4", fresh.results().get(0).status().text());
        send(CacheHint.LOAD_AND_STORE, false, "b@dest.test");
        DeliveryReport reused = send(CacheHint.LOAD_AND_STORE, false, "c@dest.test", "[127.0.0.1]:" + server.port(), big);
        assertEquals(2, reused.results().get(0).connUse());
        assertEquals(Outcome.SENT, reused.results().get(0).outcome(), "the limit was not kept with the parked session");
        assertTrue(server.commands().stream().anyMatch(c -> c.startsWith("MAIL FROM:") && c.contains("SIZE=2")),
                server.commands().toString());
    }

    private DeliveryReport send(io.postilion.engine.delivery.TlsRequest tls, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.US_ASCII);
        DeliveryRequest r = DeliveryRequest.builder("Q" + System.nanoTime() % 100000, "s@client.test",
                "[127.0.0.1]:" + server.port()).recipient("a@dest.test").content(ContentSource.of(bytes)).tls(tls).build();
        return agent.deliver(r, CacheHint.LOAD_AND_STORE).block(WAIT);
    }

    @Test
    void aRequireTlsMessageNeitherTakesNorLeavesACachedConnection_TLS19() {
        agent(ConnectionReuse.defaults()); // [127.0.0.1] is an IP literal: REQUIRETLS is opportunistic there
        String body = "Subject: x\r\n\r\nbody\r\n";
        assertEquals(Outcome.SENT, send(io.postilion.engine.delivery.TlsRequest.NONE, body).results().get(0).outcome());
        assertEquals(Outcome.SENT, send(new io.postilion.engine.delivery.TlsRequest(true, false), body).results().get(0).outcome());
        assertEquals(2, server.sessions(), "the parked session was not taken: " + server.commands());
        assertEquals(Outcome.SENT, send(io.postilion.engine.delivery.TlsRequest.NONE, body).results().get(0).outcome());
        assertEquals(2, server.sessions(), "the first session was still parked, the REQUIRETLS one was not: "
                + server.commands());
    }

    @Test
    void tlsRequiredNoMailIsCachedApartFromOtherMail_TLS20() {
        agent(ConnectionReuse.defaults());
        String relaxed = "Subject: x\r\nTLS-Required: no\r\n\r\nbody\r\n";
        send(io.postilion.engine.delivery.TlsRequest.NONE, "Subject: x\r\n\r\nbody\r\n");
        send(io.postilion.engine.delivery.TlsRequest.of(false, relaxed.getBytes(StandardCharsets.US_ASCII)), relaxed);
        assertEquals(2, server.sessions(), "not the other mail's session: " + server.commands());
        send(io.postilion.engine.delivery.TlsRequest.of(false, relaxed.getBytes(StandardCharsets.US_ASCII)), relaxed);
        assertEquals(2, server.sessions(), "but its own: " + server.commands());
    }
}
