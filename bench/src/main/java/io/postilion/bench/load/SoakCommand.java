package io.postilion.bench.load;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code postilion-bench soak}: a long run (1,000,000 messages of 1 KiB by default) through the
 * scheduler and the agent to a loopback sink, with the heap measured after a full GC every
 * 100,000 messages. Issue 5's target is a flat heap: after the first sample, growth of less than
 * 1% per 100,000 messages (CLARIFICATIONS 28). Bounded in count and time.
 */
public final class SoakCommand {

    private SoakCommand() {
    }

    static final String HELP = String.join("\n",
            "usage: postilion-bench soak (--nexthop '[127.0.0.1]:PORT' | --start-sink) [--messages N] [--size S]",
            "                            [--concurrency C] [--every K] [--timeout SECONDS]",
            "  defaults: N=1000000, S=1024, C=10, a heap sample after GC every K=100000 messages, timeout 1800 s",
            "Ends with: messages=N seconds=X heap_growth_pct_per_100k=G (over the samples after the first)");

    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String nexthop = null;
        boolean startSink = false;
        long messages = 1_000_000;
        int size = 1024;
        int concurrency = 10;
        long every = 100_000;
        Duration timeout = Duration.ofSeconds(1800);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--nexthop" -> nexthop = args[++i];
                case "--start-sink" -> startSink = true;
                case "--messages" -> messages = Long.parseLong(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                case "--every" -> every = Long.parseLong(args[++i]);
                case "--timeout" -> timeout = Duration.ofSeconds(Long.parseLong(args[++i]));
                case "--help", "-h" -> {
                    out.println(HELP);
                    return 0;
                }
                default -> {
                    err.println("soak: unknown option " + args[i] + "\n" + HELP);
                    return 64;
                }
            }
        }
        if (nexthop == null && !startSink) {
            err.println("soak: --nexthop or --start-sink is needed\n" + HELP);
            return 64;
        }
        try (SinkProcess sink = startSink ? SinkProcess.start() : null) {
            String hop = sink != null ? "[127.0.0.1]:" + sink.port() : nexthop;
            LoadCommand.loopbackHostPort(hop); // refuses anything off loopback
            return soak(hop, messages, size, concurrency, every, timeout, out);
        }
    }

    private static int soak(String hop, long messages, int size, int concurrency, long every, Duration timeout,
            PrintStream out) throws InterruptedException {
        out.printf(Locale.ROOT, "# soak: %d messages of %d bytes over at most %d sessions to %s, max heap %d MiB%n",
                messages, size, concurrency, hop, Runtime.getRuntime().maxMemory() >> 20);
        PostilionRun run = new PostilionRun(new LoadCase((int) Math.min(Integer.MAX_VALUE, messages), size, 1, concurrency),
                hop, List.of());
        AtomicLong done = new AtomicLong();
        List<long[]> samples = new ArrayList<>(); // {messages, heap bytes}
        long[] next = {every};
        // The heap is sampled from a timer thread of its own, never from an event loop.
        java.util.concurrent.ScheduledExecutorService sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "soak-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleWithFixedDelay(() -> {
            long d = done.get();
            if (d >= next[0] && d < messages) { // while running: at the very end the sessions close and the heap drops
                long heap = heapAfterGc();
                synchronized (samples) {
                    samples.add(new long[] {d, heap});
                }
                out.printf(Locale.ROOT, "messages=%d heap_after_gc_mib=%.1f%n", d, heap / 1048576.0);
                next[0] += every;
            }
        }, 20, 20, java.util.concurrent.TimeUnit.MILLISECONDS);
        long t0 = System.nanoTime();
        long failed;
        try {
            failed = run.soak(messages, done, timeout);
        } finally {
            sampler.shutdown();
            sampler.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double growth = growthPercentPer(samples, every);
        out.printf(Locale.ROOT, "messages=%d failed=%d seconds=%.1f msgs_per_s=%.0f heap_growth_pct_per_100k=%.2f%n",
                done.get(), failed, seconds, done.get() / seconds, growth * 100_000.0 / every);
        return failed == 0 && done.get() == messages ? 0 : 1;
    }

    /** Least-squares slope of heap over messages, after the first sample, as % of that sample per {@code every}. */
    static double growthPercentPer(List<long[]> all, long every) {
        List<long[]> s;
        synchronized (all) {
            s = all.size() > 1 ? new ArrayList<>(all.subList(1, all.size())) : List.of();
        }
        if (s.size() < 2) {
            return 0;
        }
        double mx = s.stream().mapToDouble(x -> x[0]).average().orElse(0);
        double my = s.stream().mapToDouble(x -> x[1]).average().orElse(0);
        double num = 0;
        double den = 0;
        for (long[] x : s) {
            num += (x[0] - mx) * (x[1] - my);
            den += (x[0] - mx) * (x[0] - mx);
        }
        double slope = den == 0 ? 0 : num / den; // bytes per message
        return 100.0 * slope * every / s.get(0)[1];
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
