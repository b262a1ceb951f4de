package io.postilion.tls;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the protocol-list parser (TLS-26) and the exclusion reader (TLS-27) with any text, in
 * both syntaxes: a policy table's {@code protocols=} and {@code exclude=} come from a file or a
 * policy server. Whatever comes, the answer is a non-empty contiguous range of supported versions
 * or an IllegalArgumentException with a reason; nothing else may escape. In a normal build this
 * replays the seeds under {@code TlsProtocolsFuzzTestInputs}.
 */
class TlsProtocolsFuzzTest {

    private static final String[] PIECES = {">=", "<=", "!", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "SSLv3", "SSLv2",
        "0x", "03", "04", ":", ",", " ", "+", "ALL", "kRSA", "aNULL", "ECDHE", "SHA1"};

    @FuzzTest(maxDuration = "30s")
    void anyList(FuzzedDataProvider data) {
        StringBuilder b = new StringBuilder();
        int n = data.consumeInt(0, 12);
        for (int i = 0; i < n; i++) {
            b.append(data.consumeBoolean() ? data.pickValue(PIECES) : data.consumeString(6));
        }
        String value = b.toString();
        TlsProtocols.Syntax syntax = data.consumeBoolean() ? TlsProtocols.Syntax.MAIN_CF : TlsProtocols.Syntax.POLICY_TABLE;
        try {
            TlsProtocols p = TlsProtocols.parse(value, syntax);
            assertFalse(p.versions().isEmpty());
            int first = TlsProtocols.SUPPORTED.indexOf(p.versions().get(0));
            assertTrue(first >= 0);
            assertTrue(p.versions().equals(TlsProtocols.SUPPORTED.subList(first, first + p.versions().size())), value);
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
        try {
            CipherSuites.exclude(CipherSuites.clientGrade(CipherGrade.MEDIUM, java.util.List.of(
                    "ECDHE-ECDSA-AES128-GCM-SHA256", "AES128-SHA")), java.util.List.of(value));
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage() != null);
        }
    }
}
