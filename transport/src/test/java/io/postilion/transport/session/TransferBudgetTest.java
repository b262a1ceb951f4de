package io.postilion.transport.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TransferBudgetTest {

    private static final long S = 1_000_000_000L;

    @Test
    void withoutTheDeadlineAnyProgressRestoresTheFullLimit_TIME2() {
        TransferBudget b = new TransferBudget(180 * S, false, 500, 0);
        b.progress(1, 170 * S);
        assertEquals(180 * S, b.remaining(170 * S));
        assertTrue(b.remaining(351 * S) < 0);
    }

    @Test
    void aServerReadingAt1000BytesPerSecondNeverRunsOut_TIME4() {
        TransferBudget b = new TransferBudget(180 * S, true, 500, 0);
        long t = 0;
        for (int i = 0; i < 1000; i++) { // 1 MB at 1000 B/s
            t += S;
            b.progress(1000, t);
            assertTrue(b.remaining(t) > 0);
        }
        assertEquals(180 * S, b.remaining(t), "credit is capped at the limit");
    }

    @Test
    void aServerReadingAt100BytesPerSecondRunsOutAfterTheBudget_TIME4() {
        TransferBudget b = new TransferBudget(180 * S, true, 500, 0);
        long t = 0;
        int seconds = 0;
        while (b.remaining(t) > 0 && seconds < 10_000) {
            t += S;
            seconds++;
            b.progress(100, t);
        }
        // each second costs 1 s and earns 0.2 s: 180 / 0.8 = 225 s
        assertEquals(225, seconds);
    }

    @Test
    void noRateCreditWhenTheMinimumRateIsZero_TIME4() {
        TransferBudget b = new TransferBudget(10 * S, true, 0, 0);
        b.progress(1_000_000, 4 * S);
        assertEquals(6 * S, b.remaining(4 * S));
    }
}
