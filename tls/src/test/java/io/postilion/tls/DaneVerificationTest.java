package io.postilion.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The DANE pieces of tls/ on their own (TLS-8, TLS-30's trust word): which records count, the
 * DANE-EE and DANE-TA checks on chains made here, the depth limit and tls_dane_digests. The agent
 * tests (DaneTest) show the same through real handshakes; these pin the edges.
 */
class DaneVerificationTest {

    private static X509Bundle root;
    private static X509Bundle intermediate;
    private static X509Bundle leaf;
    private static X509Bundle wildcard;

    @BeforeAll
    static void chain() throws Exception {
        root = ca("CN=Root", null);
        intermediate = ca("CN=Intermediate", root);
        leaf = leaf("mx.example.test", intermediate);
        wildcard = leaf("*.example.test", intermediate);
    }

    private static X509Bundle ca(String subject, X509Bundle issuer) throws Exception {
        CertificateBuilder b = new CertificateBuilder().subject(subject).setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS));
        return issuer == null ? b.buildSelfSigned() : b.buildIssuedBy(issuer);
    }

    private static X509Bundle leaf(String name, X509Bundle issuer) throws Exception {
        CertificateBuilder b = new CertificateBuilder().subject("CN=" + name).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS));
        if (!name.startsWith("*")) {
            b.addSanDnsName(name); // the test kit refuses a wildcard SAN: a wildcard is the CN alone
        }
        return b.buildIssuedBy(issuer);
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    private static Certificate[] sent(X509Bundle... certs) {
        Certificate[] out = new Certificate[certs.length];
        for (int i = 0; i < certs.length; i++) {
            out[i] = certs[i].getCertificate();
        }
        return out;
    }

    private static DaneVerification check(TlsaRecord... records) {
        return DaneVerification.forServer(List.of(records), DaneDigests.DEFAULT, "mx.example.test", "example.test", null);
    }

    @Test
    void pkixUsagesPrivateMatchingAndShortDataAreDiscarded_TLS8() {
        DaneRecords r = DaneRecords.of(List.of(new TlsaRecord(0, 0, 1, new byte[32]), new TlsaRecord(1, 1, 1, new byte[32]),
                new TlsaRecord(3, 1, 255, new byte[32]), new TlsaRecord(3, 1, 1, new byte[3])), DaneDigests.DEFAULT);
        assertEquals(DaneRecords.State.DISCARDED, r.state());
    }

    @Test
    void recordsTheLibraryCannotCheckLeaveNothingAccepted_TLS8() {
        DaneRecords r = DaneRecords.of(List.of(new TlsaRecord(4, 1, 1, new byte[32]), new TlsaRecord(3, 2, 1, new byte[32]),
                new TlsaRecord(3, 1, 1, new byte[31]), new TlsaRecord(3, 1, 3, new byte[32]),
                new TlsaRecord(2, 0, 0, new byte[40])), DaneDigests.DEFAULT);
        assertEquals(DaneRecords.State.NONE_ACCEPTED, r.state(), "unknown usage/selector/type, wrong length, junk full value");
        TlsaRecord good = new TlsaRecord(3, 1, 1, new byte[32]);
        DaneRecords mixed = DaneRecords.of(List.of(new TlsaRecord(4, 1, 1, new byte[32]), good), DaneDigests.DEFAULT);
        assertEquals(DaneRecords.State.USABLE, mixed.state());
        assertEquals(List.of(good), mixed.usable());
    }

    @Test
    void daneEeMatchesTheKeyWhateverTheNames_TLS8() throws Exception {
        PeerCheck.Result r = check(new TlsaRecord(3, 1, 1, sha256(wildcard.getCertificate().getPublicKey().getEncoded())))
                .check(sent(wildcard));
        assertTrue(r.matched(), r.problem());
        assertFalse(check(new TlsaRecord(3, 1, 1, sha256(leaf.getCertificate().getPublicKey().getEncoded())))
                .check(sent(wildcard)).trusted());
    }

    @Test
    void daneTaAnchorsAtAnyCertificateTheServerSentAboveTheLeaf_TLS8() throws Exception {
        TlsaRecord rootRecord = new TlsaRecord(2, 0, 1, sha256(root.getCertificate().getEncoded()));
        TlsaRecord midRecord = new TlsaRecord(2, 1, 1, sha256(intermediate.getCertificate().getPublicKey().getEncoded()));
        assertTrue(check(rootRecord).check(sent(leaf, intermediate, root)).matched());
        assertTrue(check(midRecord).check(sent(leaf, intermediate)).matched());
        assertFalse(check(rootRecord).check(sent(leaf, intermediate)).trusted(), "the root was not sent and is no full value");
        assertFalse(check(new TlsaRecord(2, 0, 1, sha256(leaf.getCertificate().getEncoded()))).check(sent(leaf, intermediate))
                .trusted(), "a DANE-TA record matches issuers, not the leaf");
    }

    @Test
    void aFullValueDaneTaRecordAnchorsEvenWhenNotSent_TLS8() throws Exception {
        assertTrue(check(new TlsaRecord(2, 0, 0, root.getCertificate().getEncoded())).check(sent(leaf, intermediate)).matched());
        assertTrue(check(new TlsaRecord(2, 1, 0, intermediate.getCertificate().getPublicKey().getEncoded()))
                .check(sent(leaf)).matched());
    }

    @Test
    void daneTaNamesAreTheBaseDomainTheNexthopAndTheMxOwnerWithWildcards_TLS8() throws Exception {
        TlsaRecord mid = new TlsaRecord(2, 0, 1, sha256(intermediate.getCertificate().getEncoded()));
        X509Bundle nexthopLeaf = leaf("example.test", intermediate);
        X509Bundle ownerLeaf = leaf("mx.cname-owner.test", intermediate);
        assertTrue(check(mid).check(sent(wildcard, intermediate)).matched(), "*.example.test covers mx.example.test");
        assertTrue(check(mid).check(sent(nexthopLeaf, intermediate)).matched());
        PeerCheck.Result noOwner = check(mid).check(sent(ownerLeaf, intermediate));
        assertTrue(noOwner.trusted());
        assertFalse(noOwner.matched());
        assertEquals("num=62:hostname mismatch", noOwner.problem());
        assertTrue(DaneVerification.forServer(List.of(mid), DaneDigests.DEFAULT, "mx.example.test", "example.test",
                "mx.cname-owner.test").check(sent(ownerLeaf, intermediate)).matched());
    }

    @Test
    void daneTaChainsLongerThanTheDepthLimitFail_TLS8() throws Exception {
        TlsaRecord rootRecord = new TlsaRecord(2, 0, 1, sha256(root.getCertificate().getEncoded()));
        DaneVerification shallow = new DaneVerification(List.of(rootRecord), DaneDigests.DEFAULT,
                new CertificateNames(List.of("mx.example.test")), 1);
        assertFalse(shallow.check(sent(leaf, intermediate, root)).trusted(), "root is two above the leaf");
        DaneVerification enough = new DaneVerification(List.of(rootRecord), DaneDigests.DEFAULT,
                new CertificateNames(List.of("mx.example.test")), 2);
        assertTrue(enough.check(sent(leaf, intermediate, root)).matched());
    }

    @Test
    void anExpiredIntermediateBreaksADaneTaChainButNotDaneEe_TLS8() throws Exception {
        X509Bundle old = new CertificateBuilder().subject("CN=Old Intermediate").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(30, ChronoUnit.DAYS)).notAfter(Instant.now().minus(1, ChronoUnit.DAYS))
                .buildIssuedBy(root);
        X509Bundle under = leaf("mx.example.test", old);
        assertFalse(check(new TlsaRecord(2, 0, 1, sha256(root.getCertificate().getEncoded()))).check(sent(under, old, root))
                .trusted());
        assertTrue(check(new TlsaRecord(3, 0, 1, sha256(under.getCertificate().getEncoded()))).check(sent(under, old, root))
                .matched());
    }

    @Test
    void noRecordsAndNoCertificateNeverMatch_TLS8() {
        assertFalse(check().check(sent(leaf)).trusted());
        assertEquals("no peer certificate", check(new TlsaRecord(3, 1, 1, new byte[32])).check(new Certificate[0]).problem());
    }

    @Test
    void halfdaneMatchesAreTrustedNotVerified_TLS8() throws Exception {
        PeerCheck.Result r = check(new TlsaRecord(3, 1, 1, sha256(leaf.getCertificate().getPublicKey().getEncoded())))
                .check(sent(leaf));
        assertEquals("Verified", r.trustWord(TlsLevel.DANE));
        assertEquals("Verified", r.trustWord(TlsLevel.DANE_ONLY));
        assertEquals("Trusted", r.trustWord(TlsLevel.HALFDANE));
        assertEquals("Untrusted", new PeerCheck.Result(false, null, "x").trustWord(TlsLevel.DANE));
    }

    @Test
    void tlsDaneDigestsNamesMatchingTypes_TLS8() {
        assertEquals("SHA-512", DaneDigests.DEFAULT.algorithm(2));
        assertEquals("SHA-256", DaneDigests.DEFAULT.algorithm(1));
        DaneDigests only256 = DaneDigests.parse("sha256");
        assertNull(only256.algorithm(2));
        assertEquals("SHA-384", DaneDigests.parse("sha256, sha384=3").algorithm(3));
        assertThrows(IllegalArgumentException.class, () -> DaneDigests.parse("sha384"));
        assertThrows(IllegalArgumentException.class, () -> DaneDigests.parse("nosuch=3"));
        assertThrows(IllegalArgumentException.class, () -> DaneDigests.parse("sha256 sha512=1"));
        assertThrows(IllegalArgumentException.class, () -> DaneDigests.parse(""));
    }
}
