package io.postilion.bench.heap;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether the heap bench's samples show a heap that does not grow with the mail that went through
 * it. Two rules, both with the same allowance A = max(10 MiB, 10% of the start sample):
 *
 * <ol>
 * <li><b>End</b>: once every message is delivered and removed, the live heap is within A of what
 * it was before the first message. Whatever the relay kept per message (an id, a map entry, a
 * timer: 100 bytes or more each) would show here; A is 105 bytes per message over the documented
 * 100,000 messages, 1 KiB per message over CI's 10,000. The 10 MiB floor is room for what a relay
 * sets up once, lazily, on its first mail (its connection cache, pooled buffers, caches filled on
 * first use): on the reference machine the end sample sat 1.2 to 2.9 MiB above the start whether
 * 300 or 100,000 messages went through.
 * <li><b>No trend while mail flows</b>: the least-squares line through the samples taken during
 * the run (each tenth of the messages acknowledged) rises by at most A from the first tenth to the
 * last. The queue at those moments is whatever backlog the run has (deferred messages waiting one
 * or two seconds, others being tried or due), so these samples may sit above the start by a
 * working set; what they may not do is climb with the number of messages that went through, as
 * a heap growing linearly with N would, and as one does whenever the queue itself keeps growing
 * (the relay holds about 2 KiB per message being tried or due, about 700 bytes per deferred one;
 * docs/benchmarks.md). A line rather than the highest sample, because one sample can catch a
 * burst of backlog (several MiB) that a line through ten samples spread over the run barely
 * follows (flat runs here gave trends of -1.0 to +2.9 MiB). It needs at least three samples
 * spread over half the run; with fewer (a short run whose tenths pass while a sample is being
 * taken) the rule is reported as not applied.
 * </ol>
 *
 * The peak and the queue at the peak are reported, not judged: with the short retry times the
 * bench uses, the backlog is what the relay's pace makes it, not a fixed size.
 */
record HeapVerdict(long start, long peak, long end, int messages, boolean flat, String reasons) {

    /** One heap sample: its label, the messages acknowledged by then, the messages queued then, the live heap. */
    record Sample(String label, int acknowledged, long queued, long heapBytes) {
    }

    static final long MIB = 1 << 20;

    /** {@code samples}: the start sample first, then those taken while mail flowed, then the end sample. */
    static HeapVerdict of(List<Sample> samples, int messages) {
        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        long start = first.heapBytes();
        long end = last.heapBytes();
        Sample top = samples.stream().max(java.util.Comparator.comparingLong(Sample::heapBytes)).orElse(first);
        long allowance = Math.max(10 * MIB, start / 10);
        List<String> reasons = new ArrayList<>();

        boolean endOk = end - start <= allowance;
        reasons.add(String.format(Locale.ROOT, "end - start %+.1f MiB (allowed %.1f): %s", mib(end - start), mib(allowance),
                endOk ? "ok" : "TOO MUCH"));

        List<Sample> during = samples.size() > 2 ? samples.subList(1, samples.size() - 1) : List.of();
        boolean trendOk = true;
        int lo = during.stream().mapToInt(Sample::acknowledged).min().orElse(0);
        int hi = during.stream().mapToInt(Sample::acknowledged).max().orElse(0);
        if (during.size() >= 3 && hi - lo >= messages / 2) {
            double rise = slope(during) * (hi - lo);
            trendOk = rise <= allowance;
            reasons.add(String.format(Locale.ROOT, "trend of the %d samples during the run %+.1f MiB from %d to %d "
                    + "acknowledged (allowed %.1f): %s", during.size(), mib((long) rise), lo, hi, mib(allowance),
                    trendOk ? "ok" : "RISING"));
        } else {
            reasons.add("trend during the run: not applied (" + during.size() + " sample(s) over " + lo + ".." + hi
                    + " acknowledged; it needs 3 over half the run)");
        }
        reasons.add(String.format(Locale.ROOT, "peak %.1f MiB at sample %s with %d message(s) queued%s", mib(top.heapBytes()),
                top.label(), top.queued(), top.queued() == 0 ? "" : String.format(Locale.ROOT, " (%+.0f bytes per queued "
                        + "message over the start)", (top.heapBytes() - start) / (double) top.queued())));
        return new HeapVerdict(start, top.heapBytes(), end, messages, endOk && trendOk, String.join("; ", reasons));
    }

    /** Least-squares slope of heap bytes over messages acknowledged. */
    static double slope(List<Sample> s) {
        double mx = s.stream().mapToDouble(Sample::acknowledged).average().orElse(0);
        double my = s.stream().mapToDouble(Sample::heapBytes).average().orElse(0);
        double num = 0;
        double den = 0;
        for (Sample x : s) {
            num += (x.acknowledged() - mx) * (x.heapBytes() - my);
            den += (x.acknowledged() - mx) * (x.acknowledged() - mx);
        }
        return den == 0 ? 0 : num / den;
    }

    private static double mib(long bytes) {
        return bytes / (double) MIB;
    }

    /** The verdict line the bench ends with. */
    String line() {
        return String.format(Locale.ROOT, "heap after GC: start %.1f MiB, peak %.1f MiB, end %.1f MiB; grown by %.1f MiB over %d "
                + "deferred-then-delivered messages: %s", mib(start), mib(peak), mib(end), mib(end - start), messages,
                flat ? "flat" : "GROWN");
    }
}
