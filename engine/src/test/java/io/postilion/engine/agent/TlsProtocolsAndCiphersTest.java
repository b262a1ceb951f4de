package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * TLS-6, TLS-26, TLS-27 through the agent built from main.cf: which protocols and cipher suites
 * the client offers at each level, against a STARTTLS server that speaks only what the test lets
 * it, and what it records of each handshake. Start-up refuses every value it cannot honour.
 */
class TlsProtocolsAndCiphersTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final AgentTestBed bed = new AgentTestBed();

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    /** What one delivery to a server speaking {@code protocols} (and {@code suites} below 1.3) ended as. */
    private record Run(RecipientResult result, List<String> handshakes) {
    }

    private Run deliver(List<String> protocols, List<String> suites, String... options) throws Exception {
        FakeSmtpServer mx = bed.server("127.0.0.2").startTls(true)
                .tlsContext(TestCertificates.serverContext(protocols, suites));
        TestDnsServer dns = bed.dns();
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2");
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dns.dnsServers(), "smtp_tcp_port=" + mx.port()));
        o.addAll(List.of(options));
        DeliveryAgent agent = bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)));
        DeliveryReport r = agent.deliver(DeliveryRequest.builder("4PROTO1", "s@client.test", "dest.test")
                .content(ContentSource.of("Subject: tls\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build()).block(WAIT);
        return new Run(r.results().get(0), mx.handshakes());
    }

    private static final List<String> BOTH = List.of("TLSv1.2", "TLSv1.3");
    private static final List<String> FS_AEAD = List.of("ECDHE-ECDSA-AES128-GCM-SHA256");

    @Test
    void mandatoryProtocolsAtLeastTls13NegotiateTls13AndRefuseATls12Server_TLS26() throws Exception {
        Run r = deliver(BOTH, FS_AEAD, "smtp_tls_security_level=encrypt", "smtp_tls_mandatory_protocols=>=TLSv1.3");
        assertEquals(Outcome.SENT, r.result().outcome(), r.result().reason());
        assertEquals(List.of("TLSv1.3 TLS_AES_128_GCM_SHA256"), r.handshakes());
        bed.close();
        Run old = deliver(List.of("TLSv1.2"), FS_AEAD, "smtp_tls_security_level=encrypt",
                "smtp_tls_mandatory_protocols=>=TLSv1.3");
        assertEquals(Outcome.DEFERRED, old.result().outcome(), old.result().reason());
        assertEquals("4.7.5", old.result().status().toString(), old.result().reason());
        assertEquals(List.of("failed"), old.handshakes());
    }

    @Test
    void mayUsesTheOpportunisticListAndEncryptTheMandatoryOne_TLS6() throws Exception {
        String[] lists = {"smtp_tls_protocols=<=TLSv1.2", "smtp_tls_mandatory_protocols=>=TLSv1.3"};
        Run may = deliver(BOTH, FS_AEAD, cat("smtp_tls_security_level=may", lists));
        assertEquals(Outcome.SENT, may.result().outcome(), may.result().reason());
        assertEquals(List.of("TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), may.handshakes());
        bed.close();
        Run encrypt = deliver(BOTH, FS_AEAD, cat("smtp_tls_security_level=encrypt", lists));
        assertEquals(Outcome.SENT, encrypt.result().outcome(), encrypt.result().reason());
        assertTrue(encrypt.handshakes().get(0).startsWith("TLSv1.3 "), encrypt.handshakes().toString());
    }

    @Test
    void exclusionsAndHexVersionsWorkInEverySeparatorForm_TLS26() throws Exception {
        Run r = deliver(BOTH, FS_AEAD, "smtp_tls_security_level=encrypt",
                "smtp_tls_mandatory_protocols=!SSLv2:!SSLv3, !TLSv1 !TLSv1.1,<=0x0303");
        assertEquals(Outcome.SENT, r.result().outcome(), r.result().reason());
        assertEquals(List.of("TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), r.handshakes());
        bed.close();
        Run hex = deliver(BOTH, FS_AEAD, "smtp_tls_security_level=encrypt", "smtp_tls_mandatory_protocols=>=0304");
        assertTrue(hex.handshakes().get(0).startsWith("TLSv1.3 "), hex.handshakes().toString());
    }

    @Test
    void theMandatoryExclusionsApplyAboveMayOnly_TLS6() throws Exception {
        // The server's only TLS 1.2 suite is a forward-secret CBC suite with SHA-1.
        List<String> cbc = List.of("ECDHE-ECDSA-AES128-SHA");
        String[] exclusions = {"smtp_tls_mandatory_exclude_ciphers=SHA1"};
        Run encrypt = deliver(List.of("TLSv1.2"), cbc, cat("smtp_tls_security_level=encrypt", exclusions));
        assertEquals(Outcome.DEFERRED, encrypt.result().outcome(), encrypt.result().reason());
        assertEquals("4.7.5", encrypt.result().status().toString());
        assertEquals(List.of("failed"), encrypt.handshakes());
        bed.close();
        Run may = deliver(List.of("TLSv1.2"), cbc, cat("smtp_tls_security_level=may", exclusions));
        assertEquals(Outcome.SENT, may.result().outcome(), may.result().reason());
        assertEquals(List.of("TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"), may.handshakes());
    }

    @Test
    void theOpportunisticExclusionsApplyAtEveryLevel_TLS6() throws Exception {
        Run encrypt = deliver(List.of("TLSv1.2"), List.of("ECDHE-ECDSA-AES128-SHA"), "smtp_tls_security_level=encrypt",
                "smtp_tls_exclude_ciphers=ECDHE+SHA1");
        assertEquals(List.of("failed"), encrypt.handshakes());
        assertEquals(Outcome.DEFERRED, encrypt.result().outcome());
    }

    @Test
    void gradeHighKeepsOpenSslsHighSuitesAndTls13IsNotRestricted_TLS27() throws Exception {
        // OpenSSL's HIGH has the AES-CBC suites too (the order, AEAD first, is CipherSuitesTest's).
        Run r = deliver(List.of("TLSv1.2"), List.of("ECDHE-ECDSA-AES128-SHA"), "smtp_tls_security_level=encrypt",
                "smtp_tls_mandatory_ciphers=high");
        assertEquals(Outcome.SENT, r.result().outcome(), r.result().reason());
        assertEquals(List.of("TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"), r.handshakes());
        bed.close();
        // Excluding every TLS 1.2 suite leaves TLS 1.3's, which no grade restricts.
        Run all = deliver(BOTH, FS_AEAD, "smtp_tls_security_level=encrypt", "smtp_tls_mandatory_protocols=TLSv1.3",
                "smtp_tls_mandatory_exclude_ciphers=ALL", "smtp_tls_mandatory_ciphers=low");
        assertEquals(Outcome.SENT, all.result().outcome(), all.result().reason());
        assertTrue(all.handshakes().get(0).startsWith("TLSv1.3 "), all.handshakes().toString());
    }

    private static String[] cat(String first, String... rest) {
        List<String> l = new ArrayList<>(List.of(first));
        l.addAll(List.of(rest));
        return l.toArray(String[]::new);
    }

    private ConfigurationException refused(String... options) {
        List<String> o = new ArrayList<>(List.of("smtp_tls_security_level=may"));
        o.addAll(List.of(options));
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> bed.agent(DeliveryAgent.builder(AgentTestBed.config(o))));
        assertEquals(78, e.exitStatus(), e.getMessage());
        return e;
    }

    @Test
    void aListThatCannotBeHonouredStopsStartUpNamingIt_TLS26() {
        assertTrue(refused("smtp_tls_protocols=TLSv1.4").getMessage().contains("smtp_tls_protocols = TLSv1.4: unknown protocol"));
        assertTrue(refused("smtp_tls_mandatory_protocols=>= TLSv1.2").getMessage().contains("smtp_tls_mandatory_protocols"));
        assertTrue(refused("smtp_tls_protocols=TLSv1, TLSv1.2").getMessage().contains("gap"));
        String sslv3 = refused("smtp_tls_protocols=SSLv3").getMessage();
        assertTrue(sslv3.contains("SSLv3 is not supported"), sslv3);
        assertTrue(refused("smtp_tls_mandatory_protocols=>=0x10000").getMessage().contains("smtp_tls_mandatory_protocols"));
    }

    @Test
    void gradesAndExclusionsThatCannotBeHonouredStopStartUp_TLS27() {
        String nul = refused("smtp_tls_ciphers=null").getMessage();
        assertTrue(nul.contains("smtp_tls_ciphers = null") && nul.contains("not supported"), nul);
        assertTrue(refused("smtp_tls_mandatory_ciphers=null").getMessage().contains("smtp_tls_mandatory_ciphers"));
        assertTrue(refused("smtp_tls_ciphers=strong").getMessage().contains("smtp_tls_ciphers"));
        String unknown = refused("smtp_tls_exclude_ciphers=NOSUCH").getMessage();
        assertTrue(unknown.contains("smtp_tls_exclude_ciphers") && unknown.contains("NOSUCH"), unknown);
        String empty = refused("smtp_tls_mandatory_exclude_ciphers=ALL").getMessage();
        assertTrue(empty.contains("smtp_tls_mandatory_exclude_ciphers") && empty.contains("leaves no cipher suite"), empty);
        assertTrue(refused("smtp_tls_exclude_ciphers=TLS_AES_128_GCM_SHA256").getMessage().contains("TLS 1.3"));
    }

    @Test
    void lmtpReadsItsOwnTwins_TLS26() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> bed.agent(DeliveryAgent.builder(
                AgentTestBed.config(List.of("lmtp_tls_security_level=may", "lmtp_tls_protocols=TLSv9",
                        "smtp_tls_protocols=TLSv8"))).lmtp()));
        assertTrue(e.getMessage().contains("lmtp_tls_protocols = TLSv9"), e.getMessage());
    }
}
