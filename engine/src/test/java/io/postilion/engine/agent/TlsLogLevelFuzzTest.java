package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.postilion.engine.config.ConfigurationException;

/**
 * Fuzzes the smtp_tls_loglevel reader (TLS-30): main.cf text is a file, and files are hostile. For
 * any value: a level 0-4, or a ConfigurationException with exit 78 that names the parameter;
 * nothing else escapes. In a normal build this replays the seeds under
 * {@code TlsLogLevelFuzzTestInputs/anyValue}.
 */
class TlsLogLevelFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void anyValue(FuzzedDataProvider data) {
        String value = data.consumeRemainingAsString();
        try {
            int level = TlsLogLevel.parse("smtp_tls_loglevel", value);
            assertTrue(level >= 0 && level <= 4, "level out of range: " + level);
        } catch (ConfigurationException e) {
            assertTrue(e.exitStatus() == 78 && e.getMessage().contains("smtp_tls_loglevel"), e.getMessage());
        }
    }
}
