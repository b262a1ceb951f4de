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
 * DNS server. lmtp_tls_security_level = encrypt and = verify (trusting the rig CA) store the
 * message in the maildir; verify trusting another CA defers 4.7.5 and stores nothing. Skipped
 * when Dovecot is not listening.
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
