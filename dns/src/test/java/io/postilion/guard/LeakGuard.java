package io.postilion.guard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The collecting end of {@link FailingLeakDetector}: leak reports wait here until
 * {@link LeakGuardExtension} turns them into a test failure.
 *
 * <p>Netty notices a leak only when a garbage-collected buffer's phantom reference is polled, which
 * happens while another buffer is being allocated. {@link #sweep} forces both.
 */
public final class LeakGuard {

    private static final ConcurrentLinkedQueue<String> LEAKS = new ConcurrentLinkedQueue<>();

    private LeakGuard() {
    }

    static void record(String report) {
        LEAKS.add(report);
    }

    /** Takes the leak reports recorded so far, without provoking new ones. */
    public static List<String> drain() {
        List<String> out = new ArrayList<>();
        for (String s; (s = LEAKS.poll()) != null; ) {
            out.add(s);
        }
        return out;
    }

    /**
     * Runs the garbage collector and lets Netty's detectors poll their queues, a few rounds, then
     * takes every leak report.
     *
     * @param rounds how many GC-and-allocate rounds; more rounds catch leaks whose buffers became
     *     unreachable only just now
     */
    public static List<String> sweep(int rounds) {
        for (int i = 0; i < rounds; i++) {
            System.gc();
            LockSupport.parkNanos(10_000_000L);
            touch();
        }
        return drain();
    }

    // With the detector at PARANOID every allocation is tracked, and tracking polls the queue.
    private static void touch() {
        ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        pooled.release();
        ByteBuf heap = PooledByteBufAllocator.DEFAULT.heapBuffer(16);
        heap.release();
        ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.directBuffer(16);
        unpooled.release();
    }
}
