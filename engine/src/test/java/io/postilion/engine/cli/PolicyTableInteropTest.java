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

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

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
        Path file = Files.writeString(dir.resolve("message.eml"), Rig.message(Rig.token(), FROM, TO), StandardCharsets.US_ASCII);
        List<String> argv = new ArrayList<>(List.of("send", "--from", FROM, "--to", TO, "--nexthop", nexthop,
                "-o", "inet_interfaces=127.0.0.254", "-o", "dns_servers=127.0.0.1:5353"));
        for (String o : options) {
            argv.add("-o");
            argv.add(o);
        }
        argv.add(file.toString());
        return Main.run(argv.toArray(String[]::new), new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String line() {
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private String transcript() {
        return "stdout:\n" + out.toString(StandardCharsets.UTF_8) + "stderr:\n" + err.toString(StandardCharsets.UTF_8);
    }

    private String table(String... lines) throws IOException {
        Path f = Files.writeString(dir.resolve("tls_policy"), String.join("\n", lines) + "\n");
        return "smtp_tls_policy_maps=texthash:" + f;
    }

    @Test
    void fingerprintDeliversToPostfixWhosePublicKeyDigestIsPinned_TLS28() throws Exception {
        assertEquals(0, send("[127.0.0.1]:" + SMTPD, "smtp_tls_security_level=fingerprint",
                "smtp_tls_fingerprint_cert_match=" + fileValue("tlsa-3-1-1.txt")), transcript());
        assertTrue(line().contains(", tls=fingerprint, dsn=2.0.0, status=sent (250 "), line());
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
                + fileValue("tlsa-3-1-1-selfsigned.txt") + "|" + digest)), transcript());
        assertTrue(line().contains(", tls=fingerprint, dsn=2.0.0, status=sent (250 "), line());
    }

    @Test
    void aDigestThePostfixKeyDoesNotHaveIsDeferred475_TLS28_TLS13() throws Exception {
        assertTrue(send("[127.0.0.1]:" + SMTPD, "smtp_tls_security_level=fingerprint",
                "smtp_tls_fingerprint_cert_match=" + fileValue("tlsa-3-1-1-selfsigned.txt")) != 0, transcript());
        assertTrue(line().contains(", tls=!fingerprint, dsn=4.7.5, status=deferred (Server certificate not verified)"),
                line());
    }

    @Test
    void secureWithTheRigCaAsATableTrustAnchorDelivers_TLS4_TLS24() throws Exception {
        // no CAfile at all: the entry's tafile= is the only trust
        assertEquals(0, send(NAMED, table(NAMED + " secure tafile=" + certs("ca.crt"))), transcript());
        assertTrue(line().contains(", tls=secure, dsn=2.0.0, status=sent (250 "), line());
    }

    @Test
    void aTableTrustAnchorThatDidNotSignTheCertificateIsDeferred475_TLS24() throws Exception {
        assertTrue(send(NAMED, "smtp_tls_CAfile=" + certs("ca.crt"),
                table(NAMED + " secure tafile=" + certs("selfsigned.crt"))) != 0, transcript());
        assertTrue(line().contains(", tls=!secure, dsn=4.7.5, status=deferred (Server certificate not verified)"), line());
    }
}
