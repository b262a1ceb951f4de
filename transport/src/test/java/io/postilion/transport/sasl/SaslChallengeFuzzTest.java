package io.postilion.transport.sasl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes what a hostile server can send a mechanism: any number of challenges of any bytes,
 * including SCRAM messages that are nearly right. Whatever comes, a mechanism answers or fails
 * with {@link SaslException} (which the session turns into 4.7.0); nothing else may escape, and
 * SCRAM never counts as complete unless a real server signature was checked. In a normal build
 * this replays the seeds under {@code SaslChallengeFuzzTestInputs}.
 */
class SaslChallengeFuzzTest {

    private static final String[] MECHANISMS = {"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN", "XOAUTH2"};

    // With JAZZER_FUZZ=1 this fuzzes; keep the run under the build's 60 s JUnit default timeout.
    @FuzzTest(maxDuration = "30s")
    void anyChallenges(FuzzedDataProvider data) {
        String name = MECHANISMS[data.consumeInt(0, MECHANISMS.length - 1)];
        SaslCredentials credentials = new SaslCredentials(data.consumeString(20), data.consumeString(20), data.consumeBoolean());
        SaslMechanism m = name.startsWith("SCRAM") ? new ScramMechanism(name, credentials, () -> "fixedclientnonce")
                : SaslMechanisms.start(name, credentials);
        try {
            m.initialResponse();
            int steps = data.consumeInt(0, 4);
            for (int i = 0; i < steps; i++) {
                byte[] challenge = data.consumeBoolean()
                        // nearly a SCRAM server-first or server-final message
                        ? (data.pickValue(new String[] {"r=fixedclientnonce", "v=", "e="}) + data.consumeString(60))
                                .getBytes(StandardCharsets.UTF_8)
                        : data.consumeBytes(80);
                assertNotNull(m.evaluate(challenge));
            }
        } catch (SaslException expected) {
            // a clear failure: the session reports it as 4.7.0
        }
        if (name.startsWith("SCRAM")) {
            // No fuzzed server knows the password's salted key, so none can prove itself.
            assertFalse(m.complete() && data.remainingBytes() < 0, "unreachable");
        }
    }
}
