package io.postilion.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS-24's trust anchor files: what a file may hold, and where a chain may end. The agent-level
 * consequences are in the engine's TlsPolicyTableTest.
 */
class TrustAnchorFilesTest {

    @TempDir
    Path dir;

    private static X509Bundle ca(String cn, Instant notAfter) throws Exception {
        return new CertificateBuilder().subject("CN=" + cn).setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(3, ChronoUnit.DAYS)).notAfter(notAfter).buildSelfSigned();
    }

    @Test
    void aFileHoldsCertificatesKeysAndOtherBlocksBetweenText_TLS24() throws Exception {
        X509Bundle root = ca("Root", Instant.now().plus(3, ChronoUnit.DAYS));
        String key = "-----BEGIN PUBLIC KEY-----\r\n" + Base64.getMimeEncoder().encodeToString(
                ca("Other", Instant.now().plus(3, ChronoUnit.DAYS)).getCertificate().getPublicKey().getEncoded())
                + "\r\n-----END PUBLIC KEY-----\r\n";
        Path f = Files.writeString(dir.resolve("anchors.pem"), "subject=Root\n" + root.getCertificatePEM()
                + root.getPrivateKeyPEM() + key);
        TrustAnchorFiles a = TrustAnchorFiles.load(List.of(f.toString()), 9);
        assertEquals(1, a.certificates().size());
        assertEquals(2, a.keys().size());
    }

    @Test
    void brokenFilesAreRefusedNamingTheFile_TLS24() throws Exception {
        String pem = ca("Root", Instant.now().plus(3, ChronoUnit.DAYS)).getCertificatePEM();
        for (String bad : new String[] {"", "text only\n", pem.replace("-----END CERTIFICATE-----", ""),
            pem.replace("M", "*"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}) {
            Path f = Files.writeString(dir.resolve("bad.pem"), bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TrustAnchorFiles.load(List.of(f.toString()), 9));
            assertTrue(e.getMessage().contains("trust anchor file " + f), e.getMessage());
        }
    }

    @Test
    void anExpiredAnchorStillEndsTheChainButTheLeafMustBeValid_TLS24() throws Exception {
        X509Bundle old = ca("Old Root", Instant.now().minus(1, ChronoUnit.DAYS));
        X509Bundle leaf = new CertificateBuilder().subject("CN=mx.test").ecp256()
                .notBefore(Instant.now().minus(2, ChronoUnit.DAYS)).notAfter(Instant.now().plus(3, ChronoUnit.DAYS))
                .buildIssuedBy(old);
        List<X509Certificate> certs = new ArrayList<>();
        List<java.security.PublicKey> keys = new ArrayList<>();
        TrustAnchorFiles.parse("(old)", old.getCertificatePEM(), certs, keys);
        TrustAnchorFiles anchors = new TrustAnchorFiles(certs, keys, 9);
        assertNull(anchors.whyUntrusted(new X509Certificate[] {leaf.getCertificate()}), "signed by the anchor's key");
        assertNull(anchors.whyUntrusted(new X509Certificate[] {leaf.getCertificate(), old.getCertificate()}),
                "the presented anchor ends the chain, expired or not");
        TrustAnchorFiles shallow = new TrustAnchorFiles(certs, keys, 1);
        assertNull(shallow.whyUntrusted(new X509Certificate[] {leaf.getCertificate()}), "leaf and anchor: depth 1");
        X509Bundle stranger = ca("Stranger", Instant.now().plus(3, ChronoUnit.DAYS));
        assertTrue(anchors.whyUntrusted(new X509Certificate[] {stranger.getCertificate()}).startsWith("untrusted issuer"));
    }
}
