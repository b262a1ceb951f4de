package io.postilion.bench.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The arithmetic of the cold-start curve, on made-up completion times (no clock is read). */
class StartCurveTest {

    private static final long MS = 1_000_000L;

    /** Completion stamps for blocks of {@code block} messages, block b taking {@code millis[b]} ms. */
    private static long[] stamps(long start, int block, long... millis) {
        long[] s = new long[block * millis.length];
        long t = start;
        for (int b = 0; b < millis.length; b++) {
            for (int i = 0; i < block; i++) {
                t += millis[b] * MS / block;
                s[b * block + i] = t;
            }
        }
        return s;
    }

    @Test
    void ratesPerBlockAreMeasuredFromTheRunStartAndThenFromTheEndOfTheBlockBefore() {
        long start = 5_000 * MS;
        StartCurve c = StartCurve.of(start, stamps(start, 100, 1000, 500, 250), 300, 100);
        assertArrayEquals(new double[] {100, 200, 400}, c.rates(), 1e-9);
    }

    @Test
    void aLastPartialBlockIsLeftOut() {
        long[] s = stamps(0, 10, 100, 100, 100);
        StartCurve c = StartCurve.of(0, s, 25, 10);
        assertEquals(2, c.rates().length);
    }

    @Test
    void theWarmRateIsTheMedianOfTheLastTenBlocksAndEightyPercentIsFoundInOrder() {
        // 30 blocks of 1,000: a slow start (10, 20, ... ms per message), then 1 ms per message,
        // with one outlier among the last ten that the median ignores
        long[] millis = new long[30];
        for (int b = 0; b < 30; b++) {
            millis[b] = b < 5 ? 10_000L / (b + 1) : 1_000L;
        }
        millis[27] = 5_000L;
        millis[3] = 1_240L; // block 4: 806 msgs/s, 80.6% of the warm 1,000
        StartCurve c = StartCurve.of(0, stamps(0, 1000, millis), 30_000, 1000);
        assertEquals(1000.0, c.warmRate(), 1e-6);
        assertEquals(4, c.reachedBlock());
        assertTrue(c.line().contains("reached_80pct_at_block=4 (4000 messages)"), c.line());
        assertTrue(c.line().contains("median of the last 10 of 30 blocks"), c.line());
    }

    @Test
    void aShortRunTakesTheMedianOfItsLastHalf() {
        StartCurve c = StartCurve.of(0, stamps(0, 10, 400, 300, 100, 100), 40, 10);
        assertEquals(100.0, c.warmRate(), 1e-9); // the last 2 of 4 blocks: 100 and 100 msgs/s
        assertEquals(3, c.reachedBlock());
    }

    @Test
    void aRunWithoutAFullBlockHasNoWarmRateAndSaysSo() {
        StartCurve c = StartCurve.of(0, new long[5], 5, 10);
        assertEquals(0, c.reachedBlock());
        assertTrue(c.line().endsWith("reached_80pct_at_block=none"), c.line());
    }
}
