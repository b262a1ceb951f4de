package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * MTA-STS built in (TLS-32, TLS-16's MX patterns, RFC 8461) through the delivery agent built from
 * main.cf: mail for {@code dest.test}, whose MX {@code mx1.dest.test} is a scripted STARTTLS
 * server on 127.0.0.1, whose {@code _mta-sts} TXT record is in a test DNS server, and whose policy
 * is served over HTTPS by {@code mta-sts.dest.test} on 127.0.0.43:443 with a certificate of a test
 * CA that smtp_tls_mta_sts_CAfile names. The global level is none, so whatever TLS happens is the
 * policy's doing.
 */
class MtaStsDeliveryTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String POLICY_HOST = "127.0.0.43";
    private static final String ENFORCE = "version: STSv1\r\nmode: enforce\r\nmx: mx1.dest.test\r\nmax_age: 86400\r\n";
    private static final String TESTING = "version: STSv1\nmode: testing\nmx: mx1.dest.test\nmax_age: 86400\n";

    private static X509Bundle ca;
    private static X509Bundle otherCa;

    private final AgentTestBed bed = new AgentTestBed();
    private FakeSmtpServer mx;
    private TestDnsServer dns;
    private StsPolicyServer https;
    private Path caFile;
    private int mark;

    @TempDir
    Path dir;

    @BeforeAll
    static void authorities() throws Exception {
        ca = authority("CN=Postilion STS Test CA");
        otherCa = authority("CN=Someone Else's CA");
    }

    private static X509Bundle authority(String subject) throws Exception {
        return new CertificateBuilder().subject(subject).setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
    }

    /** A server certificate {@code issuer} signed for these DNS names. */
    static X509Bundle cert(X509Bundle issuer, String... names) throws Exception {
        CertificateBuilder b = new CertificateBuilder().subject("CN=" + names[0]).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .addExtendedKeyUsageServerAuth();
        for (String n : names) {
            b.addSanDnsName(n);
        }
        return b.buildIssuedBy(issuer);
    }

    private static SslContext smtpCert(X509Bundle issuer, String... names) throws Exception {
        return SslContextBuilder.forServer(cert(issuer, names).toKeyManagerFactory()).build();
    }

    @BeforeEach
    void start() throws Exception {
        mx = bed.server("127.0.0.1").startTls(true).tlsContext(smtpCert(ca, "mx1.dest.test"));
        dns = bed.dns();
        dns.mx("dest.test", 10, "mx1.dest.test").a("mx1.dest.test", "127.0.0.1").a("mta-sts.dest.test", POLICY_HOST);
        announce("1");
        https = bed.closed(StsPolicyServer.start(POLICY_HOST, cert(ca, "mta-sts.dest.test")));
        caFile = Files.writeString(dir.resolve("sts-ca.pem"), ca.getCertificatePEM());
    }

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    /** The {@code _mta-sts.dest.test} TXT record with this id, replacing any other; TTL 0, so never cached. */
    private void announce(String id) throws Exception {
        dns.remove("_mta-sts.dest.test", Type.TXT);
        dns.add(new TXTRecord(Name.fromString("_mta-sts.dest.test."), DClass.IN, 0, "v=STSv1; id=" + id + ";"));
    }

    private DeliveryAgent agent(String... more) {
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dns.dnsServers(), "smtp_tcp_port=" + mx.port(),
                "smtp_starttls_timeout=5s", "smtp_tls_mta_sts_enable=yes", "smtp_tls_mta_sts_CAfile=" + caFile));
        o.addAll(Arrays.asList(more));
        return bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)));
    }

    private RecipientResult deliver(DeliveryAgent agent) {
        mark = mx.commands().size();
        DeliveryReport r = agent.deliver(DeliveryRequest.builder("4STS1", "s@client.test", "dest.test")
                .content(ContentSource.of("Subject: sts\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build()).block(WAIT);
        return r.results().get(0);
    }

    private List<String> since() {
        List<String> all = mx.commands();
        return all.subList(Math.min(mark, all.size()), all.size());
    }

    private static void assertSent(RecipientResult r) {
        assertEquals(Outcome.SENT, r.outcome(), r.status().text() + " " + r.reason());
    }

    private void assertDeferredUndelivered(RecipientResult r, String status) {
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals(status, r.status().text(), r.reason());
        assertTrue(since().stream().noneMatch(c -> c.startsWith("MAIL") || c.startsWith("RCPT") || c.startsWith("DATA")
                || c.startsWith("BDAT")), since().toString());
    }

    // ------------------------------------------------------------------ enforce

    @Test
    void enforceDeliversOverTlsVerifiedForTheMxNameWithItAsSni_TLS32() throws Exception {
        https.policy(ENFORCE);
        RecipientResult r = deliver(agent());
        assertSent(r);
        assertEquals("secure", r.tls(), "LOG-5: level secure met");
        assertEquals(List.of("mx1.dest.test"), mx.serverNames(), "servername=hostname");
        assertTrue(mx.transcript().indexOf("S: <tls>") < mx.transcript().indexOf("C: MAIL FROM:<s@client.test>"),
                mx.transcript().toString());
        assertEquals(1, https.fetches());
    }

    @Test
    void enforceDefersACertificateForAnotherNameAndNeverSendsTheMail_TLS32() throws Exception {
        https.policy(ENFORCE);
        mx.tlsContext(smtpCert(ca, "dest.test", "other.test"));
        RecipientResult r = deliver(agent());
        assertDeferredUndelivered(r, "4.7.5");
        assertEquals("Server certificate not verified", r.reason());
        assertEquals("!secure", r.tls());
    }

    @Test
    void enforceTrustsOnlyTheStsCaNotSmtpTlsCaFile_TLS32() throws Exception {
        https.policy(ENFORCE);
        mx.tlsContext(smtpCert(otherCa, "mx1.dest.test"));
        Path other = Files.writeString(dir.resolve("other.pem"), otherCa.getCertificatePEM());
        RecipientResult r = deliver(agent("smtp_tls_CAfile=" + other));
        assertDeferredUndelivered(r, "4.7.5");
        assertEquals("Server certificate not verified", r.reason());
    }

    @Test
    void enforceNeverFallsBackToPlaintextWhenStartTlsIsStripped_TLS32() throws Exception {
        https.policy(ENFORCE);
        mx.startTls(false);
        RecipientResult r = deliver(agent());
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertTrue(r.status().text().startsWith("4.7."), r.status().text() + " " + r.reason());
        assertDeferredUndelivered(r, r.status().text());
    }

    @Test
    void enforceSkipsAnMxHostThatMatchesNoPatternWithoutConnecting_TLS32_TLS16() throws Exception {
        https.policy("version: STSv1\nmode: enforce\nmx: *.provider.test\nmx: mx1.dest.test.example\nmax_age: 600\n");
        RecipientResult r = deliver(agent());
        assertDeferredUndelivered(r, "4.7.5");
        assertTrue(r.reason().contains("mx1.dest.test is not permitted by the MTA-STS policy of dest.test"), r.reason());
        assertTrue(mx.transcript().isEmpty(), "no connection: " + mx.transcript());
    }

    @Test
    void aSkippedMxIsPassedOverForOneThePolicyPermits_TLS32_TLS16() throws Exception {
        FakeSmtpServer mx2 = bed.closed(FakeSmtpServer.start("127.0.0.2", mx.port()).startTls(true)
                .tlsContext(smtpCert(ca, "mx2.provider.test")));
        dns.mx("dest.test", 20, "mx2.provider.test").a("mx2.provider.test", "127.0.0.2");
        https.policy("version: STSv1\nmode: enforce\nmx: *.provider.test\nmax_age: 600\n");
        RecipientResult r = deliver(agent());
        assertSent(r);
        assertTrue(mx.transcript().isEmpty(), "mx1 never contacted: " + mx.transcript());
        assertTrue(mx2.commands().stream().anyMatch(c -> c.startsWith("MAIL FROM:")), mx2.commands().toString());
        assertEquals(List.of("mx2.provider.test"), mx2.serverNames());
    }

    @Test
    void enforceNeverReusesAParkedPlaintextSession_TLS32() throws Exception {
        // before the domain published its policy: plaintext at may, and the session is parked
        dns.remove("_mta-sts.dest.test", Type.TXT);
        mx.startTls(false);
        DeliveryAgent agent = agent("smtp_tls_security_level=may", "smtp_connection_cache_destinations=dest.test",
                "smtp_connection_cache_time_limit=30s");
        assertSent(deliver(agent));
        assertEquals(1, agent.parkedSessions(), "the plaintext session is parked for reuse");
        // now the policy is there: the parked session must not carry the mail
        https.policy(ENFORCE);
        announce("1");
        RecipientResult r = deliver(agent);
        assertDeferredUndelivered(r, "4.7.4");
        assertEquals(1, https.fetches());
    }

    // ------------------------------------------------------------------ testing, none, no policy

    @Test
    void testingModeDeliversAsTheNormalPolicySays_TLS32() throws Exception {
        https.policy(TESTING);
        mx.tlsContext(smtpCert(otherCa, "other.test"));
        RecipientResult r = deliver(agent("smtp_tls_security_level=may"));
        assertSent(r);
        assertEquals(1, https.fetches(), "the policy was fetched, and only reported");
    }

    @Test
    void modeNoneAndNoRecordGiveTheNormalResult_TLS32() throws Exception {
        https.policy("version: STSv1\nmode: none\nmax_age: 86400\n");
        mx.tlsContext(smtpCert(otherCa, "other.test"));
        DeliveryAgent agent = agent();
        assertSent(deliver(agent));
        assertEquals(1, https.fetches());
        assertEquals(List.of(), mx.serverNames(), "level none from main.cf: no TLS at all");

        dns.remove("_mta-sts.dest.test", Type.TXT);
        https.policy(ENFORCE);
        DeliveryAgent fresh = agent();
        assertSent(deliver(fresh));
        assertEquals(1, https.fetches(), "without a TXT record nothing is fetched");
    }

    @Test
    void withStsOffNothingIsLookedUp_TLS32() throws Exception {
        https.policy(ENFORCE);
        mx.tlsContext(smtpCert(otherCa, "other.test"));
        DeliveryAgent agent = bed.agent(DeliveryAgent.builder(AgentTestBed.config(List.of("dns_servers=" + dns.dnsServers(),
                "smtp_tcp_port=" + mx.port()))));
        assertSent(deliver(agent));
        assertEquals(0, https.fetches());
        assertEquals(0, dns.queryCount("_mta-sts.dest.test", Type.TXT));
    }

    @Test
    void aPolicyThatCannotBeFetchedWithNothingCachedIsNoPolicy_TLS32() throws Exception {
        mx.tlsContext(smtpCert(otherCa, "other.test"));
        DeliveryAgent agent = agent();
        byte[] enforce = ENFORCE.getBytes(StandardCharsets.US_ASCII);
        byte[] big = new byte[64 * 1024 + 1];
        System.arraycopy(enforce, 0, big, 0, enforce.length);
        Arrays.fill(big, enforce.length, big.length, (byte) 'x');
        List<Runnable> failures = List.of(
                () -> https.answer(404, "text/plain", enforce),
                () -> https.answer(200, "text/html", enforce),
                () -> https.answer(200, null, enforce),
                () -> https.redirect("https://mta-sts.dest.test/elsewhere.txt"),
                () -> https.answer(200, "text/plain", big),
                () -> https.policy(ENFORCE.replace("STSv1", "STSv2")));
        int fetches = 0;
        for (Runnable f : failures) {
            f.run();
            RecipientResult r = deliver(agent);
            assertSent(r);
            assertEquals(++fetches, https.fetches(), "each attempt fetched again: nothing was cached");
        }
    }

    @Test
    void aPolicyHostWithoutAValidWebPkiCertificateIsNoPolicy_TLS32() throws Exception {
        mx.tlsContext(smtpCert(otherCa, "other.test"));
        for (X509Bundle wrong : List.of(cert(ca, "www.dest.test"), cert(otherCa, "mta-sts.dest.test"))) {
            https.close();
            https = bed.closed(StsPolicyServer.start(POLICY_HOST, wrong)).policy(ENFORCE);
            assertSent(deliver(agent()));
        }
    }

    // ------------------------------------------------------------------ the cache

    @Test
    void theCachedPolicyIsUsedWhileTheIdStaysTheSame_TLS32() throws Exception {
        https.policy(ENFORCE);
        DeliveryAgent agent = agent();
        assertSent(deliver(agent));
        assertSent(deliver(agent));
        assertEquals(1, https.fetches());
    }

    @Test
    void aNewIdTriggersARefetch_TLS32() throws Exception {
        https.policy(ENFORCE);
        mx.tlsContext(smtpCert(ca, "other.test"));
        DeliveryAgent agent = agent();
        assertDeferredUndelivered(deliver(agent), "4.7.5");
        https.policy(TESTING);
        announce("2");
        assertSent(deliver(agent));
        assertEquals(2, https.fetches());
    }

    @Test
    void theCachedPolicyStaysInForceWhenARefetchFails_TLS32() throws Exception {
        https.policy(ENFORCE);
        DeliveryAgent agent = agent();
        assertSent(deliver(agent));
        mx.tlsContext(smtpCert(ca, "other.test"));
        https.answer(500, "text/plain", new byte[0]);
        announce("2");
        RecipientResult r = deliver(agent);
        assertDeferredUndelivered(r, "4.7.5");
        assertEquals("Server certificate not verified", r.reason());
        assertEquals(2, https.fetches(), "the new id was fetched, and failed");
        // and a deleted record does not withdraw it either (RFC 8461 section 5.1)
        dns.remove("_mta-sts.dest.test", Type.TXT);
        assertDeferredUndelivered(deliver(agent), "4.7.5");
    }

    // ------------------------------------------------------------------ configuration

    @Test
    void anUnreadableStsCaFileStopsStartUpNamingIt_TLS32() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> agent("smtp_tls_mta_sts_CAfile=" + dir.resolve("missing.pem")));
        assertEquals(78, e.exitStatus());
        assertEquals(java.util.Optional.of("smtp_tls_mta_sts_CAfile"), e.parameter());
    }

    @Test
    void anEmptyStsCaFileMeansTheJdkTrustStoreWhichDoesNotKnowTheTestCa_TLS32() throws Exception {
        https.policy(ENFORCE);
        mx.tlsContext(smtpCert(otherCa, "other.test"));
        // the policy host's test CA is no public root: no policy, the normal result
        assertSent(deliver(agent("smtp_tls_mta_sts_CAfile=")));
    }
}
