package io.postilion.engine.scheduler;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import java.time.Duration;
import java.util.Objects;

/**
 * The scheduler's parameters, with Postfix's names and defaults. An immutable value: change one
 * through {@link #toBuilder()}.
 *
 * @param processLimit default_process_limit (100): deliveries in progress at once, all destinations
 *     together (one session each)
 * @param destinationConcurrencyLimit smtp_destination_concurrency_limit (20; 0 = none)
 * @param initialDestinationConcurrency smtp_initial_destination_concurrency (5)
 * @param positiveFeedback smtp_destination_concurrency_positive_feedback (1/concurrency)
 * @param negativeFeedback smtp_destination_concurrency_negative_feedback (1/concurrency)
 * @param failedCohortLimit smtp_destination_concurrency_failed_cohort_limit (1; 0 = never dead)
 * @param recipientLimit smtp_destination_recipient_limit (50; 0 = none)
 * @param deadDestinationDelay how long a dead destination stays dead: minimal_backoff_time (300s)
 * @param activeLimit qmgr_message_active_limit (20000): source requests held at once, waiting or in
 *     delivery; the source is asked for more only below it
 * @param destinationQueueLimit batches one destination may have waiting (20000); a request for a
 *     destination at its limit pauses the source until it has room
 * @param sourcePrefetch how many requests are asked of the source at a time (256)
 * @param limits limits on destinations shared with other nodes ({@link DestinationLimits#local()}:
 *     none); the fleet module supplies its own when {@code redis_url} is set
 * @param destinationRateDelay smtp_destination_rate_delay ($default_destination_rate_delay, 0s = none):
 *     the least time between the starts of two deliveries to one destination; when set, a
 *     destination has at most one delivery in progress whatever the concurrency limit, as in
 *     Postfix ({@link #effectiveConcurrencyLimit()})
 */
