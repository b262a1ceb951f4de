package io.postilion.engine.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the "TLS-Required: no" header scan (TLS-20), which reads whatever a client sent as a
 * message: any bytes give an answer, never an exception, and a body cannot turn the flag on (a
 * message whose header section is a fixed one without the field answers false whatever follows).
 * In a normal build this replays the seeds under {@code TlsRequiredHeaderFuzzTestInputs}.
 */
class TlsRequiredHeaderFuzzTest {

    private static final String[] PIECES = {"TLS-Required:", "tls-required:", " no", "no", "\r\n", "\n", "\r", " ", "\t",
        ":", "X: y\r\n", "\r\n\r\n"};

    @FuzzTest(maxDuration = "30s")
    void anyMessage(FuzzedDataProvider data) {
        StringBuilder b = new StringBuilder();
        int n = data.consumeInt(0, 16);
        for (int i = 0; i < n; i++) {
            b.append(data.consumeBoolean() ? data.pickValue(PIECES) : data.consumeString(8));
        }
        byte[] any = b.toString().getBytes(StandardCharsets.ISO_8859_1);
        boolean found = TlsRequest.tlsRequiredNo(any);
        if (found) {
            assertTrue(b.toString().toLowerCase(java.util.Locale.ROOT).contains("tls-required:"), b.toString());
        }
        byte[] bodyOnly = ("Subject: s\r\n\r\n" + b).getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(false, TlsRequest.tlsRequiredNo(bodyOnly), "a body never counts");
    }
}
