package io.postilion.bench.load;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code postilion-bench load}: sends N messages of S bytes with R recipients over at most C
 * sessions through the scheduler and the delivery agent to an SMTP server on loopback, and prints
 * messages/s, CPU seconds, peak heap and delivery latency. With {@code --compare-smtp-source} it
 * alternates runs of ours and of Postfix's smtp-source against the same server and prints the
 * medians and the ratio per case. Every run is bounded by {@code --timeout}.
 */
public final class LoadCommand {

    static final String HELP = String.join("\n",
            "usage: postilion-bench load (--nexthop '[127.0.0.1]:PORT' | --start-sink) --messages N --size S",
            "                            --recipients R --concurrency C[,C...] [--rounds K] [--compare-smtp-source]",
            "                            [--warmup M] [--timeout SECONDS] [--chart FILE] [--curve B] [-o name=value ...]",
            "  --nexthop DEST        the server, on loopback only ([127.0.0.1]:PORT, [::1]:PORT)",
            "  --start-sink          start Postfix's smtp-sink on a free 127.0.0.1 port for the run, stop it after",
            "  --messages/--size/--recipients/--concurrency   the case; each takes a comma list (all combinations)",
            "  --rounds K            timed runs per tool and case (default 1); with comparison they alternate",
            "  --compare-smtp-source also run smtp-source -d -s C -m N -l S -r R against the same server",
            "  --warmup M            messages of an untimed run of ours before each case (default min(N, 1000))",
            "  --timeout SECONDS     bound on each run (default 300)",
            "  --chart FILE          write an SVG bar chart of messages/s per case",
            "  --curve B             after each run of ours, its messages/s per block of B delivered messages, the warm",
            "                        rate (median of the last 10 blocks, or of the last half when fewer than 20) and the",
            "                        first block at 80% of it (with --warmup 0 a fresh JVM's first round shows a cold start)",
            "Each run of ours also prints alloc_per_msg (heap bytes allocated per delivered message, GC MX beans:",
            "eden emptied by each collection plus eden's growth) and alloc_per_msg_threads (the threads' counters).",
            "  -o name=value         a main.cf parameter for our side (repeatable)",
            "Ends with: messages=N seconds=X msgs_per_s=Y (all timed runs of ours together).");

    private String nexthop;
    private boolean startSink;
    private List<Integer> messages = List.of(1000);
    private List<Integer> sizes = List.of(1024);
    private List<Integer> recipients = List.of(1);
    private List<Integer> concurrency = List.of(1);
    private int rounds = 1;
    private boolean compare;
    private Integer warmup;
    private Duration timeout = Duration.ofSeconds(300);
    private Path chart;
    private int curve;
    private final List<String> overrides = new ArrayList<>();

    private LoadCommand() {
    }

