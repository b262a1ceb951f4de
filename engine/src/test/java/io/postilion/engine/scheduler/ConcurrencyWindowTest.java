package io.postilion.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The window arithmetic of Postfix's concurrency scheduler (SCHEDULER_README, qmgr_queue.c;
 * CLARIFICATIONS 16): slow start, feedback hysteresis, dead pseudo-cohorts.
 */
class ConcurrencyWindowTest {

    private static ConcurrencyWindow window(int limit, int initial, int cohortLimit) {
        return new ConcurrencyWindow(limit, initial, Feedback.PER_COHORT, Feedback.PER_COHORT, cohortLimit);
    }

    @Test
    void startsAtTheInitialConcurrencyButNeverAboveTheLimit_QMGR() {
        assertEquals(5, window(20, 5, 1).window());
        assertEquals(3, window(3, 5, 1).window());
        assertEquals(5, window(0, 5, 1).window()); // 0: no limit
    }

    @Test
    void growsByOneAfterAWholePseudoCohortOfGoodDeliveries_QMGR() {
        ConcurrencyWindow w = window(20, 5, 1);
        for (int i = 0; i < 4; i++) {
            w.success(5);
            assertEquals(5, w.window(), "1/5 per delivery: no step before the cohort is complete");
        }
        w.success(5);
        assertEquals(6, w.window());
        for (int i = 0; i < 6; i++) {
            w.success(6);
        }
        assertEquals(7, w.window());
    }

    @Test
    void growsOnlyWhileTheWindowIsNearTheConcurrencyInUse_QMGR() {
        ConcurrencyWindow w = window(20, 5, 1);
        for (int i = 0; i < 50; i++) {
            w.success(0); // window 5 is not below busy 0 + initial 5
        }
        assertEquals(5, w.window());
    }

    @Test
    void neverGrowsAboveTheDestinationConcurrencyLimit_QMGR() {
        ConcurrencyWindow w = window(8, 5, 1);
        for (int i = 0; i < 500; i++) {
            w.success(w.window());
        }
        assertEquals(8, w.window());
    }

    @Test
    void shrinksAtTheStartOfANegativeFeedbackCycleNotAtItsEnd_QMGR() {
        ConcurrencyWindow w = window(20, 5, 0);
        w.failure();
        assertEquals(4, w.window(), "the first failure takes effect at once");
        w.failure();
        w.failure();
        assertEquals(4, w.window(), "the rest of the cycle (1/4 each) does not");
        w.failure();
        assertEquals(3, w.window());
        for (int i = 0; i < 50; i++) {
            w.failure();
        }
        assertEquals(1, w.window(), "never below 1 while alive");
        assertFalse(w.dead(), "cohort limit 0: never dead");
    }

    @Test
    void isDeadAfterTheFailedCohortLimitOfWholeCohortsFailing_REPLY12() {
        ConcurrencyWindow w = window(20, 5, 1);
        // 1/5 + 1/4 + 1/4 + 1/4 = 0.95 of a cohort (the window shrinks to 4 after the first)
        for (int i = 0; i < 4; i++) {
            assertFalse(w.failure());
        }
        assertFalse(w.dead());
        assertTrue(w.failure(), "the fifth failure completes the cohort (+1/3)");
        assertTrue(w.dead());
        assertFalse(w.hasRoom(0));
    }

    @Test
    void aGoodDeliveryClearsTheFailedCohortCount_REPLY12() {
        ConcurrencyWindow w = window(20, 5, 1);
        for (int i = 0; i < 4; i++) {
            w.failure();
        }
        w.success(4);
        w.failure();
        w.failure();
        assertFalse(w.dead(), "without the good delivery the fifth failure would have been fatal");
        assertTrue(w.failure(), "a whole cohort of three at window 3");
    }

    @Test
    void aRevivedDestinationRunsAtWhatIsInProgressOrElseTheInitialWindow_QMGR() {
        ConcurrencyWindow w = window(20, 5, 1);
        while (!w.dead()) {
            w.failure();
        }
        w.revive(0);
        assertEquals(5, w.window());
        while (!w.dead()) {
            w.failure();
        }
        w.success(2); // a delivery still in progress when it died ends well
        assertFalse(w.dead());
        assertEquals(2, w.window());
    }

    @Test
    void feedbackIsReadAsPostfixWritesIt_QMGR() {
        assertEquals(0.2, Feedback.parse("1/concurrency").at(5), 1e-9);
        assertEquals(0.5, Feedback.parse("1/sqrt_concurrency").at(4), 1e-9);
        assertEquals(0.25, Feedback.parse("1/4").at(9), 1e-9);
        assertEquals(0.5, Feedback.parse(" 0.5 ").at(9), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Feedback.parse("2"));
        assertThrows(IllegalArgumentException.class, () -> Feedback.parse("1/often"));
        assertThrows(IllegalArgumentException.class, () -> Feedback.parse("x"));
    }

    @Test
    void fixedFeedbackOfOneIsTheOldPlusMinusOneScheduler_QMGR() {
        ConcurrencyWindow w = new ConcurrencyWindow(20, 5, Feedback.parse("1"), Feedback.parse("1"), 0);
        w.success(5);
        assertEquals(6, w.window());
        w.failure();
        // As qmgr_queue.c computes it: the first negative step after a positive one starts from a
        // reset failure count and, with feedback 1, overshoots by one.
        assertEquals(4, w.window());
        w.failure();
        assertEquals(3, w.window());
    }
}
