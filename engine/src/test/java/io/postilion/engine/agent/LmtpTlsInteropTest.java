package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.pkitesting.CertificateBuilder;
import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.interop.Rig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LMTP over STARTTLS against the rig's Dovecot (scripts/peers/lmtp.sh, 127.0.0.1:2424 or
 * {@code LMTP_PORT}), whose LHLO reply offers STARTTLS with the rig CA's certificate for
 * lmtp.example.test among other names (scripts/peers/certs.sh). The delivery agent is built from
 * main.cf in LMTP mode; the next hop lmtp.example.test is answered with 127.0.0.1 by the in-JVM
 * DNS server. The levels may, encrypt, fingerprint (the rig key's digest), dane-only (a signed
 * DANE-EE record the in-JVM DNS server publishes with the AD bit), verify and secure (trusting the
 * rig CA) store the message in the maildir over TLS; verify trusting another CA, and a DANE-EE
 * record of another key, defer 4.7.5 and store nothing. Skipped when Dovecot is not listening.
 */
@Tag("interop")
class LmtpTlsInteropTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String FROM = "sender@client.example.test";
    private static final String TO = "lmtptls@example.test";
    private static final int PORT = Integer.parseInt(System.getenv().getOrDefault("LMTP_PORT", "" + Rig.LMTP_PORT));

    private final AgentTestBed bed = new AgentTestBed();
    private TestDnsServer dns;

    @TempDir
    Path dir;

    @BeforeAll
    static void dovecotIsUp() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(Rig.LOOPBACK, PORT), 3000);
        } catch (IOException e) {
            Assumptions.abort("Dovecot LMTP is not listening on 127.0.0.1:" + PORT
                    + " (start it with RIG_DIR=... scripts/peers/lmtp.sh start): " + e.getMessage());
        }
        Assumptions.assumeTrue(Files.isReadable(Rig.RIG_DIR.resolve("certs/ca.crt")),
                "no rig CA under RIG_DIR=" + Rig.RIG_DIR);
    }

    @BeforeEach
    void start() throws Exception {
        dns = bed.dns();
        dns.a("lmtp.example.test", "127.0.0.1");
    }

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private RecipientResult deliver(String token, String... settings) {
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dns.dnsServers(), "lmtp_starttls_timeout=10s",
                "myhostname=client.example.test"));
        o.addAll(List.of(settings));
        DeliveryAgent agent = bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)).lmtp());
        return agent.deliver(DeliveryRequest.builder("4LMTPTLS", FROM, "inet:lmtp.example.test:" + PORT)
                .content(ContentSource.of(Rig.message(token, FROM, TO).getBytes(StandardCharsets.US_ASCII)))
                .recipient(TO).build()).block(WAIT).results().get(0);
    }

    /** Dovecot's own Received header says the LMTP session ran over TLS ("with LMTPS"). */
    private static void assertStoredOverTls(Path stored) {
        String text;
        try {
            text = Files.readString(stored, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String received = text.substring(0, text.indexOf("\n\n") < 0 ? text.length() : text.indexOf("\n\n"));
        assertTrue(received.contains("(using TLS") && received.contains("with LMTPS"), received);
    }

    @Test
    void encryptDeliversOverStarttls_TLS5() {
        String token = Rig.token();
        RecipientResult r = deliver(token, "lmtp_tls_security_level=encrypt");
        assertEquals(Outcome.SENT, r.outcome(), r.status() + " " + r.reason());
        assertEquals("encrypt", r.tls());
        assertStoredOverTls(Rig.awaitDelivery(TO, token));
    }

    @Test
    void verifyWithTheRigCaDelivers_TLS5_TLS7_TLS24() {
        String token = Rig.token();
        RecipientResult r = deliver(token, "lmtp_tls_security_level=verify",
                "lmtp_tls_CAfile=" + Rig.RIG_DIR.resolve("certs/ca.crt"));
        assertEquals(Outcome.SENT, r.outcome(), r.status() + " " + r.reason());
        assertEquals("verify", r.tls());
        assertStoredOverTls(Rig.awaitDelivery(TO, token));
    }

    @Test
    void mayUsesTheOfferedStarttls_TLS5() {
        String token = Rig.token();
        RecipientResult r = deliver(token, "lmtp_tls_security_level=may");
        assertEquals(Outcome.SENT, r.outcome(), r.status() + " " + r.reason());
        assertEquals("may", r.tls());
        assertStoredOverTls(Rig.awaitDelivery(TO, token));
    }

    @Test
    void secureMatchesTheNexthopNameWithTheRigCa_TLS5_TLS7() {
        String token = Rig.token();
        RecipientResult r = deliver(token, "lmtp_tls_security_level=secure",
                "lmtp_tls_CAfile=" + Rig.RIG_DIR.resolve("certs/ca.crt"));
        assertEquals(Outcome.SENT, r.outcome(), r.status() + " " + r.reason());
        assertEquals("secure", r.tls());
        assertStoredOverTls(Rig.awaitDelivery(TO, token));
    }

    @Test
    void fingerprintPinsTheRigKey_TLS28() throws Exception {
        String token = Rig.token();
        RecipientResult r = deliver(token, "lmtp_tls_security_level=fingerprint",
                "lmtp_tls_fingerprint_cert_match=" + rigKeyDigest());
        assertEquals(Outcome.SENT, r.outcome(), r.status() + " " + r.reason());
        assertEquals("fingerprint", r.tls());
        assertStoredOverTls(Rig.awaitDelivery(TO, token));
    }

    @Test
    void daneOnlyWithASignedDaneEeRecordOfTheRigKeyDelivers_TLS8() throws Exception {
        dns.authenticated("lmtp.example.test");
        dns.tlsa("_" + PORT + "._tcp.lmtp.example.test", 3, 1, 1, hex(rigKeyDigest()))
                .authenticated("_" + PORT + "._tcp.lmtp.example.test");
        String token = Rig.token();
        RecipientResult r = deliver(token, "lmtp_tls_security_level=dane-only", "lmtp_dns_support_level=dnssec");
        assertEquals(Outcome.SENT, r.outcome(), r.status() + " " + r.reason());
        assertEquals("dane-only", r.tls());
        assertStoredOverTls(Rig.awaitDelivery(TO, token));
    }

    @Test
    void daneOnlyWithARecordOfAnotherKeyDefersAndStoresNothing_TLS8_TLS13() throws Exception {
        dns.authenticated("lmtp.example.test");
        dns.tlsa("_" + PORT + "._tcp.lmtp.example.test", 3, 1, 1, new byte[32])
                .authenticated("_" + PORT + "._tcp.lmtp.example.test");
        String token = Rig.token();
        RecipientResult r = deliver(token, "lmtp_tls_security_level=dane-only", "lmtp_dns_support_level=dnssec");
        assertEquals(Outcome.DEFERRED, r.outcome(), r.status() + " " + r.reason());
        assertEquals("4.7.5", r.status().text());
        Rig.sleep(1000);
        assertTrue(Rig.filesWith(Rig.maildir(TO), token).isEmpty(), "no message stored");
    }

    /** SHA-256 of the rig server key's SubjectPublicKeyInfo, as certs.sh writes it for TLSA 3 1 1. */
    private static String rigKeyDigest() throws IOException {
        return Files.readString(Rig.RIG_DIR.resolve("certs/tlsa-3-1-1.txt")).trim();
    }

    private static byte[] hex(String text) {
        return java.util.HexFormat.of().parseHex(text);
    }

    @Test
    void verifyWithAnotherCaDefers475AndStoresNothing_TLS13_TLS24() throws Exception {
        Path otherCa = Files.writeString(dir.resolve("other-ca.pem"), new CertificateBuilder()
                .subject("CN=Not The Rig CA").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned().getCertificatePEM());
        String token = Rig.token();
        RecipientResult r = deliver(token, "lmtp_tls_security_level=verify", "lmtp_tls_CAfile=" + otherCa);
        assertEquals(Outcome.DEFERRED, r.outcome(), r.status() + " " + r.reason());
        assertEquals("4.7.5", r.status().text());
        assertEquals("Server certificate not verified", r.reason());
        assertEquals("!verify", r.tls());
        Rig.sleep(1000); // nothing may arrive late either
        assertTrue(Rig.filesWith(Rig.maildir(TO), token).isEmpty(), "no message stored");
    }
}
