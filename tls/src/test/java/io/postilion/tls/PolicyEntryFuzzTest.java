package io.postilion.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes what a policy table or a policy service can hand the client (TLS-4, TLS-31: a socketmap
 * answer is as hostile as any network input) and what a trust anchor file can hold (TLS-24).
 * Whatever comes, the entry parser returns an entry or throws {@link PolicyEntry.InvalidPolicyException}
 * (the server is skipped, 4.7.5), the anchor reader returns anchors or throws
 * IllegalArgumentException (the policy is invalid), and a fingerprint list is usable or empty.
 * Nothing else may escape. In a normal build this replays the seeds under
 * {@code PolicyEntryFuzzTestInputs}.
 */
class PolicyEntryFuzzTest {

    private static final String[] WORDS = {"none", "may", "encrypt", "fingerprint", "verify", "secure", "dane",
        "dane-only", "halfdane", "match=", "tafile=", "servername=", "protocols=", "ciphers=", "exclude=",
        "connection_reuse=", "enable_rpk=", "policy_type=sts", "policy_domain=", "policy_ttl=", "policy_string=",
        "mx_host_pattern=", "policy_failure=", "{", "}", ",", " ", "|", ":", "=", "yes", "no"};

    // With JAZZER_FUZZ=1 this fuzzes; keep the run under the build's 60 s JUnit default timeout.
    @FuzzTest(maxDuration = "30s")
    void anyPolicy(FuzzedDataProvider data) {
        StringBuilder text = new StringBuilder();
        int parts = data.consumeInt(0, 12);
        for (int i = 0; i < parts; i++) {
            text.append(data.consumeBoolean() ? data.pickValue(WORDS) : data.consumeString(24));
        }
        text.append(data.consumeRemainingAsString());
        String value = text.toString();
        try {
            PolicyEntry e = PolicyEntry.parse(value);
            assertNotNull(e.level());
            if (e.level() == TlsLevel.NONE) {
                assertEquals(List.of(), e.match(), "level none takes no attribute");
            }
        } catch (PolicyEntry.InvalidPolicyException expected) {
            assertNotNull(expected.getMessage());
        }
        try {
            TrustAnchorFiles.parse("(fuzz)", value, new ArrayList<>(), new ArrayList<>());
        } catch (IllegalArgumentException expected) {
            assertNotNull(expected.getMessage());
        }
        FingerprintCheck.of("sha256", List.of(value.split("[|,\\s]")), w -> { });
    }
}
