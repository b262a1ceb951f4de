package io.postilion.tls;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.io.ByteArrayInputStream;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes DANE with what DNS and a hostile server control: any TLSA RRset (usages, selectors,
 * matching types, data) and a certificate chain of real certificates mixed with fuzzed DER.
 * Whatever comes, sorting the RRset and checking the chain give an answer and throw nothing, and
 * random data never authenticates the test's certificate (a match needs the right digest or key).
 * In a normal build this replays the seeds under {@code DaneFuzzTestInputs}.
 */
class DaneFuzzTest {

    private static final X509Bundle CA;
    private static final X509Bundle LEAF;

    static {
        try {
            CA = new CertificateBuilder().subject("CN=Fuzz CA").setIsCertificateAuthority(true).ecp256()
                    .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                    .buildSelfSigned();
            LEAF = new CertificateBuilder().subject("CN=mx.example.test").addSanDnsName("mx.example.test").ecp256()
                    .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                    .buildIssuedBy(CA);
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // With JAZZER_FUZZ=1 this fuzzes; keep the run under the build's 60 s JUnit default timeout.
    @FuzzTest(maxDuration = "30s")
    void anyRecordsAnyChain(FuzzedDataProvider data) {
        List<TlsaRecord> rrset = new ArrayList<>();
        int n = data.consumeInt(0, 6);
        for (int i = 0; i < n; i++) {
            rrset.add(new TlsaRecord(data.consumeInt(0, 255), data.consumeInt(0, 255), data.consumeInt(0, 255),
                    data.consumeBytes(data.consumeInt(0, 600))));
        }
        DaneRecords sorted = DaneRecords.of(rrset, DaneDigests.DEFAULT);
        assertNotNull(sorted.state());
        List<Certificate> chain = new ArrayList<>();
        chain.add(LEAF.getCertificate());
        int extra = data.consumeInt(0, 3);
        for (int i = 0; i < extra; i++) {
            if (data.consumeBoolean()) {
                chain.add(CA.getCertificate());
            } else {
                Certificate c = parse(data.consumeBytes(800));
                if (c != null) {
                    chain.add(c);
                }
            }
        }
        PeerCheck.Result r = DaneVerification.forServer(sorted.usable(), DaneDigests.DEFAULT, data.consumeString(40),
                "example.test", data.consumeString(40)).check(chain.toArray(Certificate[]::new));
        assertNotNull(r);
        // Fuzzed data has no way to the CA's or the leaf's digest short of copying a full value,
        // which the fuzzer cannot do: nothing it makes may authenticate the leaf.
        assertFalse(r.matched() && !sorted.usable().isEmpty() && rrset.stream().noneMatch(t -> t.matchingType() == 0),
                "random records authenticated a certificate: " + rrset);
    }

    private static Certificate parse(byte[] der) {
        try {
            return CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (Exception e) {
            return null;
        }
    }
}
