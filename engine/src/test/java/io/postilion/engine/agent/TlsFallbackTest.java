package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Opportunistic TLS that goes wrong, through the agent built from main.cf (TLS-10, TLS-11, TLS-12,
 * SASL-10), and what else this branch owns around a TLS session: wrapper mode's per-server
 * refusal (TLS-14), connection reuse (TLS-21), the tls= field (TLS-23), the handshake log line
 * (TLS-30) and close_notify (TLS-33). The servers are scripted fakes on loopback: one whose TLS
 * stack answers every client hello with plaintext, one that drops a TLS session (and only a TLS
 * session) at a chosen command.
 */
class TlsFallbackTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String HANDSHAKE_FAILURE = "Cannot start TLS: handshake failure";

    private final AgentTestBed bed = new AgentTestBed();
    private final FakeSmtpServer server = bed.server("127.0.0.1");

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private DeliveryAgent agent(String... more) {
        List<String> o = new ArrayList<>(List.of("smtp_tls_security_level=may", "smtp_starttls_timeout=5s",
                "dns_servers=127.0.0.1:9"));
        o.addAll(List.of(more));
        return bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)));
    }

    private String nexthop() {
        return "[127.0.0.1]:" + server.port();
    }

    /** A request whose message arrived {@code age} before the queue manager picked it up (now). */
    private DeliveryRequest.Builder request(Duration age, String... rcpts) {
        return request(nexthop(), age, rcpts);
    }

    private DeliveryRequest.Builder request(String nexthop, Duration age, String... rcpts) {
        Instant now = Instant.now();
        DeliveryRequest.Builder b = DeliveryRequest.builder("4FALL" + System.nanoTime() % 100000, "s@client.test", nexthop)
                .content(ContentSource.of("Subject: t\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .times(now.minus(age), now);
        for (String r : rcpts) {
            b.recipient(r);
        }
        return b;
    }

    private static DeliveryReport deliver(DeliveryAgent agent, DeliveryRequest.Builder b) {
        return agent.deliver(b.build()).block(WAIT);
    }

    private static DeliveryReport deliver(DeliveryAgent agent, DeliveryRequest.Builder b, CacheHint hint) {
        return agent.deliver(b.build(), hint).block(WAIT);
    }

    private long count(String command) {
        return server.commands().stream().filter(c -> c.equals(command) || c.startsWith(command + " ")).count();
    }

    private static void assertDeferredHandshakeFailure(RecipientResult r) {
        assertEquals(Outcome.DEFERRED, r.outcome(), r.toString());
        assertEquals("4.7.5", r.status().text());
        assertEquals(HANDSHAKE_FAILURE, r.reason());
    }

    // ------------------------------------------------------------------ TLS-10, TLS-11

    @Test
    void aFreshMessageIsDeferredWithoutThrottleAndNoPlaintextRetry_TLS10() {
        server.brokenTls();
        DeliveryReport r = deliver(agent(), request(Duration.ofSeconds(10), "a@dest.test"));
        assertDeferredHandshakeFailure(r.results().get(0));
        assertFalse(r.throttle(), "no throttling at level may (TLS-10)");
        assertEquals(1, server.sessions(), "no plaintext retry for a fresh message: " + server.transcript());
        assertEquals(0, count("QUIT"), "no QUIT after a failed handshake: " + server.commands());
        assertEquals("may?", r.results().get(0).tls());
    }

    @Test
    void aHandshakeFailureAboveMayThrottlesAndNeverFallsBack_TLS10() {
        server.brokenTls();
        DeliveryReport r = deliver(agent("smtp_tls_security_level=encrypt"), request(Duration.ofMinutes(10), "a@dest.test"));
        assertDeferredHandshakeFailure(r.results().get(0));
        assertTrue(r.throttle(), "a handshake failure above may throttles");
        assertEquals(1, server.sessions(), server.transcript().toString());
        assertEquals(0, count("QUIT"), server.commands().toString());
    }

    @Test
    void aMessageQueuedTenMinutesIsRetriedAtOnceInPlaintextOnTheSameAddress_TLS11_TLS23() {
        server.brokenTls();
        DeliveryReport r = deliver(agent(), request(Duration.ofMinutes(10), "a@dest.test", "b@dest.test"));
        for (RecipientResult x : r.results()) {
            assertEquals(Outcome.SENT, x.outcome(), x.toString());
            assertEquals("may:none", x.tls(), "LOG-5: a plaintext retry");
        }
        assertFalse(r.throttle());
        assertEquals(2, server.sessions(), server.transcript().toString());
        List<String> cmds = server.commands();
        assertEquals(1, count("STARTTLS"), "TLS off for the retry: " + cmds);
        assertTrue(server.clientAddresses().get(0).getAddress().equals(server.clientAddresses().get(1).getAddress()));
        int starttls = cmds.indexOf("STARTTLS");
        assertTrue(cmds.get(starttls + 1).startsWith("EHLO"), "the retry starts afresh with EHLO: " + cmds);
        assertEquals(2, count("RCPT"), "both recipients kept for the retry: " + cmds);
    }

    @Test
    void theRetryCountsAgainstNeitherTheAddressNorTheSessionLimit_TLS11() throws Exception {
        // MX 1 has a broken TLS stack and refuses MAIL in plaintext; MX 2 takes the mail. Two
        // addresses and two sessions: the failed handshake must use neither, or MX 2 is never reached.
        server.brokenTls().reply(Stage.MAIL, "451 4.3.0 try another server");
        FakeSmtpServer mx2 = bed.closed(FakeSmtpServer.start("127.0.0.2", server.port()));
        var dns = bed.dns();
        dns.mx("dest.test", 10, "mx1.dest.test").mx("dest.test", 20, "mx2.dest.test")
                .a("mx1.dest.test", "127.0.0.1").a("mx2.dest.test", "127.0.0.2");
        DeliveryAgent a = agent("dns_servers=" + dns.dnsServers(), "smtp_mx_address_limit=2", "smtp_mx_session_limit=2");
        DeliveryReport r = deliver(a, request("dest.test:" + server.port(), Duration.ofMinutes(10), "a@dest.test"));
        assertEquals(Outcome.SENT, r.results().get(0).outcome(), r.results().get(0).toString());
        assertEquals(2, server.sessions(), "the TLS attempt and its plaintext retry: " + server.transcript());
        assertEquals(1, mx2.sessions());
    }

    @Test
    void theAgeCountsUntilThePickUpNotUntilNow_TLS11() {
        server.brokenTls();
        Instant now = Instant.now();
        // arrived 10 minutes ago, but picked up 9 min 55 s ago: only 5 s old when picked up
        DeliveryRequest.Builder b = request(Duration.ZERO, "a@dest.test").times(now.minusSeconds(600), now.minusSeconds(595));
        DeliveryReport r = deliver(agent(), b);
        assertDeferredHandshakeFailure(r.results().get(0));
        assertEquals(1, server.sessions());
    }

    @Test
    void minimalBackoffTimeSetsTheAge_TLS11() {
        server.brokenTls();
        DeliveryReport r = deliver(agent("minimal_backoff_time=5s"), request(Duration.ofSeconds(10), "a@dest.test"));
        assertEquals(Outcome.SENT, r.results().get(0).outcome(), r.results().get(0).toString());
        assertEquals(2, server.sessions());
    }

    @Test
    void anAddressProbeFallsBackWhateverItsAge_TLS11() {
        server.brokenTls();
        DeliveryReport r = deliver(agent(), request(Duration.ZERO, "a@dest.test").probe(true));
        assertEquals(Outcome.DELIVERABLE, r.results().get(0).outcome(), r.results().get(0).toString());
        assertEquals(2, server.sessions(), server.transcript().toString());
    }

    @Test
    void saslCredentialsForTheServerForbidThePlaintextRetry_TLS11_SASL10() {
        server.brokenTls();
        DeliveryReport r = deliver(agent("smtp_sasl_auth_enable=yes",
                        "smtp_sasl_password_maps=inline:{" + nexthop() + "=user:secret}"),
                request(Duration.ofMinutes(10), "a@dest.test"));
        assertDeferredHandshakeFailure(r.results().get(0));
        assertEquals(1, server.sessions(), "no plaintext retry with credentials: " + server.transcript());
    }

    @Test
    void saslEnabledWithoutCredentialsForThisServerStillFallsBack_SASL10() {
        server.brokenTls();
        DeliveryReport r = deliver(agent("smtp_sasl_auth_enable=yes",
                        "smtp_sasl_password_maps=inline:{[other.test]:587=user:secret}"),
                request(Duration.ofMinutes(10), "a@dest.test"));
        assertEquals(Outcome.SENT, r.results().get(0).outcome(), r.results().get(0).toString());
        assertEquals(2, server.sessions());
    }

    // ------------------------------------------------------------------ TLS-12

    @Test
    void aTlsSessionDroppedAfterMailIsRetriedInPlaintext_TLS12() {
        server.startTls(true).dropTlsAt(Stage.MAIL);
        DeliveryReport r = deliver(agent(), request(Duration.ofMinutes(10), "a@dest.test"));
        assertEquals(Outcome.SENT, r.results().get(0).outcome(), r.results().get(0).toString());
        assertEquals("may:none", r.results().get(0).tls());
        assertEquals(2, server.sessions(), server.transcript().toString());
        assertEquals(1, count("STARTTLS"));
        assertEquals(2, count("MAIL"), server.commands().toString());
    }

    @Test
    void aFreshMessageIsNotRetriedAfterABrokenTlsSession_TLS12() {
        server.startTls(true).dropTlsAt(Stage.MAIL);
        DeliveryReport r = deliver(agent(), request(Duration.ofSeconds(10), "a@dest.test"));
        assertEquals(Outcome.DEFERRED, r.results().get(0).outcome());
        assertTrue(r.results().get(0).reason().startsWith("lost connection with"), r.results().get(0).reason());
        assertEquals(1, server.sessions());
    }

    @Test
    void recipientsAlreadyDeferredAtTheFinalServerAreNotRetried_TLS12() {
        server.startTls(true).dropTlsAt(Stage.DATA)
                .reply(Stage.RCPT, (line, s) -> line.contains("later@") ? "450 4.2.0 try later" : "250 2.1.5 Ok");
        DeliveryReport r = deliver(agent(), request(Duration.ofMinutes(10), "a@dest.test", "later@dest.test"));
        assertEquals(Outcome.SENT, r.results().get(0).outcome(), r.results().get(0).toString());
        assertEquals(Outcome.DEFERRED, r.results().get(1).outcome());
        assertEquals("4.2.0", r.results().get(1).status().text());
        assertEquals(2, server.sessions());
        List<String> cmds = server.commands();
        List<String> secondRcpts = cmds.subList(cmds.lastIndexOf("EHLO client.test"), cmds.size()).stream()
                .filter(c -> c.startsWith("RCPT")).toList();
        assertEquals(List.of("RCPT TO:<a@dest.test>"), secondRcpts, cmds.toString());
    }

    @Test
    void saslCredentialsForbidTheRetryAfterABrokenTlsSession_TLS12_SASL10() {
        server.startTls(true).dropTlsAt(Stage.MAIL);
        DeliveryReport r = deliver(agent("smtp_sasl_auth_enable=yes",
                        "smtp_sasl_password_maps=inline:{" + nexthop() + "=user:secret}"),
                request(Duration.ofMinutes(10), "a@dest.test"));
        assertEquals(Outcome.DEFERRED, r.results().get(0).outcome());
        assertEquals(1, server.sessions());
    }

    @Test
    void aBrokenSessionAtLevelEncryptIsNeverRetried_TLS12() {
        server.startTls(true).dropTlsAt(Stage.MAIL);
        DeliveryReport r = deliver(agent("smtp_tls_security_level=encrypt"), request(Duration.ofMinutes(10), "a@dest.test"));
        assertEquals(Outcome.DEFERRED, r.results().get(0).outcome());
        assertEquals(1, server.sessions());
    }

    // ------------------------------------------------------------------ TLS-14

    @Test
    void atLevelNoneAnOfferedStarttlsIsNotedOnlyWhenAsked_TLS9() {
        server.startTls(true);
        StringBuilder quiet = new StringBuilder();
        DeliveryReport r = LogCapture.capturingLog(quiet, () -> deliver(agent("smtp_tls_security_level=none"),
                request(Duration.ZERO, "a@dest.test")));
        assertEquals(Outcome.SENT, r.results().get(0).outcome(), r.results().get(0).reason());
        assertTrue(!quiet.toString().contains("Host offered STARTTLS"), quiet.toString());
        StringBuilder noted = new StringBuilder();
        r = LogCapture.capturingLog(noted, () -> deliver(agent("smtp_tls_security_level=none",
                "smtp_tls_note_starttls_offer=yes"), request(Duration.ZERO, "b@dest.test")));
        assertEquals(Outcome.SENT, r.results().get(0).outcome(), r.results().get(0).reason());
        assertTrue(noted.toString().contains("Host offered STARTTLS: [127.0.0.1]"), noted.toString());
        assertTrue(server.commands().stream().noneMatch("STARTTLS"::equals), "level none never sends it: " + server.commands());
    }

    @Test
    void wrapperModeSkipsEveryServerBelowEncryptWithAWarning_TLS14() {
        StringBuilder log = new StringBuilder();
        DeliveryReport r = LogCapture.capturingLog(log, () -> deliver(agent("smtp_tls_wrappermode=yes"),
                request(Duration.ZERO, "a@dest.test")));
        assertEquals(Outcome.DEFERRED, r.results().get(0).outcome());
        assertEquals("4.3.0", r.results().get(0).status().text());
        assertEquals("server unavailable or unable to receive mail", r.results().get(0).reason());
        assertEquals(0, server.sessions(), "no connection is made");
        assertTrue(log.toString().contains("smtp_tls_wrappermode requires \"smtp_tls_security_level = encrypt\" (or stronger)"),
                log.toString());
    }

    @Test
    void aWrapperModeHandshakeThatFailsIsTheHandshakeFailureOfTls10_TLS10_TLS14() {
        // the server speaks plaintext on the port a wrapper-mode client expects TLS on
        DeliveryReport r = deliver(agent("smtp_tls_security_level=encrypt", "smtp_tls_wrappermode=yes"),
                request(Duration.ofMinutes(10), "a@dest.test"));
        assertDeferredHandshakeFailure(r.results().get(0));
        assertTrue(r.throttle());
        assertEquals(1, server.sessions());
        // the client's TLS hello reaches the server (it reads it as a line); no SMTP command follows it
        assertFalse(server.commands().stream().anyMatch(c -> c.startsWith("EHLO") || c.equals("QUIT")),
                "nothing is written after a failed handshake");
    }

    // ------------------------------------------------------------------ TLS-21

    @Test
    void aTlsSessionIsNotParkedByDefault_TLS21() {
        server.startTls(true);
        DeliveryAgent a = agent();
        deliver(a, request(Duration.ZERO, "a@dest.test"), CacheHint.LOAD_AND_STORE);
        assertEquals(0, a.parkedSessions());
        deliver(a, request(Duration.ZERO, "b@dest.test"), CacheHint.LOAD_AND_STORE);
        assertEquals(2, server.sessions());
        // the client does not wait for QUIT's reply (smtp_skip_quit_response): the second may land late
        Eventually.await(() -> count("QUIT") == 2, "two QUITs: " + server.commands());
    }

    @Test
    void withConnectionReuseATlsSessionIsParkedAndReused_TLS21() {
        server.startTls(true);
        DeliveryAgent a = agent("smtp_tls_connection_reuse=yes");
        DeliveryReport first = deliver(a, request(Duration.ZERO, "a@dest.test"), CacheHint.LOAD_AND_STORE);
        assertEquals(1, a.parkedSessions());
        DeliveryReport second = deliver(a, request(Duration.ZERO, "b@dest.test"), CacheHint.LOAD_AND_STORE);
        assertEquals(Outcome.SENT, second.results().get(0).outcome());
        assertEquals(1, server.sessions(), server.commands().toString());
        assertEquals(2, second.results().get(0).connUse());
        assertEquals("may", first.results().get(0).tls());
        assertEquals("may", second.results().get(0).tls());
        assertEquals(1, count("STARTTLS"));
    }

    @Test
    void aReusedTlsSessionThatBreaksIsRetriedInPlaintext_TLS12_TLS21() {
        // the second MAIL over TLS (on the reused session) loses the connection
        server.startTls(true).dropTlsAt(Stage.MAIL, 2);
        DeliveryAgent a = agent("smtp_tls_connection_reuse=yes");
        deliver(a, request(Duration.ofMinutes(10), "a@dest.test"), CacheHint.LOAD_AND_STORE);
        assertEquals(1, a.parkedSessions());
        DeliveryReport r = deliver(a, request(Duration.ofMinutes(10), "b@dest.test"), CacheHint.LOAD_AND_STORE);
        assertEquals(Outcome.SENT, r.results().get(0).outcome(), r.results().get(0).toString());
        assertEquals("may:none", r.results().get(0).tls());
        assertEquals(2, server.sessions(), server.transcript().toString());
        assertEquals(1, count("STARTTLS"));
    }

    @Test
    void aReusedTlsSessionLogsReused_TLS21_TLS30() {
        server.startTls(true);
        DeliveryAgent a = agent("smtp_tls_connection_reuse=yes", "smtp_tls_loglevel=1");
        StringBuilder log = new StringBuilder();
        LogCapture.capturingLog(log, () -> {
            deliver(a, request(Duration.ZERO, "a@dest.test"), CacheHint.LOAD_AND_STORE);
            return deliver(a, request(Duration.ZERO, "b@dest.test"), CacheHint.LOAD_AND_STORE);
        });
        assertEquals(1, log.toString().lines().filter(l -> l.contains("Untrusted TLS connection established to")).count(),
                log.toString());
        assertEquals(1, log.toString().lines().filter(l -> l.contains("Untrusted TLS connection reused to")).count(),
                log.toString());
    }

    @Test
    void aPlaintextRetryIsNeverReusedForARequestAtLevelMay_TLS21_CACHE8() {
        server.brokenTls();
        DeliveryAgent a = agent("smtp_tls_connection_reuse=yes");
        DeliveryReport first = deliver(a, request(Duration.ofMinutes(10), "a@dest.test"), CacheHint.LOAD_AND_STORE);
        assertEquals(Outcome.SENT, first.results().get(0).outcome());
        assertEquals(1, a.parkedSessions(), "the plaintext session is parked, at level none");
        deliver(a, request(Duration.ZERO, "b@dest.test"), CacheHint.LOAD_AND_STORE);
        assertEquals(3, server.sessions(), "the may request made its own connection: " + server.transcript());
    }

    @Test
    void aVerifiedSessionIsFiledUnderItsNexthop_CACHE8() {
        DeliveryAgent a = agent("smtp_tls_connection_reuse=yes");
        TransactionRun run = new TransactionRun(AgentConfiguration.agentSettings(AgentTestBed.config(List.of(
                "smtp_tls_security_level=verify"))), null, java.time.Clock.systemUTC(), null);
        Attempt one = new Attempt(request(Duration.ZERO, "a@dest.test").build());
        one.currentNexthop = "one.test";
        Attempt two = new Attempt(request(Duration.ZERO, "a@dest.test").build());
        two.currentNexthop = "two.test";
        var ep = io.postilion.transport.session.Endpoint.inet("mx.test", new java.net.InetSocketAddress("127.0.0.1", 25));
        var verify = new io.postilion.tls.TlsPolicy(io.postilion.tls.TlsLevel.VERIFY,
                io.postilion.tls.ClientTlsContexts.unauthenticated(io.postilion.tls.TlsLevel.VERIFY), null,
                io.postilion.tls.PeerCheck.NOTHING, true);
        var may = new io.postilion.tls.TlsPolicy(io.postilion.tls.TlsLevel.MAY,
                io.postilion.tls.ClientTlsContexts.unauthenticated(io.postilion.tls.TlsLevel.MAY), null,
                io.postilion.tls.PeerCheck.NOTHING, true);
        assertFalse(run.endpointKey(one, ep, verify).equals(run.endpointKey(two, ep, verify)),
                "a verified session is not reused for another next hop");
        assertEquals(run.endpointKey(one, ep, may), run.endpointKey(two, ep, may));
        assertFalse(run.endpointKey(one, ep, may).equals(run.endpointKey(one, ep, io.postilion.tls.TlsPolicy.NONE)),
                "no reuse across TLS levels");
        a.close();
    }

    // ------------------------------------------------------------------ TLS-30

    @Test
    void atLogLevelOneEachHandshakeIsLogged_TLS30() {
        server.startTls(true);
        StringBuilder log = new StringBuilder();
        DeliveryReport r = LogCapture.capturingLog(log, () -> deliver(agent("smtp_tls_loglevel=1"), request(Duration.ZERO, "a@dest.test")));
        assertEquals(Outcome.SENT, r.results().get(0).outcome());
        String line = log.toString().lines().filter(l -> l.contains("TLS connection established")).findFirst().orElse("");
        assertTrue(line.matches(".*Untrusted TLS connection established to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + server.port()
                + ": (TLSv1\\.3 with cipher TLS_[A-Z0-9_]+|TLSv1\\.2 with cipher [A-Z0-9-]+) \\((128|256)/(128|256) bits\\)"
                + " key-exchange .*"), log.toString());
        assertTrue(line.contains(" server-signature "), line);
    }

    @Test
    void atLogLevelZeroNothingIsLogged_TLS30() {
        server.startTls(true);
        StringBuilder log = new StringBuilder();
        LogCapture.capturingLog(log, () -> deliver(agent(), request(Duration.ZERO, "a@dest.test")));
        assertFalse(log.toString().contains("TLS connection established"), log.toString());
    }

    @Test
    void theLogLevelTakesPostfixNamesAndKeywords_TLS30() {
        assertEquals(1, TlsLogLevel.parse("smtp_tls_loglevel", "routine"));
        assertEquals(2, TlsLogLevel.parse("smtp_tls_loglevel", "1, debug"));
        assertEquals(4, TlsLogLevel.parse("smtp_tls_loglevel", "9"));
        assertEquals(0, TlsLogLevel.parse("smtp_tls_loglevel", "untrusted peercert"));
        assertEquals(1, TlsLogLevel.parse("smtp_tls_loglevel", "summary, certmatch"));
        ConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigurationException.class,
                () -> agent("smtp_tls_loglevel=loud"));
        assertTrue(e.getMessage().contains("smtp_tls_loglevel"), e.getMessage());
    }

    // ------------------------------------------------------------------ TLS-33

    @Test
    void aNormalEndSendsCloseNotify_TLS33() throws Exception {
        server.startTls(true).delay(Stage.QUIT, Duration.ofMillis(300));
        deliver(agent(), request(Duration.ZERO, "a@dest.test"));
        await(() -> server.openSessions() == 0, "the session to end");
        await(() -> server.closeNotifies() == 1, () -> "close_notify: " + server.transcript());
    }

    @Test
    void aTimedOutTlsSessionEndsWithoutCloseNotify_TLS33() throws Exception {
        server.startTls(true).delay(Stage.MAIL, Duration.ofSeconds(3));
        DeliveryReport r = deliver(agent("smtp_mail_timeout=1s"), request(Duration.ZERO, "a@dest.test"));
        assertEquals(Outcome.DEFERRED, r.results().get(0).outcome());
        assertTrue(r.results().get(0).reason().contains("timed out"), r.results().get(0).reason());
        await(() -> server.openSessions() == 0, "the session to end");
        Thread.sleep(200);
        assertEquals(0, server.closeNotifies(), server.transcript().toString());
    }

    // ------------------------------------------------------------------ helpers


    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        await(done, () -> what);
    }

    private static void await(BooleanSupplier done, Supplier<String> what) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting for " + what.get());
            }
            Thread.sleep(20);
        }
    }
}