public record SchedulerSettings(int processLimit, int destinationConcurrencyLimit, int initialDestinationConcurrency,
        Feedback positiveFeedback, Feedback negativeFeedback, int failedCohortLimit, int recipientLimit,
        Duration deadDestinationDelay, int activeLimit, int destinationQueueLimit, int sourcePrefetch,
        DestinationLimits limits, Duration destinationRateDelay) {

    public SchedulerSettings {
        positive("processLimit", processLimit);
        notNegative("destinationConcurrencyLimit", destinationConcurrencyLimit);
        positive("initialDestinationConcurrency", initialDestinationConcurrency);
        Objects.requireNonNull(positiveFeedback, "positiveFeedback");
        Objects.requireNonNull(negativeFeedback, "negativeFeedback");
        notNegative("failedCohortLimit", failedCohortLimit);
        notNegative("recipientLimit", recipientLimit);
        Objects.requireNonNull(deadDestinationDelay, "deadDestinationDelay");
        if (deadDestinationDelay.isNegative()) {
            throw new IllegalArgumentException("deadDestinationDelay must not be negative");
        }
        positive("activeLimit", activeLimit);
        positive("destinationQueueLimit", destinationQueueLimit);
        positive("sourcePrefetch", sourcePrefetch);
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(destinationRateDelay, "destinationRateDelay");
        if (destinationRateDelay.isNegative()) {
            throw new IllegalArgumentException("destinationRateDelay must not be negative");
        }
    }

    /** Whether deliveries to one destination are paced ({@code *_destination_rate_delay} above 0). */
    public boolean rateDelayed() {
        return !destinationRateDelay.isZero();
    }

    /**
     * The concurrency limit a destination's window really has: 1 while deliveries are paced (qmgr(8)
     * sets the transport's destination concurrency limit to 1 when its rate delay is not 0, so the
     * delay is a gap between deliveries, not between the starts of parallel ones), else the
     * configured limit.
     */
    public int effectiveConcurrencyLimit() {
        return rateDelayed() ? 1 : destinationConcurrencyLimit;
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be at least 1: " + v);
        }
    }

    private static void notNegative(String name, int v) {
        if (v < 0) {
            throw new IllegalArgumentException(name + " must not be negative: " + v);
        }
    }

    /** Postfix's defaults. */
    public static SchedulerSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Reads the parameters from a configuration: the SMTP view reads the smtp_ names, the LMTP view
     * ({@link Configuration#forLmtp()}) their lmtp_ twins.
     *
     * With {@code redis_url} set, the destination limits are the fleet's ({@link DestinationLimitsProvider}).
     *
     * @throws ConfigurationException (78) for redis_url set without the fleet module, for a feedback value that is not a number, a fraction or
     *     a number over concurrency / sqrt_concurrency, or outside 0..1
     */
    public static SchedulerSettings fromConfiguration(Configuration cfg) {
        Duration rateDelay = cfg.time("smtp_destination_rate_delay");
        int concurrencyLimit = cfg.integer("smtp_destination_concurrency_limit");
        return builder()
                .processLimit(cfg.integer("default_process_limit"))
                .destinationConcurrencyLimit(concurrencyLimit)
                .initialDestinationConcurrency(cfg.integer("smtp_initial_destination_concurrency"))
                .positiveFeedback(feedback(cfg, "smtp_destination_concurrency_positive_feedback"))
                .negativeFeedback(feedback(cfg, "smtp_destination_concurrency_negative_feedback"))
                .failedCohortLimit(cfg.integer("smtp_destination_concurrency_failed_cohort_limit"))
                .recipientLimit(cfg.integer("smtp_destination_recipient_limit"))
                .deadDestinationDelay(cfg.time("minimal_backoff_time"))
                .activeLimit(cfg.integer("qmgr_message_active_limit"))
                .destinationQueueLimit(cfg.integer("qmgr_message_active_limit"))
                .destinationRateDelay(rateDelay)
                // The fleet shares the limit the destination really has: one at a time when paced.
                .limits(SharedLimits.from(cfg, rateDelay.isZero() ? concurrencyLimit : 1, rateDelay))
                .build();
    }

    private static Feedback feedback(Configuration cfg, String name) {
        try {
            return Feedback.parse(cfg.string(name));
        } catch (IllegalArgumentException e) {
            throw ConfigurationException.badValue(cfg.effectiveName(name), e.getMessage(), e);
        }
    }

    /** Collects settings; one setter per parameter. */
    public static final class Builder {
        private int processLimit = 100;
        private int destinationConcurrencyLimit = 20;
        private int initialDestinationConcurrency = 5;
        private Feedback positiveFeedback = Feedback.PER_COHORT;
        private Feedback negativeFeedback = Feedback.PER_COHORT;
        private int failedCohortLimit = 1;
        private int recipientLimit = 50;
        private Duration deadDestinationDelay = Duration.ofSeconds(300);
        private int activeLimit = 20000;
        private int destinationQueueLimit = 20000;
        private int sourcePrefetch = 256;
        private DestinationLimits limits = DestinationLimits.local();
        private Duration destinationRateDelay = Duration.ZERO;

        private Builder() {
        }

        private Builder(SchedulerSettings s) {
            processLimit = s.processLimit;
            destinationConcurrencyLimit = s.destinationConcurrencyLimit;
            initialDestinationConcurrency = s.initialDestinationConcurrency;
            positiveFeedback = s.positiveFeedback;
            negativeFeedback = s.negativeFeedback;
            failedCohortLimit = s.failedCohortLimit;
            recipientLimit = s.recipientLimit;
            deadDestinationDelay = s.deadDestinationDelay;
            activeLimit = s.activeLimit;
            destinationQueueLimit = s.destinationQueueLimit;
            sourcePrefetch = s.sourcePrefetch;
            limits = s.limits;
            destinationRateDelay = s.destinationRateDelay;
        }

        public Builder processLimit(int v) {
            processLimit = v;
            return this;
        }

        public Builder destinationConcurrencyLimit(int v) {
            destinationConcurrencyLimit = v;
            return this;
        }

        public Builder initialDestinationConcurrency(int v) {
            initialDestinationConcurrency = v;
            return this;
        }

        public Builder positiveFeedback(Feedback v) {
            positiveFeedback = v;
            return this;
        }

        public Builder negativeFeedback(Feedback v) {
            negativeFeedback = v;
            return this;
        }

        public Builder failedCohortLimit(int v) {
            failedCohortLimit = v;
            return this;
        }

        public Builder recipientLimit(int v) {
            recipientLimit = v;
            return this;
        }

        public Builder deadDestinationDelay(Duration v) {
            deadDestinationDelay = v;
            return this;
        }

        public Builder activeLimit(int v) {
            activeLimit = v;
            return this;
        }

        public Builder destinationQueueLimit(int v) {
            destinationQueueLimit = v;
            return this;
        }

        public Builder sourcePrefetch(int v) {
            sourcePrefetch = v;
            return this;
        }

        public Builder limits(DestinationLimits v) {
            limits = v;
            return this;
        }

        public Builder destinationRateDelay(Duration v) {
            destinationRateDelay = v;
            return this;
        }

        public SchedulerSettings build() {
            return new SchedulerSettings(processLimit, destinationConcurrencyLimit, initialDestinationConcurrency,
                    positiveFeedback, negativeFeedback, failedCohortLimit, recipientLimit, deadDestinationDelay,
                    activeLimit, destinationQueueLimit, sourcePrefetch, limits, destinationRateDelay);
        }
    }
}
