package io.postilion.bench.relay;

import io.postilion.bench.BenchHost;
import io.postilion.bench.load.SinkProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Sinks;

/**
 * End-to-end relay throughput, ours beside Postfix's, in one run: both relays receive the same
 * client load (Postfix's smtp-source) and deliver to the same counting sink (Postfix's smtp-sink
 * with its running counters); a round's time runs
 * from the start of the load until the sink has every message. Rounds alternate (ours, Postfix,
 * ours, ...) and medians are compared.
 *
 * <pre>
 * postilion-bench relay-compare [--messages 5000] [--size 1024] [--concurrency 10] [--rounds 3]
 *                               [--warmup 1000] [--relay-jar engine/target/postilion.jar]
 *                               [--java PATH] [--aot-cache FILE]
 * postilion-bench relay-compare --train-aot-cache FILE --java JDK25/bin/java [--messages 20000]
 * postilion-bench relay-compare --against rocksdb [--bench-jar bench/target/postilion-bench.jar]
 *                               [--writers 64] [same load options]
 * </pre>
 * {@code --java} runs our relay on another JDK; {@code --aot-cache} gives it a JDK 25
 * ahead-of-time cache ({@code -XX:AOTCache}), which {@code --train-aot-cache} writes from a
 * training run of our relay under the same load ({@code -XX:AOTCacheOutput}): classes loaded and
 * linked, and method profiles, so the JIT starts from a trained state instead of from nothing.
 * Needs root (Postfix's master) and the project's scripts/peers/postfix-relay.sh. Loopback only;
 * every wait is bounded.
 *
 * <p>{@code --against rocksdb} compares our relay with itself: this bench jar's relay-queue on
 * the journal and on RocksDB, two processes of the same build, same load, same sink, rounds
 * alternating; besides the rate and CPU it reports each queue's own count of flushes in the round
 * (journal forces, RocksDB WAL syncs). Postfix need not run (smtp-source is still the client).
 */
public final class RelayCompareCommand {

    private final AtomicLong delivered = new AtomicLong();
    private volatile long target = Long.MAX_VALUE;
    private volatile Sinks.Empty<Void> reached = Sinks.empty();

