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
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * DANE for SMTP (TLS-8, TLS-34, RFC 7672) through the delivery agent built from main.cf: the
 * next hop dest.test has its MX, address and TLSA records in the test DNS server, which sets the AD
 * bit on the names a test calls signed (as a validating resolver would, TLS-34); the MX is a
 * scripted STARTTLS server presenting certificates made here. Each test is named after the rule it
 * checks; together they cover the DANE items of the spec's "Tests a port should have".
 */
class DaneTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String NOT_VERIFIED = "Server certificate not verified";

    private static X509Bundle ca;
    private static X509Bundle mxCert;
    private static X509Bundle strangerCert;
    private static X509Bundle expiredElsewhere;

    private final AgentTestBed bed = new AgentTestBed();
    private FakeSmtpServer server;
    private TestDnsServer dns;

    @BeforeAll
    static void certificates() throws Exception {
        ca = new CertificateBuilder().subject("CN=DANE Test CA").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
        mxCert = issued(ca, "mx.dest.test");
        strangerCert = issued(ca, "stranger.example");
        // DANE-EE looks at neither names nor dates: this one has the wrong name and has expired
        expiredElsewhere = new CertificateBuilder().subject("CN=nobody.invalid").ecp256()
                .notBefore(Instant.now().minus(30, ChronoUnit.DAYS)).notAfter(Instant.now().minus(1, ChronoUnit.DAYS))
                .buildIssuedBy(ca);
    }

    private static X509Bundle issued(X509Bundle issuer, String name) throws Exception {
        return new CertificateBuilder().subject("CN=" + name).addSanDnsName(name).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .addExtendedKeyUsageServerAuth().buildIssuedBy(issuer);
    }

    /** A server context presenting {@code leaf}, followed by the CA when {@code withCa}. */
    private static SslContext presenting(X509Bundle leaf, boolean withCa) throws Exception {
        X509Certificate[] chain = withCa ? new X509Certificate[] {leaf.getCertificate(), ca.getCertificate()}
                : new X509Certificate[] {leaf.getCertificate()};
        return SslContextBuilder.forServer(leaf.getKeyPair().getPrivate(), chain).build();
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    private static byte[] spki256(X509Bundle b) throws Exception {
        return sha256(b.getCertificate().getPublicKey().getEncoded());
    }

    @BeforeEach
    void start() throws Exception {
        server = bed.server("127.0.0.2").startTls(true).tlsContext(presenting(mxCert, true));
        dns = bed.dns();
    }

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private String tlsaName() {
        return tlsaName("mx.dest.test");
    }

    private String tlsaName(String host) {
        return "_" + server.port() + "._tcp." + host;
    }

    /** dest.test MX mx.dest.test (127.0.0.2); {@code signedMx}: the MX RRset and the address validate. */
    private void zone(boolean signedMx) {
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2");
        if (signedMx) {
            dns.authenticated("dest.test").authenticated("mx.dest.test");
        }
    }

    /** A signed TLSA record for mx.dest.test on the server's port. */
    private void tlsa(int usage, int selector, int matching, byte[] data) {
        dns.tlsa(tlsaName(), usage, selector, matching, data).authenticated(tlsaName());
    }

    private DeliveryAgent agent(String level, String... more) {
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dns.dnsServers(), "smtp_tcp_port=" + server.port(),
                "smtp_dns_support_level=dnssec", "smtp_tls_security_level=" + level, "smtp_starttls_timeout=5s"));
        o.addAll(List.of(more));
        return bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)));
    }

    private RecipientResult deliver(DeliveryAgent agent) {
        DeliveryReport r = agent.deliver(DeliveryRequest.builder("4DANE1", "s@client.test", "dest.test")
                .content(ContentSource.of("Subject: dane\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build()).block(WAIT);
        return r.results().get(0);
    }

    private void assertSent(RecipientResult r) {
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
    }

    /** Deferred with {@code status}, and the message never reached the server. */
    private void assertDeferredUndelivered(RecipientResult r, String status, String reason) {
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals(status, r.status().toString(), r.reason());
        assertTrue(r.reason().contains(reason), r.reason());
        assertTrue(server.contents().isEmpty(), "no message reached the server");
        assertFalse(server.commands().stream().anyMatch(c -> c.startsWith("MAIL")), "no MAIL FROM: " + server.commands());
    }

    private boolean usedTls() {
        return server.commands().stream().anyMatch(c -> c.equals("STARTTLS"));
    }

    // ---------------------------------------------------------------- usable TLSA: DANE applies

    @Test
    void signedMxWithDaneEeRecordNeedsTlsAndTheKeyButNoNameOrDate_TLS8() throws Exception {
        zone(true);
        server.tlsContext(presenting(expiredElsewhere, false));
        tlsa(3, 1, 1, spki256(expiredElsewhere));
        RecipientResult r = deliver(agent("dane"));
        assertSent(r);
        assertTrue(usedTls());
        assertEquals("dane", r.tls(), "the level held: " + r.tls());
        assertEquals(List.of("mx.dest.test"), server.serverNames(), "TLS-17: SNI is the TLSA base domain");
    }

    @Test
    void daneEeMatchesTheWholeCertificateWithSelectorZero_TLS8() throws Exception {
        zone(true);
        tlsa(3, 0, 1, sha256(mxCert.getCertificate().getEncoded()));
        assertSent(deliver(agent("dane")));
    }

    @Test
    void aDaneEeRecordOfAnotherKeyDefersWithoutSendingTheMessage_TLS8() throws Exception {
        zone(true);
        tlsa(3, 1, 1, spki256(strangerCert));
        RecipientResult r = deliver(agent("dane"));
        assertDeferredUndelivered(r, "4.7.5", NOT_VERIFIED);
        Eventually.await(() -> server.commands().contains("QUIT"), "TLS-13: QUIT over the working TLS channel");
    }

    @Test
    void daneTaRecordOfTheCaAnchorsTheChainAndTheLeafMustNameTheMxHost_TLS8() throws Exception {
        zone(true);
        tlsa(2, 0, 1, sha256(ca.getCertificate().getEncoded()));
        assertSent(deliver(agent("dane")));
    }

    @Test
    void daneTaRecordOfTheCaPublicKeyAcceptsALeafNamedForTheNexthopDomain_TLS8() throws Exception {
        zone(true);
        server.tlsContext(presenting(issued(ca, "dest.test"), true));
        tlsa(2, 1, 1, spki256(ca));
        assertSent(deliver(agent("dane")));
    }

    @Test
    void daneTaWithALeafForAnotherNameIsNotVerified_TLS8() throws Exception {
        zone(true);
        server.tlsContext(presenting(strangerCert, true));
        tlsa(2, 0, 1, sha256(ca.getCertificate().getEncoded()));
        assertDeferredUndelivered(deliver(agent("dane")), "4.7.5", NOT_VERIFIED);
    }

    @Test
    void daneTaOfACaTheChainDoesNotLeadToIsNotVerified_TLS8() throws Exception {
        zone(true);
        X509Bundle otherCa = new CertificateBuilder().subject("CN=DANE Test CA").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
        // same subject name as the real CA, another key: only the signature tells them apart
        tlsa(2, 1, 0, otherCa.getCertificate().getPublicKey().getEncoded());
        assertDeferredUndelivered(deliver(agent("dane")), "4.7.5", NOT_VERIFIED);
    }

    @Test
    void aFullValueDaneTaRecordIsItselfTheAnchorWhenTheServerSendsOnlyItsLeaf_TLS8() throws Exception {
        zone(true);
        server.tlsContext(presenting(mxCert, false));
        tlsa(2, 0, 0, ca.getCertificate().getEncoded());
        assertSent(deliver(agent("dane")));
    }

    @Test
    void theTlsaBaseDomainIsTheSniWhateverSmtpTlsServernameSays_TLS8() throws Exception {
        zone(true);
        tlsa(3, 1, 1, spki256(mxCert));
        assertSent(deliver(agent("dane", "smtp_tls_servername=nexthop")));
        assertEquals(List.of("mx.dest.test"), server.serverNames());
    }

    @Test
    void withUsableTlsaAMissingStarttlsDefersAndNothingGoesInPlaintext_TLS8() throws Exception {
        zone(true);
        server.startTls(false); // an attacker strips STARTTLS from the EHLO reply
        tlsa(3, 1, 1, spki256(mxCert));
        assertDeferredUndelivered(deliver(agent("dane")), "4.7.4", "TLS is required, but was not offered");
    }

    // ---------------------------------------------------------------- the TLSA RRset decides the level

    @Test
    void noTlsaRecordsMakeDaneMayAndDaneOnlyADeferral_TLS8() throws Exception {
        zone(true);
        server.startTls(false);
        dns.authenticated(tlsaName()).exists("mx.dest.test");
        RecipientResult may = deliver(agent("dane"));
        assertSent(may);
        assertFalse(usedTls(), "no STARTTLS offered, and may goes on in plaintext");
        RecipientResult only = deliver(agent("dane-only"));
        assertEquals(Outcome.DEFERRED, only.outcome());
        assertEquals("4.7.5", only.status().toString());
        assertTrue(only.reason().contains("no TLSA records found"), only.reason());
    }

    @Test
    void onlyPkixUsagesLeftMakeDaneEncryptAndDaneOnlyADeferral_TLS8() throws Exception {
        zone(true);
        tlsa(1, 1, 1, spki256(strangerCert)); // PKIX-EE: never used by SMTP (RFC 7672 3.1.3)
        RecipientResult encrypt = deliver(agent("dane"));
        assertSent(encrypt); // the certificate is not checked
        assertEquals("encrypt", encrypt.tls());
        int sessions = server.sessions();
        RecipientResult only = deliver(agent("dane-only"));
        assertEquals(Outcome.DEFERRED, only.outcome());
        assertEquals("4.7.5", only.status().toString());
        assertEquals("TLSA records unusable", only.reason());
        assertEquals(sessions, server.sessions(), "dane-only: the server is skipped");
    }

    @Test
    void onlyPkixUsagesLeftStillRequireTls_TLS8() throws Exception {
        zone(true);
        server.startTls(false);
        tlsa(0, 0, 1, sha256(ca.getCertificate().getEncoded()));
        assertDeferredUndelivered(deliver(agent("dane")), "4.7.4", "TLS is required");
    }

    @Test
    void recordsThisClientCannotCheckFallBackToEncryptAtDaneAndNeverMatchAtDaneOnly_TLS8() throws Exception {
        zone(true);
        // SHA2-512 is not in tls_dane_digests here; usage 4 is unknown
        dns.tlsa(tlsaName(), 3, 1, 2, MessageDigest.getInstance("SHA-512").digest(
                mxCert.getCertificate().getPublicKey().getEncoded())).tlsa(tlsaName(), 4, 1, 1, spki256(mxCert))
                .authenticated(tlsaName());
        RecipientResult r = deliver(agent("dane", "tls_dane_digests=sha256"));
        assertSent(r);
        assertEquals("encrypt", r.tls());
        RecipientResult only = deliver(agent("dane-only", "tls_dane_digests=sha256"));
        assertEquals(Outcome.DEFERRED, only.outcome());
        assertTrue(only.reason().contains(NOT_VERIFIED), only.reason() + " (the handshake completes, nothing matches)");
    }

    @Test
    void sha512RecordsMatchWithTheDefaultDigests_TLS8() throws Exception {
        zone(true);
        tlsa(3, 1, 2, MessageDigest.getInstance("SHA-512").digest(mxCert.getCertificate().getPublicKey().getEncoded()));
        assertSent(deliver(agent("dane")));
    }

    @Test
    void aTlsaServfailSkipsTheServerAtBothLevelsWithoutConnecting_TLS8() throws Exception {
        zone(true);
        dns.rcode(tlsaName(), Type.TLSA, Rcode.SERVFAIL);
        for (String level : new String[] {"dane", "dane-only"}) {
            RecipientResult r = deliver(agent(level));
            assertEquals(Outcome.DEFERRED, r.outcome(), level);
            assertEquals("4.7.5", r.status().toString());
            assertEquals("TLSA lookup error for mx.dest.test:" + server.port(), r.reason());
        }
        assertEquals(0, server.sessions(), "the server is never connected to: no plaintext, no unverified TLS");
    }

    @Test
    void aRefusedTlsaQueryIsALookupErrorToo_TLS8() throws Exception {
        zone(true);
        dns.rcode(tlsaName(), Type.TLSA, Rcode.REFUSED);
        RecipientResult r = deliver(agent("dane"));
        assertEquals(Outcome.DEFERRED, r.outcome());
        assertTrue(r.reason().startsWith("TLSA lookup error for mx.dest.test"), r.reason());
        assertEquals(0, server.sessions());
    }

    // ---------------------------------------------------------------- insecure MX (RFC 7672 2.2.1)

    @Test
    void anUnsignedMxWithUsableTlsaIsHalfdaneByDefault_TLS8() throws Exception {
        zone(false);
        dns.authenticated("mx.dest.test"); // the host's own zone is signed, the MX RRset is not
        tlsa(3, 1, 1, spki256(strangerCert));
        RecipientResult mismatch = deliver(agent("dane"));
        assertDeferredUndelivered(mismatch, "4.7.5", NOT_VERIFIED);
        dns.close();
        bed.close();
        server = bed.server("127.0.0.2").startTls(true).tlsContext(presenting(mxCert, true));
        dns = bed.dns();
        zone(false);
        dns.authenticated("mx.dest.test");
        tlsa(3, 1, 1, spki256(mxCert));
        RecipientResult match = deliver(agent("dane"));
        assertSent(match);
        assertEquals("halfdane", match.tls());
    }

    @Test
    void insecureMxPolicyMayMeansMayAndNoTlsaLookup_TLS8() throws Exception {
        zone(false);
        dns.authenticated("mx.dest.test");
        tlsa(3, 1, 1, spki256(strangerCert));
        RecipientResult r = deliver(agent("dane", "smtp_tls_dane_insecure_mx_policy=may"));
        assertSent(r);
        assertEquals("may", r.tls());
        assertEquals(0, dns.queryCount(tlsaName(), Type.TLSA));
        // LOOKUP-16: under an unsigned MX RRset, the MX host's address is asked with DNSSEC only
        // when the policy could use it (encrypt or dane)
        assertTrue(dns.queries().stream().filter(q -> q.name().toString().equals("mx.dest.test.") && q.type() == Type.A)
                .noneMatch(TestDnsServer.Query::dnssecOk));
        dns.clearQueries();
        deliver(agent("dane"));
        List<TestDnsServer.Query> asked = dns.queries().stream()
                .filter(q -> q.name().toString().equals("mx.dest.test.") && q.type() == Type.A).toList();
        assertFalse(asked.isEmpty());
        assertTrue(asked.stream().allMatch(TestDnsServer.Query::dnssecOk), asked.toString());
    }

    @Test
    void insecureMxPolicyEncryptTurnsUsableTlsaIntoEncrypt_TLS8() throws Exception {
        zone(false);
        dns.authenticated("mx.dest.test");
        tlsa(3, 1, 1, spki256(strangerCert));
        RecipientResult r = deliver(agent("dane", "smtp_tls_dane_insecure_mx_policy=encrypt"));
        assertSent(r);
        assertEquals("encrypt", r.tls());
    }

    @Test
    void daneOnlyRefusesAnUnsignedMx_TLS8() throws Exception {
        zone(false);
        tlsa(3, 1, 1, spki256(mxCert));
        assertDeferredUndelivered(deliver(agent("dane-only")), "4.7.5", "non DNSSEC destination");
        assertEquals(0, server.sessions());
    }

    // ---------------------------------------------------------------- which name is looked up

    @Test
    void anUnsignedHostAddressMeansNoTlsaLookupUnlessForced_TLS8() throws Exception {
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2").authenticated("dest.test");
        tlsa(3, 1, 1, spki256(strangerCert));
        RecipientResult r = deliver(agent("dane"));
        assertSent(r); // no TLSA looked up: may, the stranger's record never seen
        assertEquals(0, dns.queryCount(tlsaName(), Type.TLSA));
        RecipientResult forced = deliver(agent("dane", "smtp_tls_force_insecure_host_tlsa_lookup=yes"));
        assertEquals(Outcome.DEFERRED, forced.outcome(), "forced: the record is used and does not match");
        assertTrue(forced.reason().contains(NOT_VERIFIED), forced.reason());
    }

    @Test
    void aSignedAliasUsesTheCanonicalNamesTlsaAndSendsItAsSni_TLS8() throws Exception {
        dns.mx("dest.test", 10, "mail.dest.test").cname("mail.dest.test", "mx.dest.test").a("mx.dest.test", "127.0.0.2")
                .authenticated("dest.test").authenticated("mail.dest.test");
        tlsa(3, 1, 1, spki256(mxCert));
        assertSent(deliver(agent("dane")));
        assertEquals(List.of("mx.dest.test"), server.serverNames(), "base domain: the canonical name");
    }

    @Test
    void aSignedAliasWithoutTlsaAtItsTargetFallsBackToTheOriginalName_TLS8() throws Exception {
        dns.mx("dest.test", 10, "mail.dest.test").cname("mail.dest.test", "mx.dest.test").a("mx.dest.test", "127.0.0.2")
                .authenticated("dest.test").authenticated("mail.dest.test").authenticated(tlsaName());
        server.tlsContext(presenting(issued(ca, "mail.dest.test"), true));
        dns.tlsa(tlsaName("mail.dest.test"), 2, 0, 1, sha256(ca.getCertificate().getEncoded()))
                .authenticated(tlsaName("mail.dest.test"));
        assertSent(deliver(agent("dane")));
        assertEquals(List.of("mail.dest.test"), server.serverNames(), "base domain: the original name");
    }

    @Test
    void anUnsignedTargetBehindASignedCnameLooksUpTheOriginalNameOnly_TLS8() throws Exception {
        dns.mx("dest.test", 10, "mail.dest.test").cname("mail.dest.test", "mx.dest.test").a("mx.dest.test", "127.0.0.2")
                .authenticated("dest.test").authenticated("mail.dest.test", Type.CNAME);
        // the address answer has no AD bit; the CNAME itself validates, so only mail.dest.test counts
        server.tlsContext(presenting(issued(ca, "mail.dest.test"), true));
        dns.tlsa(tlsaName("mail.dest.test"), 3, 1, 1, spki256(strangerCert)).authenticated(tlsaName("mail.dest.test"));
        dns.tlsa(tlsaName("mx.dest.test"), 3, 1, 1, spki256(mxCert)).authenticated(tlsaName("mx.dest.test"));
        RecipientResult r = deliver(agent("dane"));
        assertEquals(Outcome.DEFERRED, r.outcome(), "the original name's record is used, and it is the stranger's");
        assertTrue(r.reason().contains(NOT_VERIFIED), r.reason());
        assertEquals(0, dns.queryCount(tlsaName("mx.dest.test"), Type.TLSA), "the unsigned target's TLSA is never asked");
    }

    @Test
    void anUnsignedTargetBehindAnUnsignedCnameHasNoTlsa_TLS8() throws Exception {
        dns.mx("dest.test", 10, "mail.dest.test").cname("mail.dest.test", "mx.dest.test").a("mx.dest.test", "127.0.0.2")
                .authenticated("dest.test");
        dns.tlsa(tlsaName("mail.dest.test"), 3, 1, 1, spki256(strangerCert)).authenticated(tlsaName("mail.dest.test"));
        assertSent(deliver(agent("dane")));
        assertEquals(0, dns.queryCount(tlsaName("mail.dest.test"), Type.TLSA));
    }

    @Test
    void aFailedCnameValidationCheckIsATlsaLookupError_TLS8() throws Exception {
        dns.mx("dest.test", 10, "mail.dest.test").cname("mail.dest.test", "mx.dest.test").a("mx.dest.test", "127.0.0.2")
                .authenticated("dest.test");
        dns.rcode("mail.dest.test", Type.CNAME, Rcode.SERVFAIL);
        RecipientResult r = deliver(agent("dane"));
        assertEquals(Outcome.DEFERRED, r.outcome());
        assertEquals("TLSA lookup error for mail.dest.test:" + server.port(), r.reason());
        assertEquals(0, server.sessions());
    }

    @Test
    void daneTaAcceptsTheMxRrsetOwnerWhenTheNexthopIsAnAlias_TLS8() throws Exception {
        // dest.test is a CNAME to real.test, whose MX is mx.dest.test: the leaf may name real.test
        dns.cname("dest.test", "real.test").mx("real.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2")
                .authenticated("dest.test").authenticated("mx.dest.test");
        server.tlsContext(presenting(issued(ca, "real.test"), true));
        tlsa(2, 0, 1, sha256(ca.getCertificate().getEncoded()));
        assertSent(deliver(agent("dane")));
        server.tlsContext(presenting(issued(ca, "unreal.test"), true));
        assertEquals(Outcome.DEFERRED, deliver(agent("dane")).outcome(), "only the owner, not any name");
    }

    // ---------------------------------------------------------------- preconditions and configuration

    @Test
    void withoutDnssecLookupsDaneIsMayAndDaneOnlyIsAConfigurationProblem_TLS8() throws Exception {
        zone(true);
        server.startTls(false);
        tlsa(3, 1, 1, spki256(strangerCert));
        RecipientResult may = deliver(agent("dane", "smtp_dns_support_level=enabled"));
        assertSent(may);
        assertFalse(usedTls());
        RecipientResult only = deliver(agent("dane-only", "smtp_dns_support_level=enabled"));
        assertEquals(Outcome.DEFERRED, only.outcome());
        assertEquals("4.7.5", only.status().toString());
        assertEquals("client TLS configuration problem", only.reason());
    }

    @Test
    void ignoredMxLookupErrorsAndSearchListsAlsoRuleDaneOut_TLS8() throws Exception {
        zone(true);
        tlsa(3, 1, 1, spki256(strangerCert));
        assertSent(deliver(agent("dane", "ignore_mx_lookup_error=yes")));
        assertSent(deliver(agent("dane", "smtp_dns_resolver_options=res_defnames", "dns_search_domains=dest.test")));
        RecipientResult only = deliver(agent("dane-only", "ignore_mx_lookup_error=yes"));
        assertEquals("client TLS configuration problem", only.reason());
    }

    @Test
    void anUnknownDigestStopsStartUp_TLS8() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> bed.agent(DeliveryAgent.builder(AgentTestBed.config(List.of("tls_dane_digests=whirlpool99")))));
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("tls_dane_digests"), e.getMessage());
    }

    // ---------------------------------------------------------------- TLS-34: the AD bit decides

    @Test
    void aTlsaAnswerWithoutTheAdBitCountsAsNoTlsa_TLS34() throws Exception {
        zone(true);
        server.startTls(false);
        dns.tlsa(tlsaName(), 3, 1, 1, spki256(strangerCert)); // present, but the resolver did not validate it
        RecipientResult r = deliver(agent("dane"));
        assertSent(r);
        assertFalse(usedTls(), "no TLSA that counts: may");
        RecipientResult only = deliver(agent("dane-only"));
        assertTrue(only.reason().contains("no TLSA records found"), only.reason());
    }

    @Test
    void anMxAnswerWithoutTheAdBitIsAnInsecureMx_TLS34() throws Exception {
        zone(false);
        dns.authenticated("mx.dest.test");
        tlsa(3, 1, 1, spki256(mxCert));
        RecipientResult r = deliver(agent("dane"));
        assertSent(r);
        assertEquals("halfdane", r.tls(), "enforced, never called Verified");
    }

    // ---------------------------------------------------------------- TLS-35: no raw public keys here

    @Test
    void enableRpkIsAcceptedWithAWarningAndCertificatesAreStillChecked_TLS35() throws Exception {
        zone(true);
        tlsa(3, 1, 1, spki256(mxCert));
        var cfg = AgentTestBed.config(List.of("smtp_tls_enable_rpk=yes", "smtp_tls_security_level=dane"));
        assertEquals(List.of("smtp_tls_enable_rpk"), io.postilion.engine.config.ParameterSupport.check(cfg),
                "inert, with one warning naming it (CLARIFICATIONS 39)");
        assertSent(deliver(agent("dane", "smtp_tls_enable_rpk=yes")));
        assertTrue(usedTls());
        bed.close();
        server = bed.server("127.0.0.2").startTls(true).tlsContext(presenting(strangerCert, true));
        dns = bed.dns();
        zone(true);
        tlsa(3, 1, 1, spki256(mxCert));
        RecipientResult r = deliver(agent("dane", "smtp_tls_enable_rpk=yes"));
        assertTrue(r.reason().contains(NOT_VERIFIED), "the certificate is checked as without RPK: " + r.reason());
    }
}
