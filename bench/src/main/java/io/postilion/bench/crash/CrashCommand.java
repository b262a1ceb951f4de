package io.postilion.bench.crash;

import io.postilion.bench.BenchHost;
import io.postilion.engine.listener.ListenerSettings;
import io.postilion.engine.listener.MessageSink;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.listener.SmtpListener;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.SmtpClient.Connected;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.session.Transaction;
import io.postilion.transport.session.TransactionResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The relay's crash test: runs the relay (engine/target/postilion.jar) as a child process under a
 * steady submission load, kills it with SIGKILL at random moments, restarts it each time, and at
 * the end checks that every message that got a 250 reached the sink behind it. Lost must be 0;
 * duplicates (a message delivered again because the crash came between delivery and recording)
 * are counted and reported, as Postfix would also repeat them.
 *
 * <pre>
 * postilion-bench crash [--rounds 20] [--sessions 8] [--strace] [--launcher] [--interval 0.5s-2.5s]
 *                       [--relay-jar engine/target/postilion.jar] [--java PATH] [--aot-cache FILE] [-J jvm-option]... [-o name=value]...
 * postilion-bench crash --against postfix [--rounds 20] [--sessions 8]
 * </pre>
 * {@code --against postfix} runs the same test with a private Postfix instance in place of our
 * relay ({@link PostfixTarget}): the anchor for the duplicates per kill.
 * Loopback only; every loop is bounded in count and time.
 */
public final class CrashCommand {

    private static final Pattern MESSAGE_ID = Pattern.compile("Message-ID: <([^>]+)>");

    private final Map<String, AtomicInteger> delivered = new ConcurrentHashMap<>();
    /** When each message first reached the sink, and when each kill came (System.nanoTime()). */
    private final Map<String, Long> firstDelivered = new ConcurrentHashMap<>();
    private final Map<String, Long> secondDelivered = new ConcurrentHashMap<>();
    /** Each kill: when SIGKILL was sent, and when the relay was gone (the main loop's own). */
    private record Kill(long signalled, long gone) {
    }

    private final List<Kill> kills = new ArrayList<>();
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final AtomicInteger attempts = new AtomicInteger();
    private final AtomicBoolean loading = new AtomicBoolean(true);
    private final AtomicBoolean loadingDone = new AtomicBoolean();
    private final Sinks.Empty<Void> allDelivered = Sinks.empty();

    private CrashCommand() {
    }