    private RelayCompareCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        int messages = 5000;
        int size = 1024;
        int concurrency = 10;
        int rounds = 3;
        Path jar = Path.of("engine/target/postilion.jar");
        RelayJvm jvm = new RelayJvm(Path.of(System.getProperty("java.home"), "bin", "java").toString(), List.of());
        Path train = null;
        int warmup = 1000;
        Path benchJar = Path.of("bench/target/postilion-bench.jar");
        String against = "postfix";
        int writers = 64;
        boolean straceSyncs = false;
        long groupBytes = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--java" -> jvm = new RelayJvm(args[++i], jvm.options());
                case "--aot-cache" -> jvm = new RelayJvm(jvm.java(), List.of("-XX:AOTCache=" + Path.of(args[++i]).toAbsolutePath()));
                case "--train-aot-cache" -> train = Path.of(args[++i]).toAbsolutePath();
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--strace-syncs" -> straceSyncs = true;
                case "--rocksdb-group-bytes" -> groupBytes = Long.parseLong(args[++i]);
                case "--against" -> against = args[++i];
                case "--bench-jar" -> benchJar = Path.of(args[++i]);
                case "--writers" -> writers = Integer.parseInt(args[++i]);
                case "--messages" -> messages = Integer.parseInt(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--relay-jar" -> jar = Path.of(args[++i]);
                case "--help" -> {
                    out.println("usage: postilion-bench relay-compare [--messages N] [--size S] [--concurrency C] "
                            + "[--rounds K] [--warmup N] [--relay-jar engine/target/postilion.jar] [--java PATH] "
                            + "[--aot-cache FILE]");
                    out.println("       postilion-bench relay-compare --train-aot-cache FILE --java JDK25/bin/java "
                            + "[--messages N] [--size S] [--concurrency C]");
                    out.println("       postilion-bench relay-compare --against rocksdb [--bench-jar bench/target/postilion-bench.jar]"
                            + " [--writers 64] [--rocksdb-group-bytes N] [--strace-syncs] [--messages N] [--size S] [--concurrency C] [--rounds K]");
                    return 0;
                }
                default -> {
                    err.println("relay-compare: unknown argument " + args[i]);
                    return 64;
                }
            }
        }
        if (against.equals("rocksdb")) {
            return new RelayCompareCommand().journalOrRocks(messages, size, concurrency, rounds, benchJar,
                    List.of("--writers", String.valueOf(writers), "--group-bytes", String.valueOf(groupBytes)), straceSyncs,
                    out, err);
        }
        if (!against.equals("postfix")) {
            err.println("relay-compare: --against postfix or --against rocksdb");
            return 64;
        }
        if (train != null) {
            return new RelayCompareCommand().train(train, jvm, messages, size, concurrency, jar, out, err);
        }
        return new RelayCompareCommand().execute(messages, size, concurrency, rounds, warmup, jar, jvm, out, err);
    }

    /**
     * Postfix's smtp-sink, counting (-c: its running message counter, read from its output), so
     * that no relay delivers into a JVM of ours; a round waits until it has the round's messages.
     */
    private SinkProcess countingSink() throws IOException, InterruptedException {
        return SinkProcess.startCounting(count -> {
            delivered.set(count);
            if (count >= target) {
                reached.tryEmitEmpty();
            }
        });
    }

    /** How our relay's JVM is started: which java, with which options before -jar. */
    private record RelayJvm(String java, List<String> options) {
        RelayJvm {
            options = List.copyOf(options);
        }
    }

    /**
     * A training run for the JDK 25 ahead-of-time cache: our relay, started with
     * -XX:AOTCacheOutput, relays {@code n} messages from smtp-source to smtp-sink and is stopped
     * gracefully; the JVM writes the cache as it exits (it takes a while: it starts a second JVM
     * to assemble it).
     */
    private int train(Path cache, RelayJvm jvm, int n, int size, int c, Path jar, PrintStream out, PrintStream err)
            throws Exception {
        SinkProcess sink = countingSink();
        Path work = Files.createTempDirectory("postilion-aot-train");
        int port = BenchHost.freePort();
        Files.deleteIfExists(cache);
        Process ours = startOurs(jar, work, port, sink.port(), new RelayJvm(jvm.java(),
                List.of("-XX:AOTCacheOutput=" + cache)));
        try {
            double rate = load(port, n, size, c);
            out.printf("training run: %d messages of %d bytes at C=%d, %.1f msgs/s%n", n, size, c, rate);
        } finally {
            ours.destroy(); // SIGTERM: a graceful stop, after which the JVM writes the cache
            if (!ours.waitFor(10, TimeUnit.MINUTES)) {
                ours.destroyForcibly();
            }
            sink.close();
        }
        if (!Files.isRegularFile(cache) || Files.size(cache) == 0) {
            err.println("relay-compare: no AOT cache was written to " + cache + "; see " + work.resolve("relay.log"));
            return 1;
        }
        out.printf("AOT cache %s: %d bytes%n", cache, Files.size(cache));
        return 0;
    }


    /**
     * The journal against RocksDB: two relay-queue processes of this bench jar, one per queue,
     * alternating rounds of the same smtp-source load into the same counting sink.
     */
    private int journalOrRocks(int n, int size, int c, int rounds, Path benchJar, List<String> rocksOptions,
            boolean straceSyncs, PrintStream out, PrintStream err) throws Exception {
        if (!Files.isReadable(benchJar) || !Files.isExecutable(Path.of("/usr/sbin/smtp-source"))) {
            err.println("relay-compare: needs " + benchJar + " (mvn -B -q -pl bench -am package -DskipTests) and "
                    + "/usr/sbin/smtp-source (Debian package postfix)");
            return 66;
        }
        SinkProcess sink = countingSink();
        Path work = Files.createTempDirectory("postilion-spool-compare");
        String[] names = {"journal", "rocksdb"};
        QueueProcess[] relays = new QueueProcess[2];
        out.printf("# journal or RocksDB: N=%d S=%d C=%d, %d alternating rounds; sink 127.0.0.1:%d; queues under %s"
                + " (rocksdb %s)%n", n, size, c, rounds, sink.port(), work, String.join(" ", rocksOptions));
        try {
            for (int k = 0; k < 2; k++) {
                relays[k] = QueueProcess.start(benchJar, names[k], work, BenchHost.freePort(), sink.port(),
                        k == 1 ? rocksOptions : List.of(), straceSyncs);
            }
            for (QueueProcess r : relays) { // one untimed round each: JIT, caches, connections
                load(r.port, Math.min(n, 1000), size, c);
            }
            List<List<Double>> rates = List.of(new ArrayList<>(), new ArrayList<>());
            List<List<Double>> cpus = List.of(new ArrayList<>(), new ArrayList<>());
            List<List<Double>> perSync = List.of(new ArrayList<>(), new ArrayList<>());
            for (int r = 1; r <= rounds; r++) {
                boolean journalFirst = r % 2 == 1;
                for (int step = 0; step < 2; step++) {
                    int k = (step == 0) == journalFirst ? 0 : 1;
                    QueueProcess q = relays[k];
                    long syncs0 = q.syncs();
                    double cpu0 = ProcessCpu.tree(q.process.pid());
                    double rate = load(q.port, n, size, c);
                    double cpuPerMessage = (ProcessCpu.tree(q.process.pid()) - cpu0) / n * 1e6;
                    long syncs = q.syncs() - syncs0;
                    double messagesPerSync = syncs == 0 ? Double.NaN : (double) n / syncs;
                    rates.get(k).add(rate);
                    cpus.get(k).add(cpuPerMessage);
                    perSync.get(k).add(messagesPerSync);
                    out.printf("round %d  %-8s msgs_per_s=%.1f cpu_us_per_msg=%.0f syncs=%d msgs_per_sync=%.2f%n", r,
                            names[k], rate, cpuPerMessage, syncs, messagesPerSync);
                }
            }
            double ja = median(rates.get(0));
            double ra = median(rates.get(1));
            out.printf("median  journal msgs_per_s=%.1f | rocksdb msgs_per_s=%.1f | ratio rocksdb/journal=%.2f%n", ja, ra,
                    ra / ja);
            double jc = median(cpus.get(0));
            double rc = median(cpus.get(1));
            out.printf("median  journal cpu_us_per_msg=%.0f | rocksdb cpu_us_per_msg=%.0f | cpu ratio rocksdb/journal=%.2f%n",
                    jc, rc, rc / jc);
            out.printf("median  journal msgs_per_sync=%.2f | rocksdb msgs_per_sync=%.2f%n", median(perSync.get(0)),
                    median(perSync.get(1)));
            if (straceSyncs) {
                int total = Math.min(n, 1000) + rounds * n;
                for (int k = 0; k < 2; k++) {
                    long own = relays[k].syncs(); // since it started, as strace counts
                    relays[k].stop();
                    out.printf("# %s under strace: %s in the whole run (%d messages, warm-up included); its own count over"
                            + " the same run: %d%n", names[k], straceSummary(work.resolve(names[k] + ".strace")), total, own);
                }
            }
            return 0;
        } finally {
            for (QueueProcess r : relays) {
                if (r != null) {
                    r.stop();
                }
            }
            sink.close();
            // What each store left on disk once its queue was empty and it had stopped; then it goes.
            for (String name : names) {
                Path dir = work.resolve(name);
                if (Files.isDirectory(dir)) {
                    out.printf("# %s: %d KiB left in %s after the run; deleted%n", name, bytesUnder(dir) / 1024, dir);
                    BenchHost.deleteTree(dir);
                }
            }
        }
    }

    /** The fsync and fdatasync counts of an {@code strace -c} summary. */
    private static String straceSummary(Path file) throws IOException {
        if (!Files.isReadable(file)) {
            return "no strace summary (is strace installed?)";
        }
        StringBuilder out = new StringBuilder();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 5 && (f[f.length - 1].equals("fsync") || f[f.length - 1].equals("fdatasync"))) {
                out.append(out.length() > 0 ? ", " : "").append(f[f.length - 1]).append('=').append(f[3]);
            }
        }
        return out.length() == 0 ? "no fsync or fdatasync" : out.toString();
    }

    private static long bytesUnder(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }


    /** One relay-queue process, steered through its standard input (stats; end of input stops it). */
    private static final class QueueProcess {
        final Process process;
        final int port;
        private final BufferedReader stdout;
        private final java.io.Writer stdin;

        private QueueProcess(Process process, int port) {
            this.process = process;
            this.port = port;
            this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.stdin = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        static QueueProcess start(Path benchJar, String queue, Path work, int port, int sinkPort, List<String> extra,
                boolean straceSyncs) throws Exception {
            Path dir = work.resolve(queue);
            List<String> cmd = new ArrayList<>();
            if (straceSyncs) {
                // Only fsync and fdatasync stop the relay (seccomp-bpf); -c counts them, summed at exit.
                cmd.addAll(List.of("strace", "-f", "--seccomp-bpf", "-c", "-e", "trace=fsync,fdatasync", "-o",
                        work.resolve(queue + ".strace").toString()));
            }
            cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    benchJar.toString(), "relay-queue", "--queue", queue));
            cmd.addAll(extra);
            cmd.addAll(List.of("--control", "stdin", "-o", "smtpd_listen=127.0.0.1:" + port, "-o", "metrics_listen=127.0.0.1:0",
                    "-o", "queue_directory=" + dir, "-o", "relayhost=[127.0.0.1]:" + sinkPort,
                    "-o", "inet_interfaces=127.0.0.254", "-o", "default_destination_concurrency_limit=50"));
            Process p = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.appendTo(work.resolve(queue + ".log").toFile())).start();
            QueueProcess q = new QueueProcess(p, port);
            String first = q.line();
            if (first == null || !first.startsWith("postilion relay: SMTP on")) {
                p.destroyForcibly();
                throw new IOException("the " + queue + " relay did not start; see " + work.resolve(queue + ".log"));
            }
            return q;
        }

        /** The queue's flush count so far. */
        long syncs() throws Exception {
            stdin.write("stats\n");
            stdin.flush();
            String line = line();
            if (line == null || !line.startsWith("stats ")) {
                throw new IOException("relay-queue answered " + line + " to stats");
            }
            for (String field : line.split(" ")) {
                if (field.startsWith("syncs=")) {
                    return Long.parseLong(field.substring(6));
                }
            }
            throw new IOException("no syncs= in " + line);
        }

        /** The next line of its output, waiting at most a minute. */
        private String line() throws Exception {
            return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return stdout.readLine();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).get(60, TimeUnit.SECONDS);
        }

        void stop() throws InterruptedException {
            if (!process.isAlive()) {
                return;
            }
            try {
                stdin.close(); // the end of its input stops it gracefully
            } catch (IOException ignored) {
                // already gone
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }

    private int execute(int n, int size, int c, int rounds, int warmup, Path jar, RelayJvm jvm, PrintStream out,
            PrintStream err) throws Exception {
        Path scripts = Path.of("scripts/peers");
        if (!Files.isExecutable(scripts.resolve("postfix-relay.sh")) || !Files.isReadable(jar)) {
            err.println("relay-compare: run from the project root after mvn -B -q package -DskipTests");
            return 66;
        }
        // The counting sink is Postfix's smtp-sink (-c: it prints its running message count), so
        // neither relay delivers into a JVM of ours.
        SinkProcess sink = countingSink();
        Path work = Files.createTempDirectory("postilion-relay-compare");
        int postfixPort = BenchHost.freePort();
        int ourPort = BenchHost.freePort();
        Map<String, String> postfixEnv = Map.of("RELAY_PORT", String.valueOf(postfixPort), "RELAY_SUBMIT_PORT", "0",
                "RELAY_SMTPS_PORT", "0", "RELAY_TO", "smtp:[127.0.0.1]:" + sink.port(),
                "RELAY_MAIN_EXTRA", "default_destination_concurrency_limit = 50\nsmtp_connection_cache_on_demand = yes");
        Process ours = null;
        out.printf("# relay comparison: N=%d S=%d C=%d, %d alternating rounds; sink 127.0.0.1:%d; Postfix on %d, ours on %d%n",
                n, size, c, rounds, sink.port(), postfixPort, ourPort);
        out.println("# counting sink: smtp-sink -c (Postfix's), one per run, both relays deliver to it");
        try {
            script(scripts, postfixEnv, "start", work.resolve("postfix").toString());
            ours = startOurs(jar, work, ourPort, sink.port(), jvm);
            out.printf("# our relay: %s %s-jar %s; untimed warm-up round of %d messages each%n", jvm.java(),
                    jvm.options().isEmpty() ? "" : String.join(" ", jvm.options()) + " ", jar, warmup);
            // one untimed round each, so both relays have warmed up (JIT, caches, connections)
            if (warmup > 0) {
                load(ourPort, warmup, size, c);
                load(postfixPort, warmup, size, c);
            }
            List<Double> oursRates = new ArrayList<>();
            List<Double> postfixRates = new ArrayList<>();
            List<Double> oursCpu = new ArrayList<>();
            List<Double> postfixCpu = new ArrayList<>();
            long postfixPid = Long.parseLong(Files.readString(work.resolve("postfix/queue/pid/master.pid")).trim());
            out.printf("# queues: ours %s, Postfix's %s (same file system: %s)%n", work.resolve("spool"),
                    work.resolve("postfix/queue"), Files.getFileStore(work.resolve("spool")).equals(
                            Files.getFileStore(work.resolve("postfix/queue"))));
            for (int r = 1; r <= rounds; r++) {
                boolean oursFirst = r % 2 == 1;
                for (int k = 0; k < 2; k++) {
                    boolean isOurs = (k == 0) == oursFirst;
                    long pid = isOurs ? ours.pid() : postfixPid;
                    double cpu0 = ProcessCpu.tree(pid);
                    double rate = load(isOurs ? ourPort : postfixPort, n, size, c);
                    double cpuPerMessage = (ProcessCpu.tree(pid) - cpu0) / n * 1e6;
                    (isOurs ? oursRates : postfixRates).add(rate);
                    (isOurs ? oursCpu : postfixCpu).add(cpuPerMessage);
                    out.printf("round %d  %-9s msgs_per_s=%.1f cpu_us_per_msg=%.0f%n", r, isOurs ? "postilion" : "postfix",
                            rate, cpuPerMessage);
                }
            }
            double a = median(oursRates);
            double b = median(postfixRates);
            out.printf("median  postilion msgs_per_s=%.1f | postfix msgs_per_s=%.1f | ratio ours/postfix=%.2f%n", a, b, a / b);
            double ca = median(oursCpu);
            double cb = median(postfixCpu);
            out.printf("median  postilion cpu_us_per_msg=%.0f | postfix cpu_us_per_msg=%.0f | cpu ratio ours/postfix=%.2f%n",
                    ca, cb, ca / cb);
            return 0;
        } finally {
            if (ours != null) {
                ours.destroy();
                ours.waitFor(30, TimeUnit.SECONDS);
            }
            try {
                script(scripts, postfixEnv, "stop", work.resolve("postfix").toString());
            } catch (IOException e) {
                err.println("relay-compare: stopping Postfix: " + e.getMessage());
            }
            sink.close();
        }
    }

    /** smtp-source into a relay; returns messages per second until the sink has all of them. */
    private double load(int port, int n, int size, int c) throws Exception {
        long start = delivered.get();
        reached = Sinks.empty();
        target = start + n;
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("/usr/sbin/smtp-source", "-d", "-s", String.valueOf(c), "-m", String.valueOf(n),
                "-l", String.valueOf(size), "-f", "bench@client.test", "-t", "user@dest.test", "127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("smtp-source did not finish");
        }
        if (delivered.get() < target) {
            reached.asMono().timeout(Duration.ofMinutes(10)).block();
        }
        if (delivered.get() < target) { // the sink may have said so before this round's wait began
            throw new IllegalStateException("the sink has " + delivered.get() + " messages, not " + target);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return n / seconds;
    }

    private static Process startOurs(Path jar, Path work, int port, int sinkPort, RelayJvm jvm) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(jvm.java());
        cmd.addAll(jvm.options());
        cmd.addAll(List.of("-jar", jar.toString(),
                "relay", "-o", "smtpd_listen=127.0.0.1:" + port, "-o", "metrics_listen=127.0.0.1:0", "-o",
                "queue_directory=" + work.resolve("spool"), "-o", "relayhost=[127.0.0.1]:" + sinkPort, "-o",
                "inet_interfaces=127.0.0.254", "-o", "default_destination_concurrency_limit=50"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(work.resolve("relay.log").toFile()))
                .start();
        String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (first == null || !first.startsWith("postilion relay: SMTP on")) {
            p.destroyForcibly();
            throw new IOException("our relay did not start; see " + work.resolve("relay.log"));
        }
        return p;
    }

    private static void script(Path scripts, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(scripts.resolve("postfix-relay.sh").toString());
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("postfix-relay.sh " + String.join(" ", args) + " failed:\n" + output);
        }
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int m = s.size() / 2;
        return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
    }

}
