package io.postilion.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The arithmetic of bytes allocated per message, and one reading of this JVM's own beans. */
class AllocationMeterTest {

    private static volatile byte[] kept;

    @Test
    void stopTheWorldCollectionsCountWhatTheyEmptiedConcurrentCyclesDoNot() {
        assertEquals(900, AllocationMeter.emptiedBy("end of minor GC", 1000, 100));
        assertEquals(1000, AllocationMeter.emptiedBy("end of major GC", 1000, 0));
        assertEquals(0, AllocationMeter.emptiedBy("end of GC pause", 1000, 0));
        assertEquals(0, AllocationMeter.emptiedBy("end of minor GC", 100, 1000)); // never negative
    }

    @Test
    void allocatedIsWhatCollectionsEmptiedPlusEdenGrowth() {
        AllocationMeter.Reading from = new AllocationMeter.Reading(10_000, 3_000, -1);
        AllocationMeter.Reading to = new AllocationMeter.Reading(50_000, 1_000, -1);
        // 40,000 emptied by collections during the run, eden 2,000 lower at the end than at the start
        assertEquals(38_000, AllocationMeter.allocatedBetween(from, to));
        assertEquals(19, RunResult.perMessage(38_000, 2_000));
        assertEquals(-1, RunResult.perMessage(-1, 2_000));
        assertEquals(-1, RunResult.perMessage(38_000, 0));
    }

    @Test
    void aRunOfOurOwnAllocationIsSeenByBothMeasures() throws InterruptedException {
        AllocationMeter meter = AllocationMeter.start();
        if (meter == null) {
            return; // a collector without eden: nothing to read
        }
        try {
            AllocationMeter.Reading a = meter.read();
            long sink = 0;
            for (int i = 0; i < 2_000; i++) {
                kept = new byte[64 * 1024]; // 128 MiB in all: several young collections; kept, not optimised away
                sink += kept.length;
            }
            AllocationMeter.Reading b = meter.read();
            long eden = AllocationMeter.allocatedBetween(a, b);
            assertTrue(sink == 2_000L * 64 * 1024);
            assertTrue(eden >= 100L * 1024 * 1024, "eden measure " + eden);
            if (a.threadsAllocated() >= 0) {
                assertTrue(b.threadsAllocated() - a.threadsAllocated() >= 100L * 1024 * 1024);
            }
        } finally {
            meter.close();
        }
    }
}
