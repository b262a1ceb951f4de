package io.postilion.bench.heap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The heap bench's thresholds on made-up samples, and how it reads jcmd's histogram. */
class HeapVerdictTest {

    private static final long MIB = 1 << 20;

    /** Start, ten samples during a run of {@code n} messages (heap from {@code during}), end. */
    private static List<HeapVerdict.Sample> run(int n, long startMib, java.util.function.IntToLongFunction during, long endMib) {
        List<HeapVerdict.Sample> s = new ArrayList<>();
        s.add(new HeapVerdict.Sample("start", 0, 0, startMib * MIB));
        for (int k = 1; k <= 10; k++) {
            s.add(new HeapVerdict.Sample(k * 10 + "%", n * k / 10, 500, during.applyAsLong(n * k / 10)));
        }
        s.add(new HeapVerdict.Sample("end", n, 0, endMib * MIB));
        return s;
    }

    @Test
    void aHeapThatReturnsToItsStartAndHasNoTrendWhileMailFlowsIsFlat() {
        HeapVerdict v = HeapVerdict.of(run(100_000, 8, a -> (12 + a / 10_000 % 2) * MIB, 9), 100_000);
        assertTrue(v.flat(), v.reasons());
        assertEquals("heap after GC: start 8.0 MiB, peak 13.0 MiB, end 9.0 MiB; grown by 1.0 MiB over 100000 "
                + "deferred-then-delivered messages: flat", v.line());
    }

    @Test
    void keepingMoreThanTenMiBAfterTheLastDeliveryIsGrowth() {
        HeapVerdict v = HeapVerdict.of(run(100_000, 8, a -> 12 * MIB, 19), 100_000);
        assertFalse(v.flat(), v.reasons());
        assertTrue(v.line().endsWith("grown by 11.0 MiB over 100000 deferred-then-delivered messages: GROWN"), v.line());
    }

    @Test
    void theAllowanceIsATenthOfALargeStart() {
        assertTrue(HeapVerdict.of(run(100_000, 200, a -> 205 * MIB, 219), 100_000).flat());
        assertFalse(HeapVerdict.of(run(100_000, 200, a -> 205 * MIB, 221), 100_000).flat());
    }

    @Test
    void aHeapThatClimbsWithTheMessagesDuringTheRunIsGrowthEvenIfItFallsBackAtTheEnd() {
        // 200 bytes per message that went through, for as long as mail flows: 17 MiB over the run.
        HeapVerdict v = HeapVerdict.of(run(100_000, 8, a -> 10 * MIB + 200L * a, 8), 100_000);
        assertFalse(v.flat(), v.reasons());
        assertTrue(v.reasons().contains("RISING"), v.reasons());
    }

    @Test
    void aTrendNeedsThreeSamplesOverHalfTheRunAndIsOtherwiseNotApplied() {
        List<HeapVerdict.Sample> s = List.of(new HeapVerdict.Sample("start", 0, 0, 8 * MIB),
                new HeapVerdict.Sample("90%", 280, 10, 10 * MIB), new HeapVerdict.Sample("100%", 300, 0, 14 * MIB),
                new HeapVerdict.Sample("end", 300, 0, 9 * MIB));
        HeapVerdict v = HeapVerdict.of(s, 300);
        assertTrue(v.flat(), v.reasons());
        assertTrue(v.reasons().contains("not applied"), v.reasons());
    }

    @Test
    void theLiveHeapIsTheHistogramsTotalBytes() throws IOException {
        String histogram = "4242:\n num     #instances         #bytes  class name (module)\n"
                + "-------------------------------------------------------\n"
                + "   1:         34796        2779712  [B (java.base@17.0.15)\n"
                + " 700:             1             16  sun.nio.fs.UnixFileAttributes (java.base@17.0.15)\n"
                + "Total         59344        2831792\n";
        assertEquals(2_831_792, JcmdHeap.total(histogram));
        assertThrows(IOException.class, () -> JcmdHeap.total("4242:\nCould not attach\n"));
    }
}
