package io.postilion.bench.load;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Map;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Bytes the harness JVM allocated during a run, from the GC MX beans: every stop-the-world
 * collection (minor or major) empties eden, so what was allocated is the sum over collections of
 * eden's usage before minus after, plus the growth of eden's current usage from the start of the
 * run to its end. Objects allocated outside eden (G1's humongous objects) are not counted; direct
 * buffers are off-heap and not counted either. As a cross-check it also sums
 * ThreadMXBean#getThreadAllocatedBytes over the live threads (which misses threads that ended
 * during the run). Notifications arrive on a JMX thread, so a reading first waits (bounded) until
 * every collection the beans count has been notified.
 */
final class AllocationMeter implements NotificationListener {

    private final MemoryPoolMXBean eden;
    private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    private final com.sun.management.ThreadMXBean threads;
    private final long countedBefore;
    private long emptied;
    private long notified;

    private AllocationMeter(MemoryPoolMXBean eden) {
        this.eden = eden;
        java.lang.management.ThreadMXBean t = ManagementFactory.getThreadMXBean();
        this.threads = t instanceof com.sun.management.ThreadMXBean s && s.isThreadAllocatedMemorySupported() ? s : null;
        for (GarbageCollectorMXBean c : collectors) {
            if (c instanceof NotificationEmitter e) {
                e.addNotificationListener(this, null, null);
            }
        }
        // after registering: a collection in between is notified without being counted, never the reverse
        this.countedBefore = collections();
    }

    /** A meter on this JVM's eden pool; null when the collector has none (e.g. Epsilon). */
    static AllocationMeter start() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getName().contains("Eden")) {
                return new AllocationMeter(p);
            }
        }
        return null;
    }

    /** Stops listening. */
    void close() {
        for (GarbageCollectorMXBean c : collectors) {
            if (c instanceof NotificationEmitter e) {
                try {
                    e.removeNotificationListener(this);
                } catch (javax.management.ListenerNotFoundException gone) {
                    // nothing to remove
                }
            }
        }
    }

    @Override
    public void handleNotification(Notification n, Object handback) {
        if (!n.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        long before = used(info.getGcInfo().getMemoryUsageBeforeGc());
        long after = used(info.getGcInfo().getMemoryUsageAfterGc());
        synchronized (this) {
            emptied += emptiedBy(info.getGcAction(), before, after);
            notified++;
            notifyAll(); // a reading may be waiting for this one
        }
    }

    private long used(Map<String, MemoryUsage> pools) {
        MemoryUsage u = pools.get(eden.getName());
        return u == null ? 0 : u.getUsed();
    }

    /**
     * What one collection took out of eden: before minus after for a stop-the-world collection
     * ("end of minor GC", "end of major GC"); nothing for a concurrent cycle's notification, whose
     * before and after are snapshots around collections notified on their own.
     */
    static long emptiedBy(String action, long edenBefore, long edenAfter) {
        if (!action.startsWith("end of minor GC") && !action.startsWith("end of major GC")) {
            return 0;
        }
        return Math.max(0, edenBefore - edenAfter);
    }

    /** Bytes allocated between two readings: what collections emptied plus eden's own growth. */
    static long allocatedBetween(Reading from, Reading to) {
        return to.emptied() - from.emptied() + to.edenUsed() - from.edenUsed();
    }

    /** The meter's state at one moment, and the live threads' allocation counters summed. */
    record Reading(long emptied, long edenUsed, long threadsAllocated) {
    }

    /** A reading, once every counted collection has been notified (waits at most a second). */
    Reading read() throws InterruptedException {
        long deadline = System.nanoTime() + 1_000_000_000L;
        synchronized (this) {
            while (true) {
                long counted = collections() - countedBefore;
                long left = deadline - System.nanoTime();
                if (notified >= counted || left <= 0) {
                    return new Reading(emptied, eden.getUsage().getUsed(), threadsAllocated());
                }
                wait(Math.max(1, Math.min(left / 1_000_000L, 20))); // woken by the notification, or looks again
            }
        }
    }

    private long collections() {
        return collectors.stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).filter(c -> c > 0).sum();
    }

    private long threadsAllocated() {
        if (threads == null) {
            return -1;
        }
        long sum = 0;
        for (long a : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, a);
        }
        return sum;
    }
}
