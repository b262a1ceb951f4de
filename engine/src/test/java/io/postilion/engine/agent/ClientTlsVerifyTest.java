package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The levels verify and secure (TLS-5, TLS-7, TLS-13, TLS-23, TLS-24) through the delivery agent
 * built from main.cf, against a scripted STARTTLS server presenting certificates a test CA signed
 * for chosen names. The next hop {@code dest.test} has its MX records in a test DNS server; each
 * test is named after the rule it checks.
 */
class ClientTlsVerifyTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String NOT_VERIFIED = "Server certificate not verified";

    private static X509Bundle ca;
    private static X509Bundle otherCa;

    private final List<AutoCloseable> closing = new ArrayList<>();
    private FakeSmtpServer server;
    private TestDnsServer dns;
    private Path caFile;

    @TempDir
    Path dir;

    @BeforeAll
    static void authorities() throws Exception {
        ca = authority("CN=Postilion Test CA");
        otherCa = authority("CN=Someone Else's CA");
    }

    private static X509Bundle authority(String subject) throws Exception {
        return new CertificateBuilder().subject(subject).setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
    }

    /** A server certificate {@code issuer} signed, with this subject CN and these DNS subjectAltNames. */
    private static SslContext serverCert(X509Bundle issuer, String cn, String... sans) throws Exception {
        CertificateBuilder b = new CertificateBuilder().subject("CN=" + cn).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .addExtendedKeyUsageServerAuth();
        for (String san : sans) {
            b.addSanDnsName(san);
        }
        return SslContextBuilder.forServer(b.buildIssuedBy(issuer).toKeyManagerFactory()).build();
    }

    @BeforeEach
    void start() throws Exception {
        server = FakeSmtpServer.start().startTls(true);
        dns = TestDnsServer.start();
        caFile = dir.resolve("ca.pem");
        Files.writeString(caFile, ca.getCertificatePEM());
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        server.close();
        dns.close();
    }

    private DeliveryAgent agent(String... more) {
        List<String> o = new ArrayList<>(List.of("inet_interfaces=127.0.0.254", "inet_protocols=ipv4",
                "myhostname=client.test", "dns_servers=" + dns.dnsServers(), "smtp_connect_timeout=3s",
                "smtp_helo_timeout=3s", "smtp_starttls_timeout=5s", "smtp_mail_timeout=3s", "smtp_rcpt_timeout=3s",
                "smtp_data_init_timeout=3s", "smtp_data_xfer_timeout=3s", "smtp_data_done_timeout=3s"));
        o.addAll(List.of(more));
        return agent(ConfigurationLoader.fromText("", "(test)", o));
    }

    private DeliveryAgent agent(Configuration cfg) {
        DeliveryAgent a = DeliveryAgent.builder(cfg).clock(Clock.systemUTC()).build();
        closing.add(a::close);
        return a;
    }

    /** The agent at {@code level} trusting the test CA. */
    private DeliveryAgent at(String level, String... more) {
        List<String> o = new ArrayList<>(List.of("smtp_tls_security_level=" + level, "smtp_tls_CAfile=" + caFile));
        o.addAll(List.of(more));
        return agent(o.toArray(String[]::new));
    }

    /** Where this test's server's command list stood when the last delivery began. */
    private int mark;

    private RecipientResult deliver(DeliveryAgent agent, String nexthop) {
        mark = server.commands().size();
        DeliveryRequest request = DeliveryRequest.builder("4TLSV1", "s@client.test", nexthop)
                .content(ContentSource.of("Subject: tls\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build();
        DeliveryReport r = agent.deliver(request).block(WAIT);
        return r.results().get(0);
    }

    /** dest.test's MX is {@code mx}, which is this test's server. */
    private String viaMx(String mx) {
        return viaMx("dest.test", mx);
    }

    /** {@code domain}'s MX is {@code mx}, which is this test's server. */
    private String viaMx(String domain, String mx) {
        dns.mx(domain, 10, mx).a(mx, "127.0.0.1");
        return domain + ":" + server.port();
    }

    private static void assertSent(RecipientResult r) {
        assertEquals(Outcome.SENT, r.outcome(), r.status().text() + " " + r.reason());
    }

    /** TLS-13: 4.7.5 "Server certificate not verified", QUIT over the working TLS channel, no mail. */
    private void assertNotVerified(RecipientResult r) {
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals("4.7.5", r.status().text());
        assertEquals(NOT_VERIFIED, r.reason());
        assertNoMailWentOut();
        // the client does not wait for QUIT's reply (smtp_skip_quit_response): give the server a moment
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!since().contains("QUIT") && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        assertTrue(since().contains("QUIT"), since().toString());
    }

    /** The commands the server saw since the last delivery began. */
    private List<String> since() {
        List<String> all = server.commands();
        return all.subList(Math.min(mark, all.size()), all.size());
    }

    private void assertNoMailWentOut() {
        assertTrue(since().stream().noneMatch(c -> c.startsWith("MAIL") || c.startsWith("RCPT")), since().toString());
    }

    // ------------------------------------------------------------------ verify: the MX host name

    @Test
    void verifyDeliversWhenTheCertificateNamesTheMxHostAndLogsVerify_TLS5_TLS7_TLS23() throws Exception {
        server.tlsContext(serverCert(ca, "mx1.dest.test", "mx1.dest.test"));
        RecipientResult r = deliver(at("verify"), viaMx("mx1.dest.test"));
        assertSent(r);
        assertEquals("verify", r.tls(), "LOG-5: the level met");
        assertTrue(server.transcript().indexOf("S: <tls>") < server.transcript().indexOf("C: MAIL FROM:<s@client.test>"),
                server.transcript().toString());
    }

    @Test
    void verifyDefersACertificateForAnotherNameWith475AndQuit_TLS13_TLS23() throws Exception {
        server.tlsContext(serverCert(ca, "other.test", "other.test"));
        RecipientResult r = deliver(at("verify"), viaMx("mx1.dest.test"));
        assertNotVerified(r);
        assertEquals("!verify", r.tls(), "LOG-5: the policy was violated");
    }

    @Test
    void aCertificateFromAnotherCaIsDeferred_TLS13_TLS24() throws Exception {
        server.tlsContext(serverCert(otherCa, "mx1.dest.test", "mx1.dest.test"));
        assertNotVerified(deliver(at("verify"), viaMx("mx1.dest.test")));
    }

    @Test
    void withoutCaFileOrPathNothingIsTrustedNotEvenTheSystemStore_TLS24() throws Exception {
        server.tlsContext(serverCert(ca, "mx1.dest.test", "mx1.dest.test"));
        assertNotVerified(deliver(agent("smtp_tls_security_level=verify"), viaMx("mx1.dest.test")));
    }

    @Test
    void aHashedCaPathIsReadAsOpenSslReadsIt_TLS24() throws Exception {
        server.tlsContext(serverCert(ca, "mx1.dest.test", "mx1.dest.test"));
        Path hashed = Files.createDirectories(dir.resolve("certs"));
        Files.writeString(hashed.resolve("ca-not-hashed.pem"), ca.getCertificatePEM());
        assertNotVerified(deliver(agent("smtp_tls_security_level=verify", "smtp_tls_CApath=" + hashed),
                viaMx("mx1.dest.test")));
        Files.writeString(hashed.resolve("1a2b3c4d.0"), ca.getCertificatePEM());
        server.close();
        server = FakeSmtpServer.start().startTls(true).tlsContext(serverCert(ca, "mx1.dest.test", "mx1.dest.test"));
        assertSent(deliver(agent("smtp_tls_security_level=verify", "smtp_tls_CApath=" + hashed), "dest.test:" + server.port()));
    }

    @Test
    void anUnreadableCaFileStopsStartUpNamingIt_TLS24() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> at("verify", "smtp_tls_CAfile=" + dir.resolve("missing.pem")));
        assertEquals(78, e.exitStatus());
        assertEquals(java.util.Optional.of("smtp_tls_CAfile"), e.parameter());
        assertTrue(e.getMessage().contains("cannot load CA certificates from " + dir.resolve("missing.pem")), e.getMessage());
    }

    @Test
    void aCaFileWithoutCertificatesStopsStartUp_TLS24() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "not a certificate\n");
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> at("verify", "smtp_tls_CAfile=" + empty));
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("cannot load CA certificates from " + empty)
                || e.getMessage().contains("no CA certificate in " + empty), e.getMessage());
    }

    // ------------------------------------------------------------------ secure: the next hop

    @Test
    void secureMatchesTheNexthopAndNotAnMxNameFromDns_TLS7() throws Exception {
        server.tlsContext(serverCert(ca, "mx.provider.test", "mx.provider.test"));
        String hop = viaMx("mx.provider.test");
        assertSent(deliver(at("verify"), hop));
        RecipientResult r = deliver(at("secure"), hop);
        assertNotVerified(r);
        assertEquals("!secure", r.tls());
    }

    @Test
    void secureDeliversToACertificateForTheNexthopAndLogsSecure_TLS7_TLS23() throws Exception {
        server.tlsContext(serverCert(ca, "dest.test", "dest.test"));
        RecipientResult r = deliver(at("secure"), viaMx("mx.provider.test"));
        assertSent(r);
        assertEquals("secure", r.tls());
    }

    @Test
    void dotNexthopTakesAnyProperSubdomainOfTheNexthop_TLS7() throws Exception {
        server.tlsContext(serverCert(ca, "relay.dest.test", "relay.dest.test"));
        String hop = viaMx("mx.provider.test");
        assertSent(deliver(at("secure"), hop));
        assertNotVerified(deliver(at("secure", "smtp_tls_secure_cert_match=nexthop"), hop));
    }

    @Test
    void aMatchListOfLiteralNamesAndDotDomains_TLS7() throws Exception {
        server.tlsContext(serverCert(ca, "x.y.example.test", "x.y.example.test"));
        String hop = viaMx("mx.provider.test");
        assertSent(deliver(at("secure", "smtp_tls_secure_cert_match=.example.test"), hop));
        assertSent(deliver(at("secure", "smtp_tls_secure_cert_match=nexthop:.example.test"), hop)); // colons separate too
        assertSent(deliver(at("verify", "smtp_tls_verify_cert_match=hostname, x.y.example.test"), hop));
        assertNotVerified(deliver(at("secure", "smtp_tls_secure_cert_match=example.test, .other.test"), hop));
    }

    // ------------------------------------------------------------------ names: wildcards, SAN before CN

    // The test CA's tool cannot write a wildcard DNS subjectAltName, so these wildcards are common
    // names of certificates without one; TLS-7 applies the same rules to both.

    @Test
    void aWildcardStandsForExactlyOneWholeLabel_TLS7() throws Exception {
        server.tlsContext(serverCert(ca, "*.dest.test"));
        assertSent(deliver(at("verify"), viaMx("mx1.dest.test")));
        assertNotVerified(deliver(at("verify"), viaMx("two.test", "a.b.dest.test")));
    }

    @Test
    void aPartialLabelWildcardIsNotAccepted_TLS7() throws Exception {
        server.tlsContext(serverCert(ca, "mx*.dest.test"));
        String hop = viaMx("mx1.dest.test");
        assertNotVerified(deliver(at("verify"), hop));
        // Postfix (OpenSSL's host check) lets a subdomain reference skip the extra leading labels as
        // text, so under dot-nexthop the same certificate counts as a name under dest.test.
        assertSent(deliver(at("secure"), hop));
        assertNotVerified(deliver(at("secure", "smtp_tls_secure_cert_match=nexthop"), hop));
    }

    @Test
    void theCommonNameCountsOnlyWithoutDnsSubjectAltNames_TLS7() throws Exception {
        server.tlsContext(serverCert(ca, "mx1.dest.test"));
        String hop = viaMx("mx1.dest.test");
        assertSent(deliver(at("verify"), hop));
        server.tlsContext(serverCert(ca, "mx1.dest.test", "other.test"));
        assertNotVerified(deliver(at("verify"), hop));
    }

    // ------------------------------------------------------------------ required TLS: never plaintext

    @Test
    void aFailedVerificationTriesTheNextMx_TLS13() throws Exception {
        server.tlsContext(serverCert(ca, "other.test", "other.test"));
        FakeSmtpServer second = FakeSmtpServer.start("127.0.0.2", server.port()).startTls(true)
                .tlsContext(serverCert(ca, "mx2.dest.test", "mx2.dest.test"));
        closing.add(second::close);
        dns.mx("dest.test", 10, "mx1.dest.test").a("mx1.dest.test", "127.0.0.1")
                .mx("dest.test", 20, "mx2.dest.test").a("mx2.dest.test", "127.0.0.2");
        RecipientResult r = deliver(at("verify"), "dest.test:" + server.port());
        assertSent(r);
        assertEquals("mx2.dest.test[127.0.0.2]:" + server.port(), r.relay());
        assertNoMailWentOut();
    }

    @Test
    void everyVerificationFailureIsADeferralNeverPlaintext_TLS5_TLS13() throws Exception {
        List<SslContext> bad = List.of(serverCert(ca, "other.test", "other.test"),
                serverCert(otherCa, "mx1.dest.test", "mx1.dest.test"), serverCert(otherCa, "dest.test", "dest.test"));
        String hop = viaMx("mx1.dest.test");
        for (String level : List.of("verify", "secure")) {
            for (SslContext ctx : bad) {
                server.tlsContext(ctx);
                RecipientResult r = deliver(at(level), hop);
                assertEquals(Outcome.DEFERRED, r.outcome(), level + ": " + r.reason());
                assertEquals("4.7.5", r.status().text());
                assertNoMailWentOut();
            }
            server.startTls(false); // not offered: 4.7.4, still no plaintext
            RecipientResult r = deliver(at(level), hop);
            assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
            assertEquals("4.7.4", r.status().text());
            assertNoMailWentOut();
            server.startTls(true);
        }
    }

    @Test
    void wrapperModeJudgesTheCertificateBeforeTheGreeting_TLS13_TLS14() throws Exception {
        server.close();
        server = FakeSmtpServer.start().wrapperMode(true).tlsContext(serverCert(ca, "other.test", "other.test"));
        assertNotVerified(deliver(at("secure", "smtp_tls_wrappermode=yes"), viaMx("mx1.dest.test")));
        server.tlsContext(serverCert(ca, "dest.test", "dest.test"));
        assertSent(deliver(at("secure", "smtp_tls_wrappermode=yes"), "dest.test:" + server.port()));
    }

    // ------------------------------------------------------------------ SASL over a verified session

    @Test
    void aMatchedCertificateEarnsTheVerifiedSaslOptions_SASL4() throws Exception {
        server.tlsContext(serverCert(ca, "mx1.dest.test", "mx1.dest.test"))
                .capabilities("PIPELINING", "AUTH PLAIN")
                .reply(FakeSmtpServer.Stage.AUTH, (line, s) -> line.equals("AUTH PLAIN "
                        + Base64.getEncoder().encodeToString("\0user\0secret".getBytes(StandardCharsets.UTF_8)))
                        ? "235 2.7.0 Authentication successful" : "535 5.7.8 bad");
        String hop = viaMx("mx1.dest.test");
        String[] sasl = {"smtp_sasl_auth_enable=yes", "smtp_sasl_password_maps=inline:{mx1.dest.test=user:secret}",
                "smtp_sasl_tls_security_options=noanonymous, noplaintext",
                "smtp_sasl_tls_verified_security_options=noanonymous"};
        List<String> verified = new ArrayList<>(List.of(sasl));
        assertSent(deliver(at("verify", verified.toArray(String[]::new)), hop));
        assertTrue(server.commands().stream().anyMatch(c -> c.startsWith("AUTH PLAIN")), server.commands().toString());

        RecipientResult unverified = deliver(at("encrypt", sasl), hop);
        assertEquals(Outcome.DEFERRED, unverified.outcome(), "over unverified TLS the TLS options forbid PLAIN");
        assertTrue(unverified.reason().contains("mechanism not supported"), unverified.reason());
    }

    @Test
    void lmtpSecureMatchesOnlyTheNexthopByDefault_TLS7() {
        Configuration lmtp = ConfigurationLoader.fromText("", "(test)", List.of()).forLmtp();
        assertEquals(List.of("nexthop"), lmtp.list("smtp_tls_secure_cert_match"));
        assertFalse(ConfigurationLoader.fromText("", "(test)", List.of()).list("smtp_tls_secure_cert_match")
                .equals(List.of("nexthop")));
    }
}
