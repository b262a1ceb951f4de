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
 */
record RunResult(String tool, long messages, long failed, double seconds, double cpuSeconds, long heapPeakBytes,
        double[] latencies) {

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
        return sb.toString();
    }
}
