package io.postilion.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** main.cf names for the scheduler, with Postfix's defaults and transport-specific overrides. */
class SchedulerSettingsTest {

    @Test
    void postfixDefaults_QMGR() {
        SchedulerSettings s = SchedulerSettings.fromConfiguration(Configuration.defaults());
        assertEquals(100, s.processLimit());
        assertEquals(20, s.destinationConcurrencyLimit());
        assertEquals(5, s.initialDestinationConcurrency());
        assertEquals(Feedback.PER_COHORT, s.positiveFeedback());
        assertEquals(Feedback.PER_COHORT, s.negativeFeedback());
        assertEquals(1, s.failedCohortLimit());
        assertEquals(50, s.recipientLimit());
        assertEquals(Duration.ofSeconds(300), s.deadDestinationDelay());
        assertEquals(20000, s.activeLimit());
        assertEquals(SchedulerSettings.defaults(), s);
    }

    @Test
    void transportSpecificNamesOverrideTheDefaults_QMGR() {
        Configuration cfg = ConfigurationLoader.fromText(String.join("\n",
                "default_destination_concurrency_limit = 10",
                "smtp_destination_concurrency_limit = 3",
                "initial_destination_concurrency = 2",
                "default_destination_recipient_limit = 7",
                "lmtp_destination_recipient_limit = 1",
                "smtp_destination_concurrency_positive_feedback = 1/4",
                "default_destination_concurrency_negative_feedback = 1/sqrt_concurrency",
                "default_process_limit = 9",
                "minimal_backoff_time = 10s"), "main.cf", List.of());
        SchedulerSettings smtp = SchedulerSettings.fromConfiguration(cfg);
        assertEquals(3, smtp.destinationConcurrencyLimit());
        assertEquals(2, smtp.initialDestinationConcurrency());
        assertEquals(7, smtp.recipientLimit());
        assertEquals(new Feedback(0.25, Feedback.Scale.FIXED), smtp.positiveFeedback());
        assertEquals(new Feedback(1, Feedback.Scale.SQRT_WINDOW), smtp.negativeFeedback());
        assertEquals(9, smtp.processLimit());
        assertEquals(Duration.ofSeconds(10), smtp.deadDestinationDelay());
        SchedulerSettings lmtp = SchedulerSettings.fromConfiguration(cfg.forLmtp());
        assertEquals(10, lmtp.destinationConcurrencyLimit());
        assertEquals(1, lmtp.recipientLimit());
        assertEquals(Feedback.PER_COHORT, lmtp.positiveFeedback());
    }

    @Test
    void aMalformedFeedbackIsAConfigurationError_QMGR() {
        Configuration cfg = ConfigurationLoader.fromText("smtp_destination_concurrency_negative_feedback = 3/concurrency",
                "main.cf", List.of());
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> SchedulerSettings.fromConfiguration(cfg));
        assertEquals(78, e.exitStatus());
    }
}