    /** Runs the command; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                out.println(HELP);
                return 0;
            }
        }
        LoadCommand cmd = new LoadCommand();
        String problem = cmd.parse(args);
        if (problem != null) {
            err.println("postilion-bench load: " + problem + "\n" + HELP);
            return 64;
        }
        try {
            return cmd.execute(out);
        } catch (IOException | RuntimeException e) {
            err.println("postilion-bench load: " + e);
            return 70;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 70;
        }
    }

    private String parse(String[] args) {
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--nexthop" -> nexthop = args[++i];
                    case "--start-sink" -> startSink = true;
                    case "--messages" -> messages = ints(args[++i]);
                    case "--size" -> sizes = ints(args[++i]);
                    case "--recipients" -> recipients = ints(args[++i]);
                    case "--concurrency" -> concurrency = ints(args[++i]);
                    case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                    case "--compare-smtp-source" -> compare = true;
                    case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                    case "--timeout" -> timeout = Duration.ofSeconds(Long.parseLong(args[++i]));
                    case "--chart" -> chart = Path.of(args[++i]);
                    case "--curve" -> curve = Integer.parseInt(args[++i]);
                    case "-o" -> overrides.add(args[++i]);
                    default -> {
                        return "unknown argument " + a;
                    }
                }
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            return "an option needs a value";
        } catch (NumberFormatException e) {
            return "not a number: " + e.getMessage();
        }
        if (nexthop == null && !startSink) {
            return "--nexthop or --start-sink is needed";
        }
        if (rounds < 1) {
            return "--rounds must be at least 1";
        }
        if (curve < 0) {
            return "--curve must be positive";
        }
        for (List<Integer> l : List.of(messages, sizes, recipients, concurrency)) {
            if (l.stream().anyMatch(v -> v < 1)) {
                return "--messages, --size, --recipients and --concurrency must be positive";
            }
        }
        return null;
    }

    private static List<Integer> ints(String s) {
        List<Integer> out = new ArrayList<>();
        for (String p : s.split(",")) {
            out.add(Integer.parseInt(p.trim()));
        }
        return out;
    }

    /** host:port of a bracketed loopback next-hop, for smtp-source; refuses anything off loopback. */
    static String loopbackHostPort(String nexthop) throws IOException {
        if (!nexthop.startsWith("[") || !nexthop.contains("]:")) {
            throw new IOException("--nexthop must be [ADDRESS]:PORT on loopback, not " + nexthop);
        }
        String host = nexthop.substring(1, nexthop.indexOf(']'));
        String port = nexthop.substring(nexthop.indexOf("]:") + 2);
        if (!InetAddress.getByName(host).isLoopbackAddress()) {
            throw new IOException("the load harness sends to loopback only, not " + host);
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + Integer.parseInt(port);
    }

    private int execute(PrintStream out) throws IOException, InterruptedException {
        SinkProcess sink = startSink ? SinkProcess.start() : null;
        try {
            String hop = sink != null ? "[127.0.0.1]:" + sink.port() : nexthop;
            String hostPort = loopbackHostPort(hop);
            if (compare && SmtpSourceRun.binary() == null) {
                throw new IOException("--compare-smtp-source needs smtp-source (Debian package postfix)");
            }
            out.println("# load harness: server " + hop + (sink != null ? " (smtp-sink started here)" : "")
                    + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, Java " + Runtime.version()
                    + ", max heap " + Runtime.getRuntime().maxMemory() / 1048576 + " MiB");
            List<SvgChart.Bar> bars = new ArrayList<>();
            long totalMessages = 0;
            double totalSeconds = 0;
            for (int n : messages) {
                for (int s : sizes) {
                    for (int r : recipients) {
                        for (int c : concurrency) {
                            LoadCase lc = new LoadCase(n, s, r, c);
                            List<RunResult> ours = new ArrayList<>();
                            List<RunResult> theirs = new ArrayList<>();
                            runCase(lc, hop, hostPort, out, ours, theirs);
                            for (RunResult x : ours) {
                                totalMessages += x.messages();
                                totalSeconds += x.seconds();
                            }
                            bars.add(summary(lc, ours, theirs, out));
                        }
                    }
                }
            }
            if (chart != null) {
                Files.writeString(chart, SvgChart.render("messages/s per case (medians)", bars), StandardCharsets.UTF_8);
                out.println("# chart written to " + chart);
            }
            out.println(String.format(Locale.ROOT, "messages=%d seconds=%.3f msgs_per_s=%.1f", totalMessages,
                    totalSeconds, totalSeconds > 0 ? totalMessages / totalSeconds : 0));
            return 0;
        } finally {
            if (sink != null) {
                sink.close();
            }
        }
    }

    private void runCase(LoadCase lc, String hop, String hostPort, PrintStream out, List<RunResult> ours,
            List<RunResult> theirs) throws IOException, InterruptedException {
        out.println("## case " + lc.label());
        PostilionRun postilion = new PostilionRun(lc, hop, overrides);
        int warm = warmup != null ? warmup : Math.min(lc.messages(), 1000);
        if (warm > 0) {
            RunResult w = postilion.run(warm, timeout, curve);
            out.println("warmup      " + w.line());
            printCurve(out, w);
        }
        SmtpSourceRun source = new SmtpSourceRun(lc, hostPort);
        for (int k = 1; k <= rounds; k++) {
            // alternate who goes first, so that neither always meets a warmer machine
            boolean oursFirst = k % 2 == 1;
            if (compare && !oursFirst) {
                theirs.add(print(out, k, source.run(timeout)));
            }
            ours.add(print(out, k, postilion.run(lc.messages(), timeout, curve)));
            printCurve(out, ours.get(ours.size() - 1));
            if (compare && oursFirst) {
                theirs.add(print(out, k, source.run(timeout)));
            }
        }
    }

    private static void printCurve(PrintStream out, RunResult r) {
        if (r.curve() != null) {
            out.println(r.curve().line());
        }
    }

    private static RunResult print(PrintStream out, int round, RunResult r) {
        out.println("round " + round + "     " + r.line());
        return r;
    }

    private static SvgChart.Bar summary(LoadCase lc, List<RunResult> ours, List<RunResult> theirs, PrintStream out) {
        double oursRate = Stats.median(ours.stream().mapToDouble(RunResult::messagesPerSecond).toArray());
        double oursCpu = Stats.median(ours.stream().mapToDouble(RunResult::cpuSeconds).toArray());
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "median      %s: postilion msgs_per_s=%.1f cpu_s=%.2f", lc.label(), oursRate, oursCpu));
        double theirRate = Double.NaN;
        if (!theirs.isEmpty()) {
            theirRate = Stats.median(theirs.stream().mapToDouble(RunResult::messagesPerSecond).toArray());
            double theirCpu = Stats.median(theirs.stream().mapToDouble(RunResult::cpuSeconds).toArray());
            sb.append(String.format(Locale.ROOT, " | smtp-source msgs_per_s=%.1f cpu_s=%.2f | ratio ours/smtp-source=%.2f",
                    theirRate, theirCpu, oursRate / theirRate));
        }
        // appended after the existing fields (CLARIFICATIONS 44(h)): their order stays as it was
        double alloc = Stats.median(ours.stream().mapToDouble(RunResult::allocatedPerMessage).filter(a -> a >= 0).toArray());
        if (!Double.isNaN(alloc)) {
            sb.append(String.format(Locale.ROOT, " | postilion alloc_per_msg=%.0f", alloc));
        }
        out.println(sb);
        return new SvgChart.Bar("C=" + lc.concurrency() + " S=" + lc.size() + " R=" + lc.recipients(), oursRate,
                theirRate);
    }
}