    /** Run the relay under strace and check the flush proof of each run (FlushProof). */
    private boolean strace;
    private int straceRuns;
    /** The JVM the relay runs on, and options before -jar. */
    private String javaBin;
    private List<String> jvmOptions = List.of();
    /** Run the relay through ./postilion (its start-up archive included), not java -jar. */
    private boolean launcher;
    private final Map<String, String> relayEnv = new java.util.HashMap<>();
    /** How long the relay runs under load before each kill: uniform in [min, max] ms. */
    private long intervalMin;
    private long intervalMax;
    /** Postfix in place of our relay (the anchor), with --against postfix. */
    private boolean postfix;
    /** Further relay parameters given with -o. */
    private List<String> relayOptions = List.of();
    private final List<FlushProof.Result> proofs = new ArrayList<>();

    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        int rounds = 20;
        int sessions = 8;
        Path jar = Path.of("engine/target/postilion.jar");
        boolean strace = false;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> jvmOptions = new ArrayList<>();
        List<String> relayOptions = new ArrayList<>();
        String against = "postilion";
        boolean launcher = false;
        long intervalMin = 500;
        long intervalMax = 2500;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--strace" -> strace = true;
                case "--java" -> java = args[++i];
                case "--aot-cache" -> jvmOptions.add("-XX:AOTCache=" + Path.of(args[++i]).toAbsolutePath());
                case "-J" -> jvmOptions.add(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                case "--relay-jar" -> jar = Path.of(args[++i]);
                case "-o" -> relayOptions.add(args[++i]);
                case "--against" -> against = args[++i];
                case "--launcher" -> launcher = true;
                case "--interval" -> {
                    String[] range = args[++i].split("-", 2);
                    try {
                        intervalMin = Duration.parse("PT" + range[0].toUpperCase()).toMillis();
                        intervalMax = range.length > 1 ? Duration.parse("PT" + range[1].toUpperCase()).toMillis() : intervalMin;
                    } catch (java.time.format.DateTimeParseException e) {
                        intervalMin = -1;
                    }
                    if (intervalMin < 0 || intervalMax < intervalMin) {
                        err.println("crash: --interval takes MIN-MAX, e.g. 0.5s-2.5s");
                        return 64;
                    }
                }
                case "--help" -> {
                    out.println("usage: postilion-bench crash [--rounds 20] [--sessions 8] [--strace] [--launcher] [--interval 0.5s-2.5s] "
                            + "[--relay-jar engine/target/postilion.jar] [--java PATH] [--aot-cache FILE] [-J option]... [-o name=value]...");
                    out.println("  -o name=value  a further relay parameter (after the harness's own, so it wins)");
                    out.println("  --launcher  run the relay as ./postilion relay (with the launcher's start-up archive) "
                            + "instead of java -jar; from the project root");
                    out.println("  --interval MIN-MAX  how long the relay runs between its start and each kill "
                            + "(uniform; default 0.5s-2.5s)");
                    out.println("  -J option      a further JVM option for the relay (e.g. -J -XX:+UseSerialGC)");
                    out.println("  --against postfix  put a private Postfix instance (scripts/peers/postfix-relay.sh) "
                            + "in place of our relay: the anchor; kills go to master's whole process group");
                    out.println("  --strace  run the relay under strace and prove each 250 follows a flush of its message");
                    out.println("  --java, --aot-cache  run the relay on another JDK, with a JDK 25 ahead-of-time cache "
                            + "(relay-compare --train-aot-cache writes one)");
                    return 0;
                }
                default -> {
                    err.println("crash: unknown argument " + args[i]);
                    return 64;
                }
            }
        }
        if (!Files.isReadable(jar)) {
            err.println("crash: " + jar + " is missing; build it with mvn -B -q package -DskipTests");
            return 66;
        }
        if (!against.equals("postilion") && !against.equals("postfix")) {
            err.println("crash: --against takes postilion or postfix");
            return 64;
        }
        if (against.equals("postfix") && (strace || !PostfixTarget.available(Path.of("scripts/peers")))) {
            err.println(strace ? "crash: --strace traces our relay only"
                    : "crash: --against postfix needs /usr/sbin/postfix and scripts/peers/postfix-relay.sh (run from the project root)");
            return strace ? 64 : 66;
        }
        CrashCommand c = new CrashCommand();
        c.postfix = against.equals("postfix");
        c.launcher = launcher;
        c.intervalMin = intervalMin;
        c.intervalMax = intervalMax;
        c.strace = strace;
        c.javaBin = java;
        c.jvmOptions = List.copyOf(jvmOptions);
        c.relayOptions = List.copyOf(relayOptions);
        return c.execute(rounds, sessions, jar, out);
    }

    private int execute(int rounds, int sessions, Path jar, PrintStream out) throws Exception {
        SmtpListener sink = SmtpListener.start(ListenerSettings.defaults(new InetSocketAddress("127.0.0.1", 0), "sink.crash")
                .withLimits(0, 1000, 1000), countingSink(), Clock.systemUTC()).block(Duration.ofSeconds(10));
        Path spool = Files.createTempDirectory("postilion-crash-spool");
        int smtpPort = BenchHost.freePort();
        int metricsPort = BenchHost.freePort();
        List<String> command = new ArrayList<>();
        if (launcher) {
            // As a postmaster runs it: the launcher picks the java and adds its start-up archive.
            command.add(Path.of("postilion").toAbsolutePath().toString());
            relayEnv.put("POSTILION_JAVA", javaBin);
            relayEnv.put("POSTILION_JAVA_OPTS", String.join(" ", jvmOptions));
        } else {
            command.add(javaBin);
            command.addAll(jvmOptions);
            command.addAll(List.of("-jar", jar.toString()));
        }
        command.addAll(List.of("relay", "-o", "smtpd_listen=127.0.0.1:" + smtpPort, "-o",
                "metrics_listen=127.0.0.1:" + metricsPort, "-o", "queue_directory=" + spool, "-o",
                "relayhost=[127.0.0.1]:" + sink.port(), "-o", "inet_interfaces=127.0.0.254", "-o",
                "minimal_backoff_time=1s", "-o", "maximal_backoff_time=2s"));
        for (String o : relayOptions) {
            command.addAll(List.of("-o", o));
        }
        if (postfix) {
            out.println("# relay: Postfix (scripts/peers/postfix-relay.sh, state in " + spool.resolve("postfix")
                    + "), in place of ours: the anchor");
        } else {
            out.printf("# relay: %s%s%s%n", relayEnv.isEmpty() ? "" : relayEnv + " ",
                    String.join(" ", command.subList(0, command.indexOf("relay"))),
                    relayOptions.isEmpty() ? "" : " (further parameters: " + String.join(" ", relayOptions) + ")");
        }
        out.printf("# kills %.1f-%.1f s after each start%n", intervalMin / 1000.0, intervalMax / 1000.0);
        out.printf("# crash test: %d kills, %d submitting sessions, relay on 127.0.0.1:%d, sink on 127.0.0.1:%d, spool %s%n",
                rounds, sessions, smtpPort, sink.port(), spool);
        AtomicBoolean loading = this.loading;
        List<Thread> clients = new ArrayList<>();
        for (int s = 0; s < sessions; s++) {
            Thread t = new Thread(() -> submitLoop(smtpPort, loading), "crash-client-" + s);
            t.start();
            clients.add(t);
        }
        Random random = new Random();
        try (CrashTarget target = postfix
                ? new PostfixTarget(Path.of("scripts/peers"), spool.resolve("postfix"), smtpPort, sink.port())
                : new OurRelay(command, spool)) {
            try {
                for (int round = 1; round <= rounds; round++) {
                    target.start();
                    target.runFor(nextInterval(random)); // it runs under load meanwhile
                    long signalled = System.nanoTime();
                    target.kill();
                    kills.add(new Kill(signalled, System.nanoTime())); // gone: nothing it did can come after this
                    prove(spool, out);
                    out.printf("kill %2d: acknowledged so far %d, delivered so far %d%n", round, acknowledged.size(),
                            delivered.size());
                }
                loading.set(false);
                for (Thread t : clients) {
                    t.join(30_000);
                }
                loadingDone.set(true);
                target.start();
                checkAllDelivered();
                allDelivered.asMono().timeout(Duration.ofSeconds(120)).onErrorResume(e -> Mono.empty()).block();
            } finally {
                if (target.stop()) {
                    prove(spool, out);
                }
                sink.close();
            }
        }
        Set<String> lost = ConcurrentHashMap.newKeySet();
        lost.addAll(acknowledged);
        lost.removeAll(delivered.keySet());
        long duplicates = delivered.values().stream().mapToInt(AtomicInteger::get).filter(n -> n > 1).map(n -> n - 1).sum();
        out.printf("attempted=%d acknowledged=%d delivered=%d lost=%d duplicates=%d%n", attempts.get(),
                acknowledged.size(), delivered.size(), lost.size(), duplicates);
        if (!lost.isEmpty()) {
            out.println("lost: " + lost.stream().limit(20).toList());
        }
        if (duplicates > 0) {
            out.println(duplicateAges());
        }
        if (strace) {
            int acks = proofs.stream().mapToInt(FlushProof.Result::acknowledged).sum();
            int flushes = proofs.stream().mapToInt(FlushProof.Result::flushes).sum();
            int written = proofs.stream().mapToInt(FlushProof.Result::messagesWritten).sum();
            // Every 250 a client got was seen in a trace, each after a flush of its message's bytes.
            boolean ok = proofs.stream().allMatch(FlushProof.Result::ok) && acks > 0 && acks >= acknowledged.size();
            out.printf("flush proof: %d acknowledgements, each after a flush of its message: %s; %d journal flushes for "
                    + "%d messages written (%.3f per message)%n", acks, ok ? "yes" : "NO", flushes, written,
                    written == 0 ? 0.0 : (double) flushes / written);
            if (!ok) {
                return 1;
            }
        }
        return lost.isEmpty() && !acknowledged.isEmpty() ? 0 : 1;
    }

    /**
     * Ends the relay: SIGKILL, or SIGTERM for the last run. Under strace the relay is strace's
     * child and is signalled itself (strace, signalled, would detach and leave it running); strace
     * then ends with it.
     */
    private static void kill(Process p, boolean hard) throws InterruptedException {
        List<ProcessHandle> relays = p.descendants().toList(); // under strace; none otherwise
        for (ProcessHandle h : relays.isEmpty() ? List.of(p.toHandle()) : relays) {
            if (hard) {
                h.destroyForcibly();
            } else {
                h.destroy();
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) { // strace ends once its tracee has, having written its last lines
            p.destroyForcibly();
        }
        p.waitFor();
    }

    /** The trace of the relay run that has just ended, checked (with --strace). */
    private void prove(Path spool, PrintStream out) throws IOException {
        if (!strace) {
            return;
        }
        Path trace = spool.resolve("strace." + straceRuns);
        FlushProof.Result r = FlushProof.check(trace);
        proofs.add(r);
        out.printf("  flush proof, run %d: %d acknowledged, %d proven, %d journal flushes for %d messages written%s%n",
                straceRuns, r.acknowledged(), r.proven(), r.flushes(), r.messagesWritten(),
                r.violations().isEmpty() ? "" : ", violations: " + r.violations().stream().limit(5).toList());
        Files.deleteIfExists(trace);
    }

    /** Starts the relay and returns once it says it listens (its first line on standard output). */
    /** Our relay as a child process (under strace with --strace). */
    private final class OurRelay implements CrashTarget {
        private final List<String> command;
        private final Path spool;
        private Process process;

        OurRelay(List<String> command, Path spool) {
            this.command = command;
            this.spool = spool;
        }

        @Override
        public void start() throws Exception {
            process = startRelay(command, spool);
        }

        @Override
        public void runFor(long millis) throws InterruptedException {
            process.waitFor(millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void kill() throws InterruptedException {
            CrashCommand.kill(process, true);
        }

        @Override
        public boolean stop() throws InterruptedException {
            if (process == null) {
                return false;
            }
            CrashCommand.kill(process, false);
            return true;
        }
    }

    private Process startRelay(List<String> command, Path spool) throws Exception {
        if (strace) {
            List<String> traced = new ArrayList<>(List.of("strace", "-f", "-tt", "-qq", "-s", "96", "--seccomp-bpf", "-e",
                    "trace=write,writev,pwrite64,pwritev,sendmsg,sendto,fsync,fdatasync,msync,sync_file_range", "-o",
                    spool.resolve("strace." + (++straceRuns)).toString()));
            traced.addAll(command);
            command = traced;
        }
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(relayEnv);
        Process p = pb.redirectError(ProcessBuilder.Redirect.appendTo(
                spool.resolve("relay.log").toFile())).start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = lines.readLine();
        if (first == null || !first.startsWith("postilion relay: SMTP on")) {
            p.destroyForcibly();
            throw new IllegalStateException("the relay did not start (" + first + "); see " + spool.resolve("relay.log"));
        }
        return p;
    }

    private long nextInterval(Random random) {
        return intervalMin + (intervalMax == intervalMin ? 0 : random.nextLong(intervalMax - intervalMin + 1));
    }

    private void checkAllDelivered() {
        if (!loadingDone.get() || !delivered.keySet().containsAll(acknowledged)) {
            return;
        }
        allDelivered.tryEmitEmpty();
    }

    /** One client: submit messages one after another until told to stop; a refused or cut session is retried. */
    private void submitLoop(int port, AtomicBoolean loading) {
        SmtpClient client = SmtpClient.create(SessionSettings.smtp("load.crash").withTls(TlsLevel.NONE, false)
                .withTimeouts(Timeouts.all(Duration.ofSeconds(5))));
        Endpoint relay = Endpoint.inet("relay.crash", new InetSocketAddress("127.0.0.1", port));
        long until = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        boolean failed = false;
        while (loading.get() && System.nanoTime() < until) {
            // After a failure, the next connection waits a little (a timer), so a restarting relay is not hammered.
            Connected c = client.connect(relay).delaySubscription(failed ? Duration.ofMillis(50) : Duration.ZERO)
                    .block(Duration.ofSeconds(10));
            failed = c == null || !c.ok();
            if (failed) {
                continue;
            }
            SmtpSession s = c.session();
            try {
                if (!s.handshake(false).block(Duration.ofSeconds(10)).ok()) {
                    failed = true;
                    continue;
                }
                for (int i = 0; i < 50 && loading.get(); i++) {
                    String id = UUID.randomUUID() + "@crash.test";
                    attempts.incrementAndGet();
                    byte[] body = ("Message-ID: <" + id + ">\r\nSubject: crash test\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
                    TransactionResult r = s.transaction(new Transaction("MAIL FROM:<load@crash.test>",
                            List.of("RCPT TO:<user@dest.crash>"), ContentSource.of(body), ContentOptions.defaults(), true))
                            .block(Duration.ofSeconds(10));
                    if (r == null || r.failure() != null || r.finals().isEmpty() || r.finals().get(0) == null
                            || r.finals().get(0).code() != 250) {
                        break;
                    }
                    acknowledged.add(id);
                }
                s.quit().onErrorResume(e -> Mono.empty()).block(Duration.ofSeconds(5));
            } catch (RuntimeException cut) {
                failed = true; // the relay was killed mid-session
            }
        }
    }

    private MessageSink countingSink() {
        AtomicInteger ids = new AtomicInteger();
        return new MessageSink() {
            @Override
            public String newQueueId() {
                return "S" + ids.incrementAndGet();
            }

            @Override
            public Mono<Void> accept(ReceivedMessage message) {
                Matcher m = MESSAGE_ID.matcher(new String(message.content(), StandardCharsets.US_ASCII));
                if (m.find()) {
                    long now = System.nanoTime();
                    int n = delivered.computeIfAbsent(m.group(1), k -> new AtomicInteger()).incrementAndGet();
                    if (n == 1) {
                        firstDelivered.put(m.group(1), now);
                    } else if (n == 2) {
                        secondDelivered.put(m.group(1), now);
                    }
                    checkAllDelivered();
                }
                return Mono.empty();
            }
        };
    }

    /**
     * Why messages came twice: for each one delivered again, how long before the kill that came
     * next its first delivery was (the window a kill must hit to lose its result record), or that
     * no kill came between the two deliveries at all (a relay that sends a message twice in one
     * run, which no crash explains).
     */
    private String duplicateAges() {
        List<Long> ages = new ArrayList<>();
        int withoutKill = 0;
        for (Map.Entry<String, Long> second : secondDelivered.entrySet()) {
            long first = firstDelivered.getOrDefault(second.getKey(), second.getValue());
            int k = 0;
            while (k < kills.size() && kills.get(k).gone() < first) {
                k++;
            }
            Long kill = k < kills.size() && kills.get(k).gone() <= second.getValue() ? kills.get(k).signalled() : null;
            if (kill == null) {
                withoutKill++;
            } else {
                ages.add((kill - first) / 1_000_000); // negative: it reached the sink while the relay was dying
            }
        }
        ages.sort(null);
        long dying = ages.stream().filter(a -> a < 0).count();
        long under10 = ages.stream().filter(a -> a >= 0 && a < 10).count();
        long under100 = ages.stream().filter(a -> a >= 10 && a < 100).count();
        long under1000 = ages.stream().filter(a -> a >= 100 && a < 1000).count();
        long longer = ages.size() - dying - under10 - under100 - under1000;
        return String.format("duplicates by the time from their first delivery to the SIGKILL that followed it: while dying %d, <10 ms %d, "
                + "10-100 ms %d, 100 ms-1 s %d, >=1 s %d (median %s ms); delivered twice with no kill between: %d",
                dying, under10, under100, under1000, longer, ages.isEmpty() ? "-" : ages.get(ages.size() / 2), withoutKill);
    }

}
