package io.postilion.engine.scheduler;

/**
 * How many deliveries one destination may have in progress, learned from how deliveries end
 * (Postfix 2.5's concurrency scheduler, SCHEDULER_README): it starts at the initial concurrency,
 * grows by one after a pseudo-cohort of deliveries without site trouble (positive feedback,
 * applied at the end of its cycle), shrinks by one at the start of a cycle of deliveries with site
 * trouble (negative feedback, so overload is corrected at once), and after the failed cohort limit
 * of whole cohorts failing the destination is dead: no deliveries until it is revived.
 *
 * <p>Not thread-safe: owned by the scheduler's serialized loop.
 */
final class ConcurrencyWindow {

    private final int limit;
    private final int initial;
    private final Feedback positive;
    private final Feedback negative;
    private final int failedCohortLimit;

    private int window;
    private boolean dead;
    private double success;
    private double failure;
    private double failedCohorts;

    /**
     * @param limit the destination concurrency limit, 0 for none
     * @param initial the initial destination concurrency (capped by the limit)
     * @param failedCohortLimit failed pseudo-cohorts that make a destination dead, 0 for never
     */
    ConcurrencyWindow(int limit, int initial, Feedback positive, Feedback negative, int failedCohortLimit) {
        this.limit = limit;
        this.initial = limit > 0 ? Math.min(initial, limit) : initial;
        this.positive = positive;
        this.negative = negative;
        this.failedCohortLimit = failedCohortLimit;
        this.window = this.initial;
    }

    /** The current window; meaningless while dead. */
    int window() {
        return window;
    }

    boolean dead() {
        return dead;
    }

    /** Whether one more delivery may start while {@code busy} are in progress. */
    boolean hasRoom(int busy) {
        return !dead && busy < window;
    }

    /**
     * A delivery ended without site trouble. {@code busy} still counts it. A dead destination
     * comes back at once, with the window it is actually running at.
     */
    void success(int busy) {
        failedCohorts = 0;
        if (dead) {
            revive(busy);
            return;
        }
        // Grow only while the window is near what is really in use, or negative feedback would
        // have a long way down before it bites.
        if ((limit == 0 || window < limit) && window < busy + initial) {
            double step = positive.at(window);
            success += step;
            while (success + step / 2 >= 1) {
                window++;
                success -= 1;
                failure = 0;
            }
            if (limit > 0 && window > limit) {
                window = limit;
            }
        }
    }

    /**
     * A delivery ended with site trouble (the agent asked to throttle, REPLY-12).
     *
     * @return whether this made the destination dead
     */
    boolean failure() {
        if (dead) {
            return false;
        }
        failedCohorts += 1.0 / window;
        if (failedCohortLimit > 0 && failedCohorts >= failedCohortLimit) {
            dead = true;
            return true;
        }
        double step = negative.at(window);
        failure -= step;
        while (failure - step / 2 < 0) {
            window--;
            success = 0;
            failure += 1;
        }
        if (window < 1) {
            window = 1;
        }
        return false;
    }

    /** Gives a dead destination another chance: as many as are still running, else the initial window. */
    void revive(int busy) {
        dead = false;
        failedCohorts = 0;
        success = 0;
        failure = 0;
        window = busy > 0 ? busy : initial;
    }

    @Override
    public String toString() {
        return dead ? "dead" : "window " + window + " success " + success + " failure " + failure
                + " failed cohorts " + failedCohorts;
    }
}
