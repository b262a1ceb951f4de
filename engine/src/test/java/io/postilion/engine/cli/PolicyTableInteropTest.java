package io.postilion.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.interop.Rig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fingerprint level and a policy table's trust anchor file against the peer rig's Postfix
 * smtpd on 127.0.0.1:2526 (STARTTLS offered, relay from loopback), whose certificate the rig's CA
 * signed (scripts/peers/certs.sh). The pinned values are what certs.sh wrote: the SHA-256 digest
 * of the server certificate's public key (tlsa-3-1-1.txt), and that of the self-signed
 * certificate the server does not present (tlsa-3-1-1-selfsigned.txt). The rig's DNS on
 * 127.0.0.1:5353 answers relay.example.test with 127.0.0.1.
 */
@Tag("interop")
class PolicyTableInteropTest {

    private static final String FROM = "sender@client.example.test";
    private static final String TO = "b@dest.example.test";
    private static final int SMTPD = 2526;
    private static final String NAMED = "[relay.example.test]:" + SMTPD;

    @TempDir
    Path dir;

    private SendRun run;

    @org.junit.jupiter.api.BeforeEach
    void sender() {
        run = new SendRun(dir);
    }


    @BeforeAll
    static void peersAreUp() {
        Rig.requireTcp("Postfix smtpd", SMTPD, "postfix-relay.sh");
    }

    private static Path certs(String name) {
        return Rig.RIG_DIR.resolve("certs/" + name);
    }

    private static String fileValue(String name) throws IOException {
        return Files.readString(certs(name)).trim();
    }

    private int send(String nexthop, String... options) throws IOException {
        List<String> o = new ArrayList<>(List.of("dns_servers=127.0.0.1:5353"));
        o.addAll(List.of(options));
        return run.send(FROM, TO, nexthop, o);
    }



    private String table(String... lines) throws IOException {
        Path f = Files.writeString(dir.resolve("tls_policy"), String.join("\n", lines) + "\n");
        return "smtp_tls_policy_maps=texthash:" + f;
    }

    @Test
    void fingerprintDeliversToPostfixWhosePublicKeyDigestIsPinned_TLS28() throws Exception {
        assertEquals(0, send("[127.0.0.1]:" + SMTPD, "smtp_tls_security_level=fingerprint",
                "smtp_tls_fingerprint_cert_match=" + fileValue("tlsa-3-1-1.txt")), run.transcript());
        assertTrue(run.line().contains(", tls=fingerprint, dsn=2.0.0, status=sent (250 "), run.line());
    }

    @Test
    void fingerprintFromATableEntryMatchesTheCertificateDigestToo_TLS4_TLS28() throws Exception {
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(certs("server.crt"))) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        String digest = HexFormat.ofDelimiter(":").withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        assertEquals(0, send("[127.0.0.1]:" + SMTPD, table("[127.0.0.1]:" + SMTPD + " fingerprint match="
                + fileValue("tlsa-3-1-1-selfsigned.txt") + "|" + digest)), run.transcript());
        assertTrue(run.line().contains(", tls=fingerprint, dsn=2.0.0, status=sent (250 "), run.line());
    }

    @Test
    void aDigestThePostfixKeyDoesNotHaveIsDeferred475_TLS28_TLS13() throws Exception {
        assertTrue(send("[127.0.0.1]:" + SMTPD, "smtp_tls_security_level=fingerprint",
                "smtp_tls_fingerprint_cert_match=" + fileValue("tlsa-3-1-1-selfsigned.txt")) != 0, run.transcript());
        assertTrue(run.line().contains(", tls=!fingerprint, dsn=4.7.5, status=deferred (Server certificate not verified)"),
                run.line());
    }

    @Test
    void secureWithTheRigCaAsATableTrustAnchorDelivers_TLS4_TLS24() throws Exception {
        // no CAfile at all: the entry's tafile= is the only trust
        assertEquals(0, send(NAMED, table(NAMED + " secure tafile=" + certs("ca.crt"))), run.transcript());
        assertTrue(run.line().contains(", tls=secure, dsn=2.0.0, status=sent (250 "), run.line());
    }

    @Test
    void aTableTrustAnchorThatDidNotSignTheCertificateIsDeferred475_TLS24() throws Exception {
        assertTrue(send(NAMED, "smtp_tls_CAfile=" + certs("ca.crt"),
                table(NAMED + " secure tafile=" + certs("selfsigned.crt"))) != 0, run.transcript());
        assertTrue(run.line().contains(", tls=!secure, dsn=4.7.5, status=deferred (Server certificate not verified)"), run.line());
    }
}
