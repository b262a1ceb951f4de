package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.interop.Rig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * MTA-STS (TLS-32) against the peer rig: the MX of {@code example.test} is mx1.example.test, the
 * rig's Postfix on 127.0.0.1:2526 (STARTTLS with the rig CA's certificate for mx1..3.example.test,
 * scripts/peers/certs.sh), and the policy host {@code mta-sts.example.test} is served over HTTPS on
 * 127.0.0.44:443 by this test (CLARIFICATIONS 42), with a certificate of a CA made here.
 *
 * <p>The names come from the rig's authoritative DNS on 127.0.0.1:5353, whose zone has the
 * {@code _mta-sts} TXT record and, since scripts/peers/dns.sh gained it, the {@code mta-sts} A
 * record; a rig started before that has no A record, and the tests that need it are skipped. The
 * {@code viaTestDns} variants publish the same records from the in-JVM DNS server, so the real
 * Postfix is still the server judged.
 */
@Tag("interop")
class MtaStsInteropTest {

    private static final String POLICY_HOST = "127.0.0.44";
    private static final String RIG_DNS = "127.0.0.1:5353";
    private static final String RIG_ID = "20240101000000";

    private static X509Bundle webCa;

    private final AgentTestBed bed = new AgentTestBed();

    @TempDir
    Path dir;

    @BeforeAll
    static void peersAreUp() throws Exception {
        Rig.requireTcp("Postfix (relay)", Rig.POSTFIX_PORT, "postfix-relay.sh");
        webCa = new CertificateBuilder().subject("CN=Postilion MTA-STS Interop CA").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
    }

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    /** The policy host, with a certificate for mta-sts.example.test. */
    private StsPolicyServer policyHost(String policy) throws Exception {
        return bed.closed(StsPolicyServer.start(POLICY_HOST, MtaStsDeliveryTest.cert(webCa, "mta-sts.example.test")))
                .policy(policy);
    }

    /** A CA file with the policy host's CA, and the rig's CA when {@code withRig}. */
    private Path trust(boolean withRig) throws Exception {
        String pem = webCa.getCertificatePEM();
        if (withRig) {
            pem += Files.readString(Rig.RIG_DIR.resolve("certs/ca.crt"));
        }
        return Files.writeString(dir.resolve(withRig ? "both.pem" : "web-only.pem"), pem);
    }

    private static String enforce(String mx) {
        return "version: STSv1\r\nmode: enforce\r\nmx: " + mx + "\r\nmax_age: 86400\r\n";
    }

    /** Whether the rig's DNS has the policy host's A record (a rig started before dns.sh had it does not). */
    private static boolean rigDnsHasPolicyHost() throws Exception {
        SimpleResolver r = new SimpleResolver("127.0.0.1");
        r.setPort(5353);
        Lookup l = new Lookup("mta-sts.example.test.", Type.A);
        l.setResolver(r);
        l.setCache(null);
        Record[] found = l.run();
        return found != null && found.length > 0;
    }

    /** The records the rig's zone has, from the in-JVM server instead. */
    private String testDns() throws Exception {
        TestDnsServer dns = bed.dns();
        dns.mx("example.test", 10, "mx1.example.test").a("mx1.example.test", "127.0.0.1")
                .a("mta-sts.example.test", POLICY_HOST)
                .add(new TXTRecord(Name.fromString("_mta-sts.example.test."), DClass.IN, 60, "v=STSv1; id=" + RIG_ID));
        return dns.dnsServers();
    }

    private RecipientResult deliver(String dnsServers, Path trust) {
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dnsServers, "smtp_tcp_port=" + Rig.POSTFIX_PORT,
                "smtp_starttls_timeout=10s", "smtp_tls_mta_sts_enable=yes", "smtp_tls_mta_sts_CAfile=" + trust));
        DeliveryAgent agent = bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)));
        String from = "sender@client.example.test";
        String to = "someone@dest.example.test";
        DeliveryReport r = agent.deliver(DeliveryRequest.builder("4STSI", from, "example.test")
                .content(ContentSource.of(Rig.message(Rig.token(), from, to).getBytes(StandardCharsets.US_ASCII)))
                .recipient(to).build()).block(Rig.WAIT);
        return r.results().get(0);
    }

    private static void assertSentSecure(RecipientResult r) {
        assertEquals(Outcome.SENT, r.outcome(), r.status().text() + " " + r.reason());
        assertEquals("secure", r.tls());
        assertTrue(r.reason().contains("queued as"), r.reason());
    }

    // ------------------------------------------------------------------ the rig's own DNS

    @Test
    void enforceDeliversToPostfixOverVerifiedTls_rigDns_TLS32() throws Exception {
        assumeTrue(rigDnsHasPolicyHost(), "the rig's zone has no mta-sts.example.test A record: restart the rig's DNS "
                + "(scripts/peers/dns.sh) to get it");
        StsPolicyServer https = policyHost(enforce("*.example.test"));
        assertSentSecure(deliver(RIG_DNS, trust(true)));
        assertEquals(1, https.fetches());
    }

    @Test
    void enforceDefersPostfixWhoseCaTheStsTrustLacks_rigDns_TLS32() throws Exception {
        assumeTrue(rigDnsHasPolicyHost(), "the rig's zone has no mta-sts.example.test A record");
        policyHost(enforce("mx1.example.test"));
        RecipientResult r = deliver(RIG_DNS, trust(false));
        // mx1 (Postfix) is refused after the handshake; mx2, mx3 and mx-down are not in the policy
        // and are skipped without a connection. The recipient carries the last server's error, as
        // in Postfix: the rig zone lists mx-down last.
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals("4.7.5", r.status().text());
        assertEquals("MX host mx-down.example.test is not permitted by the MTA-STS policy of example.test", r.reason());
    }

    // ------------------------------------------------------------------ the same records from the test DNS

    @Test
    void enforceDeliversToPostfixOverVerifiedTls_viaTestDns_TLS32() throws Exception {
        StsPolicyServer https = policyHost(enforce("*.example.test"));
        assertSentSecure(deliver(testDns(), trust(true)));
        assertEquals(1, https.fetches());
    }

    @Test
    void enforceDefersPostfixWhoseCaTheStsTrustLacks_viaTestDns_TLS32() throws Exception {
        policyHost(enforce("mx1.example.test"));
        RecipientResult r = deliver(testDns(), trust(false));
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals("4.7.5", r.status().text());
        assertEquals("Server certificate not verified", r.reason());
        assertEquals("!secure", r.tls());
    }

    @Test
    void enforceSkipsPostfixWhenNoPatternNamesIt_viaTestDns_TLS32_TLS16() throws Exception {
        policyHost(enforce("*.mail.example.test"));
        RecipientResult r = deliver(testDns(), trust(true));
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals("4.7.5", r.status().text());
        assertTrue(r.reason().contains("mx1.example.test is not permitted by the MTA-STS policy of example.test"), r.reason());
    }
}
