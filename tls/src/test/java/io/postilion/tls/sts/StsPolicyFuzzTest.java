package io.postilion.tls.sts;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Fuzzes what an MTA-STS publisher (or whoever answers for it) can serve: any policy body and any
 * TXT records. Either they parse into a value that keeps RFC 8461's limits, or they are refused
 * with {@link InvalidStsPolicyException}; nothing else may escape (TLS-32). In a normal build this
 * replays the seeds under {@code StsPolicyFuzzTestInputs}.
 */
class StsPolicyFuzzTest {

    // With JAZZER_FUZZ=1 this fuzzes; keep the run under the build's 60 s JUnit default timeout.
    @FuzzTest(maxDuration = "30s")
    void anyPolicyOrRecord(FuzzedDataProvider data) {
        boolean record = data.consumeBoolean();
        if (record) {
            List<String> records = List.of(data.consumeString(200), "v=STSv1;" + data.consumeString(200));
            try {
                StsRecord r = StsRecord.select(records).orElse(null);
                assertTrue(r == null || r.id().matches("[A-Za-z0-9]{1,32}"), String.valueOf(r));
            } catch (InvalidStsPolicyException expected) {
                // no usable record: no policy
            }
            return;
        }
        byte[] body = data.consumeBoolean()
                // nearly a policy: known fields with fuzzed values
                ? ("version: STSv1\nmode: " + data.pickValue(new String[] {"enforce", "testing", "none"}) + "\n"
                        + data.consumeString(300)).getBytes(StandardCharsets.ISO_8859_1)
                : data.consumeRemainingAsBytes();
        try {
            StsPolicy p = StsPolicyParser.parse(body);
            assertTrue(p.maxAgeSeconds() >= 0 && p.maxAgeSeconds() <= StsPolicy.MAX_AGE_LIMIT);
            assertFalse(p.mode() != StsMode.NONE && p.mx().isEmpty(), "enforce or testing without mx");
            for (MxPattern m : p.mx()) {
                assertFalse(m.pattern().isEmpty());
                m.matches(data.consumeString(40));
            }
        } catch (InvalidStsPolicyException expected) {
            // refused: no policy
        }
    }
}
