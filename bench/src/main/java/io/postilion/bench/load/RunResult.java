package io.postilion.bench.load;

/**
 * The figures of one timed run, ours or smtp-source's.
 *
 * @param tool "postilion" or "smtp-source"
 * @param messages messages sent
 * @param failed messages not accepted (any recipient not sent)
 * @param seconds wall-clock time of the run
 * @param cpuSeconds CPU time the sending process used during the run (user + system); NaN if unknown
 * @param heapPeakBytes the sender's peak heap during the run, -1 if unknown (smtp-source is C)
 * @param latencies per-delivery latencies in milliseconds (p50, p95, p99), null if not measured
 * @param allocatedBytes bytes the sender allocated on the heap during the run (GC MX beans), -1 if unknown
 * @param threadAllocatedBytes the same from the live threads' allocation counters (a cross-check), -1 if unknown
 * @param curve the rate per block of messages ({@code --curve}), null if not recorded
 */
record RunResult(String tool, long messages, long failed, double seconds, double cpuSeconds, long heapPeakBytes,
        double[] latencies, long allocatedBytes, long threadAllocatedBytes, StartCurve curve) {

    /** A run whose allocation and curve were not measured (smtp-source is C). */
    RunResult(String tool, long messages, long failed, double seconds, double cpuSeconds, long heapPeakBytes,
            double[] latencies) {
        this(tool, messages, failed, seconds, cpuSeconds, heapPeakBytes, latencies, -1, -1, null);
    }

    /** Bytes allocated per delivered message, -1 if unknown or nothing was delivered. */
    long allocatedPerMessage() {
        return perMessage(allocatedBytes, messages - failed);
    }

    static long perMessage(long bytes, long delivered) {
        return bytes < 0 || delivered <= 0 ? -1 : Math.round((double) bytes / delivered);
    }

    double messagesPerSecond() {
        return seconds > 0 ? messages / seconds : 0;
    }

    String line() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(java.util.Locale.ROOT, "%-11s messages=%d failed=%d seconds=%.3f msgs_per_s=%.1f",
                tool, messages, failed, seconds, messagesPerSecond()));
        sb.append(Double.isNaN(cpuSeconds) ? " cpu_s=n/a" : String.format(java.util.Locale.ROOT, " cpu_s=%.2f", cpuSeconds));
        if (heapPeakBytes >= 0) {
            sb.append(String.format(java.util.Locale.ROOT, " heap_peak_mib=%.1f", heapPeakBytes / 1048576.0));
        }
        if (latencies != null) {
            sb.append(String.format(java.util.Locale.ROOT, " latency_ms p50=%.2f p95=%.2f p99=%.2f", latencies[0],
                    latencies[1], latencies[2]));
        }
        if (allocatedBytes >= 0) {
            sb.append(" alloc_per_msg=").append(allocatedPerMessage());
            if (threadAllocatedBytes >= 0) {
                sb.append(" alloc_per_msg_threads=").append(perMessage(threadAllocatedBytes, messages - failed));
            }
        }
        return sb.toString();
    }
}
