package io.postilion.bench.heap;

import io.postilion.bench.BenchHost;
import io.postilion.bench.RelayMetrics;
import io.postilion.engine.listener.ListenerSettings;
import io.postilion.engine.listener.MessageSink;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.listener.SessionLimits;
import io.postilion.engine.listener.SmtpListener;
import io.postilion.engine.listener.SmtpdLog;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import reactor.core.publisher.Mono;

/**
 * {@code postilion-bench heap}: does the relay's memory grow with its queue? The claim under test
 * is that deferred mail lives in queue_directory, not in the heap: the queue manager keeps a
 * deferred message's id and timer and loads the rest back when the timer fires.
 *
 * <p>The relay runs as a child process from the engine jar, with a small heap (-Xmx256m) and
 * retries every one or two seconds (minimal_backoff_time 1s, maximal_backoff_time 2s; the relay
 * has no queue_run_delay to set: each deferred message has its own timer). It relays to a
 * counting sink in this JVM that answers the first attempt of every message with 451 at the end
 * of DATA and accepts any later one, so every message is deferred once (written to deferred/,
 * its timer armed) and then delivered from its file. The relay's heap after a full GC
 * ({@link JcmdHeap}) is sampled before any mail, each time another tenth of the messages has been
 * accepted, and once every message is delivered and the relay reports its queue empty.
 *
 * <p>Submission is paced: at most 1000 messages (--window) may be acknowledged by the relay and not
 * yet tried. Mail the relay has accepted and not yet tried is held in its heap until its first
 * attempt (about 2 KiB a message, see docs/benchmarks.md), so an unpaced client that outruns
 * delivery would measure that backlog, not the deferred one; {@code --window 0} measures it.
 *
 * <p>After the last delivery nothing may be left: no file in incoming/, active/, deferred/ or
 * corrupt/, at most the journal segment being written, and the relay's /metrics must show no
 * message queued or in flight and no retry timer armed ({@code postilion_qmgr_retry_timers}).
 * Every accepted message must reach the sink, each after one 451.
 *
 * <p>The verdict is {@link HeapVerdict}'s (see there for the thresholds and why). Exit 0 when the
 * heap is flat and nothing is lost or left behind, 1 otherwise, 64/66 for misuse. Loopback only;
 * every wait is bounded.
 */
public final class HeapCommand {

    static final String HELP = String.join("\n",
            "usage: postilion-bench heap [--messages N] [--size S] [--sessions C] [--window W] [--xmx 256m]",
            "                            [--backoff 1s:2s] [--timeout SECONDS] [--keep] [--relay-log warn]",
            "                            [--relay-jar engine/target/postilion.jar | --relay-classpath CP] [-o name=value ...]",
            "  defaults: N=100000 messages of S=1024 bytes over C=8 sessions, at most W=1000 of them accepted by the",
            "  relay and not yet tried (0: no limit); the relay runs with -Xmx256m and minimal_backoff_time:",
            "  maximal_backoff_time 1s:2s; timeout 600 s plus 20 ms per message. The sink defers",
            "  each message's first attempt (451) and accepts the next. --keep keeps the work directory (spool,",
            "  relay.log at --relay-log's level). Prints a line per heap sample and ends with the verdict:",
            "  heap after GC: start X MiB, peak Y MiB, end Z MiB; grown by D MiB over N deferred-then-delivered messages: flat|GROWN");

    private static final Pattern MESSAGE_ID = Pattern.compile("Message-ID: <heap-(\\d+)@bench\\.heap>");
    private static final Pattern LISTENING = Pattern.compile("SMTP on 127\\.0\\.0\\.1:(\\d+), metrics on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final int SAMPLES = 10;

    private final int messages;
    private final int size;
    private final int sessions;
    private final String xmx;
    private final List<String> relayLaunch;
    private final Duration timeout;
    private final String relayLog;
    /** At most this many messages acknowledged by the relay and not yet tried by it (0: no limit). */
    private final int window;
    /** The window's free places; null when unpaced. */
    private final java.util.concurrent.Semaphore places;
    /** minimal_backoff_time and maximal_backoff_time. */
    private final String[] backoff;

    /** Attempts the sink saw per message: 1 = deferred, 2 = delivered, more = delivered again. */
    private final AtomicIntegerArray attempts;
    private final AtomicIntegerArray acknowledged;
    private final AtomicInteger acknowledgedCount = new AtomicInteger();
    private final AtomicInteger deferredCount = new AtomicInteger();
    private final AtomicInteger deliveredCount = new AtomicInteger();
    private final AtomicInteger duplicates = new AtomicInteger();
    private final AtomicInteger strangers = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger nextIndex = new AtomicInteger();
    private final ConcurrentLinkedQueue<Integer> resend = new ConcurrentLinkedQueue<>();
    private final AtomicIntegerArray tries;
    /** -o name=value for the relay, after the bench's own. */
    private List<String> relayOptions = List.of();

    private HeapCommand(int messages, int size, int sessions, int window, String xmx, List<String> relayLaunch, Duration timeout,
            String relayLog, String[] backoff) {
        this.relayLog = relayLog;
        this.backoff = backoff;
        this.window = window;
        this.places = window > 0 ? new java.util.concurrent.Semaphore(window) : null;
        this.messages = messages;
        this.size = size;
        this.sessions = sessions;
        this.xmx = xmx;
        this.relayLaunch = relayLaunch;
        this.timeout = timeout;
        this.attempts = new AtomicIntegerArray(messages);
        this.acknowledged = new AtomicIntegerArray(messages);
        this.tries = new AtomicIntegerArray(messages);
    }

    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        int messages = 100_000;
        int size = 1024;
        int sessions = 8;
        String xmx = "256m";
        Long timeoutSeconds = null;
        Path jar = Path.of("engine/target/postilion.jar");
        String classpath = null;
        boolean keep = false;
        String relayLog = "warn";
        String backoff = "1s:2s";
        int window = 1000;
        List<String> relayOptions = new ArrayList<>();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--messages" -> messages = Integer.parseInt(args[++i]);
                    case "--size" -> size = Integer.parseInt(args[++i]);
                    case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                    case "--xmx" -> xmx = args[++i];
                    case "--timeout" -> timeoutSeconds = Long.parseLong(args[++i]);
                    case "--relay-jar" -> jar = Path.of(args[++i]);
                    case "--relay-classpath" -> classpath = args[++i];
                    case "--keep" -> keep = true;
                    case "--relay-log" -> relayLog = args[++i];
                    case "--backoff" -> backoff = args[++i];
                    case "--window" -> window = Integer.parseInt(args[++i]);
                    case "-o" -> {
                        String o = args[++i];
                        if (!o.matches("[a-z0-9_]+=.*")) {
                            throw new NumberFormatException("-o takes name=value: " + o);
                        }
                        relayOptions.add(o);
                    }
                    case "--help", "-h" -> {
                        out.println(HELP);
                        return 0;
                    }
                    default -> {
                        err.println("heap: unknown argument " + args[i] + "\n" + HELP);
                        return 64;
                    }
                }
            }
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            err.println("heap: bad arguments (" + e.getMessage() + ")\n" + HELP);
            return 64;
        }
        if (messages < SAMPLES || size < 64 || sessions < 1 || window < 0 || !xmx.matches("\\d+[kmgKMG]?")
                || !backoff.matches("\\d+[smh]:\\d+[smh]")) {
            err.println("heap: --messages at least " + SAMPLES + ", --size at least 64, --sessions at least 1, --xmx like 256m,"
                    + " --backoff like 1s:2s");
            return 64;
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> launch;
        if (classpath != null) {
            launch = List.of(java, "-cp", classpath, "io.postilion.engine.cli.Main");
        } else if (Files.isReadable(jar)) {
            launch = List.of(java, "-jar", jar.toString());
        } else {
            err.println("heap: " + jar + " is missing; build it with mvn -B -q package -DskipTests");
            return 66;
        }
        Duration timeout = Duration.ofSeconds(timeoutSeconds != null ? timeoutSeconds : 600 + messages / 50);
        Path work = Files.createTempDirectory("postilion-heap");
        HeapCommand c = new HeapCommand(messages, size, sessions, window, xmx, launch, timeout,
                relayLog, backoff.split(":"));
        c.relayOptions = List.copyOf(relayOptions);
        int rc = 1;
        try {
            rc = c.execute(work, out);
            return rc;
        } finally {
            if (keep || rc != 0) {
                out.println("# work directory kept: " + work + " (relay.log is the relay's standard error)");
            } else {
                BenchHost.deleteTree(work);
            }
        }
    }

    private int execute(Path work, PrintStream out) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        // The sink answers 451 to half of all attempts. Postfix's smtpd, whose limits the listener
        // keeps, would tarpit such a session after 10 errors (1 s per reply) and end it after 20;
        // the sink is here to count, not to slow the relay down, so it does neither.
        SessionLimits patient = SessionLimits.normal().withErrors(Integer.MAX_VALUE, Integer.MAX_VALUE, Duration.ZERO, 100);
        SmtpListener sink = SmtpListener.start(ListenerSettings.defaults(new InetSocketAddress("127.0.0.1", 0), "sink.heap")
                        .withLimits(0, 1000, 1000).withSessionLimits(patient, patient), deferThenAccept(), Clock.systemUTC(),
                        SmtpdLog.to(line -> { }))
                .block(Duration.ofSeconds(10));
        Path spool = work.resolve("spool");
        Process relay = null;
        List<Thread> clients = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        try {
            List<String> command = new ArrayList<>(relayLaunch.subList(0, 1));
            command.addAll(List.of("-Xmx" + xmx, "-Dorg.slf4j.simpleLogger.defaultLogLevel=" + relayLog));
            command.addAll(relayLaunch.subList(1, relayLaunch.size()));
            command.addAll(List.of("relay", "-o", "myhostname=relay.heap", "-o", "smtpd_listen=127.0.0.1:0",
                    "-o", "metrics_listen=127.0.0.1:0", "-o", "inet_interfaces=127.0.0.254", "-o", "queue_directory=" + spool,
                    "-o", "relayhost=[127.0.0.1]:" + sink.port(), "-o", "minimal_backoff_time=" + backoff[0],
                    "-o", "maximal_backoff_time=" + backoff[1]));
            relayOptions.forEach(o -> command.addAll(List.of("-o", o)));
            relay = new ProcessBuilder(command).redirectError(work.resolve("relay.log").toFile()).start();
            int[] ports = listening(relay, work.resolve("relay.log"));
            RelayMetrics metrics = new RelayMetrics(ports[1]);
            JcmdHeap heap = JcmdHeap.locate();
            long pid = relay.pid();
            out.printf(Locale.ROOT, "# heap: %d messages of %d bytes over %d sessions, %s; relay pid %d with -Xmx%s, "
                    + "retries after %s to %s, SMTP 127.0.0.1:%d, metrics 127.0.0.1:%d; sink 127.0.0.1:%d defers each first "
                    + "attempt (451)%n", messages, size, sessions, window == 0 ? "unpaced"
                    : "at most " + window + " accepted and not yet tried", pid, xmx, backoff[0], backoff[1], ports[0], ports[1],
                    sink.port());
            out.println("# live heap after a full GC: the Total of jcmd PID GC.class_histogram (it collects, then counts)");

            List<HeapVerdict.Sample> samples = new ArrayList<>();
            samples.add(sample("start", heap, pid, metrics, out));
            for (int s = 0; s < sessions; s++) {
                Thread t = new Thread(() -> submitLoop(ports[0], stop, deadline), "heap-client-" + s);
                t.start();
                clients.add(t);
            }
            // A sample each time another tenth of the messages has been acknowledged, taken while
            // submission and delivery go on (so the queue is not drained for it). A tenth passed
            // while the previous sample was being taken gets no sample of its own.
            int taken = 0;
            while (taken < SAMPLES && System.nanoTime() < deadline && relay.isAlive()) {
                int passed = (int) ((long) acknowledgedCount.get() * SAMPLES / messages);
                if (passed > taken) {
                    taken = passed;
                    try {
                        samples.add(sample((taken * 100 / SAMPLES) + "%", heap, pid, metrics, out));
                    } catch (IOException e) {
                        if (relay.isAlive()) {
                            throw e;
                        }
                        break; // the relay died under us: reported below
                    }
                } else if (submittersDone(clients)) {
                    break; // some messages were given up: the counts below say so
                } else {
                    relay.waitFor(10, TimeUnit.MILLISECONDS); // a pause that also notices an early exit
                }
            }
            stop.set(true);
            for (Thread t : clients) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            // Every acknowledged message delivered, and the relay itself says its queue is empty.
            String left = "";
            while (System.nanoTime() < deadline && relay.isAlive()) {
                left = stillHeld(metrics);
                if (left.isEmpty()) {
                    break;
                }
                relay.waitFor(200, TimeUnit.MILLISECONDS);
            }
            HeapVerdict.Sample end = null;
            try {
                end = relay.isAlive() ? sample("end", heap, pid, metrics, out) : null;
            } catch (IOException e) {
                if (relay.isAlive()) {
                    throw e;
                }
            }
            boolean alive = end != null && relay.isAlive();
            if (alive) {
                samples.add(end);
                left = stillHeld(metrics);
            } else {
                left = "unknown: the relay died, so its metrics cannot say";
            }
            String files = filesLeft(spool);
            relay.destroy(); // SIGTERM: a clean stop exits 0
            boolean stopped = relay.waitFor(30, TimeUnit.SECONDS);
            int exit = stopped ? relay.exitValue() : -1;

            int lost = 0; // acknowledged, and never reached the sink after its first (deferred) attempt
            for (int i = 0; i < messages; i++) {
                if (acknowledged.get(i) == 1 && attempts.get(i) < 2) {
                    lost++;
                }
            }
            out.printf(Locale.ROOT, "messages=%d acknowledged=%d refused=%d deferred_by_sink=%d delivered=%d lost=%d "
                    + "duplicates=%d unknown=%d%n", messages, acknowledgedCount.get(), refused.get(), deferredCount.get(),
                    deliveredCount.get(), lost, duplicates.get(), strangers.get());
            out.printf(Locale.ROOT, "left behind: %s; queue files: %s; relay %s%n",
                    left.isEmpty() ? "nothing (metrics: 0 queued, 0 in flight, 0 retry timers)" : left,
                    files.isEmpty() ? "none" : files,
                    !alive ? "DIED during the run" : exit == 0 ? "stopped on SIGTERM with exit 0"
                            : "did not stop cleanly on SIGTERM (" + (stopped ? "exit " + exit : "still running after 30 s") + ")");
            HeapVerdict verdict = HeapVerdict.of(samples, messages);
            out.println(verdict.line());
            out.println("heap checks: " + verdict.reasons());
            // The sink defers each message's first attempt, so a delivered message was deferred once.
            boolean complete = acknowledgedCount.get() == messages && deliveredCount.get() == messages && lost == 0
                    && strangers.get() == 0;
            boolean clean = left.isEmpty() && files.isEmpty() && alive && exit == 0;
            if (!complete) {
                out.println("FAILED: not every message was accepted, deferred once and delivered (see the counts above)");
            }
            if (!clean) {
                out.println("FAILED: the relay left something behind or did not stay up (see above)");
            }
            return verdict.flat() && complete && clean ? 0 : 1;
        } finally {
            stop.set(true);
            if (relay != null && relay.isAlive()) {
                relay.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            for (Thread t : clients) {
                t.join(10_000);
            }
            sink.close();
        }
    }

    /**
     * One heap sample, printed with what the relay and the sink said just before it (the full GC
     * and the count take a second or more, during which mail keeps moving).
     */
    private HeapVerdict.Sample sample(String label, JcmdHeap heap, long pid, RelayMetrics metrics, PrintStream out)
            throws IOException, InterruptedException {
        int acked = acknowledgedCount.get();
        int deferredBySink = deferredCount.get();
        int delivered = deliveredCount.get();
        Map<String, Double> m = metrics.scrape();
        long t0 = System.nanoTime();
        long live = heap.liveAfterFullGc(pid);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long active = RelayMetrics.get(m, "postilion_queue_messages{state=\"active\"}");
        long deferred = RelayMetrics.get(m, "postilion_queue_messages{state=\"deferred\"}");
        out.printf(Locale.ROOT, "sample %-5s acknowledged=%d deferred_by_sink=%d delivered=%d queue: active=%d deferred=%d "
                + "in_flight=%d retry_timers=%d live_heap_after_gc_mib=%.1f (jcmd %.1f s)%n", label, acked, deferredBySink,
                delivered, active, deferred, RelayMetrics.get(m, "postilion_queue_in_flight"),
                RelayMetrics.get(m, "postilion_qmgr_retry_timers"), live / 1048576.0, seconds);
        return new HeapVerdict.Sample(label, acked, Math.max(0, active) + Math.max(0, deferred), live);
    }

    /** What the relay still reports held, or "" when its queue, its in-flight set and its timers are empty. */
    private String stillHeld(RelayMetrics metrics) throws InterruptedException {
        Map<String, Double> m;
        try {
            m = metrics.scrape();
        } catch (IOException e) {
            return "its metrics cannot be read (" + e + ")";
        }
        List<String> held = new ArrayList<>();
        if (deliveredCount.get() < acknowledgedCount.get()) {
            held.add((acknowledgedCount.get() - deliveredCount.get()) + " acknowledged message(s) not delivered yet");
        }
        for (String state : List.of("incoming", "active", "deferred", "corrupt")) {
            long n = RelayMetrics.get(m, "postilion_queue_messages{state=\"" + state + "\"}");
            if (n != 0) {
                held.add(state + "=" + n);
            }
        }
        for (String gauge : List.of("postilion_queue_in_flight", "postilion_qmgr_retry_timers")) {
            long n = RelayMetrics.get(m, gauge);
            if (n != 0) {
                held.add(gauge + "=" + n);
            }
        }
        return String.join(", ", held);
    }

    /** Message files left in the queue directory, and journal segments beyond the one being written; "" when none. */
    private static String filesLeft(Path spool) throws IOException {
        List<String> left = new ArrayList<>();
        for (String state : List.of("incoming", "active", "deferred", "corrupt")) {
            Path dir = spool.resolve(state);
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    long n = s.count();
                    if (n > 0) {
                        left.add(n + " in " + state + "/");
                    }
                }
            }
        }
        Path journal = spool.resolve("journal");
        if (Files.isDirectory(journal)) {
            try (Stream<Path> s = Files.list(journal)) {
                long segments = s.filter(p -> p.getFileName().toString().endsWith(".seg")).count();
                if (segments > 1) {
                    left.add(segments + " journal segments (only the one being written should remain)");
                }
            }
        }
        return String.join(", ", left);
    }

    /** The relay's SMTP and metrics ports, from the line it prints once it listens (within 60 s). */
    private static int[] listening(Process relay, Path log) throws Exception {
        CompletableFuture<int[]> ports = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(relay.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                    }
                }
                ports.completeExceptionally(new IOException("the relay ended before it listened; see " + log));
            } catch (IOException e) {
                ports.completeExceptionally(e);
            }
        }, "heap-relay-stdout");
        reader.setDaemon(true);
        reader.start();
        return ports.get(60, TimeUnit.SECONDS);
    }

    private static boolean submittersDone(List<Thread> clients) {
        return clients.stream().noneMatch(Thread::isAlive);
    }

    /** The message to send next: one the relay refused earlier, else a new one; -1 when all are out. */
    private int next() {
        Integer again = resend.poll();
        if (again != null) {
            return again;
        }
        int i = nextIndex.getAndIncrement();
        return i < messages ? i : -1;
    }

    /**
     * One client: sessions of up to 100 messages until every message is acknowledged. A message
     * the relay does not acknowledge is sent again, at most five times in all.
     */
    private void submitLoop(int port, AtomicBoolean stop, long deadline) {
        SmtpClient client = SmtpClient.create(SessionSettings.smtp("client.heap").withTls(TlsLevel.NONE, false)
                .withTimeouts(Timeouts.all(Duration.ofSeconds(30))));
        Endpoint relay = Endpoint.inet("relay.heap", new InetSocketAddress("127.0.0.1", port));
        int failures = 0;
        boolean failed = false;
        try {
            while (!stop.get() && System.nanoTime() < deadline && failures < 100) {
                int i = next();
                if (i < 0) {
                    return;
                }
                // After a failure the next connection waits a little (a timer), so a struggling relay is not hammered.
                SmtpClient.Connected c;
                try {
                    c = client.connect(relay).delaySubscription(failed ? Duration.ofMillis(100) : Duration.ZERO)
                            .block(Duration.ofSeconds(30));
                } catch (RuntimeException timedOut) {
                    c = null;
                }
                failed = c == null || !c.ok() || !greeted(c.session());
                if (failed) {
                    failures++;
                    again(i);
                    continue;
                }
                SmtpSession s = c.session();
                boolean holding = false; // a place in the window taken for message i
                try {
                    for (int k = 0; k < 100 && i >= 0; k++) {
                        if (!takePlace(stop, deadline)) {
                            again(i);
                            break;
                        }
                        holding = true;
                        TransactionResult r = s.transaction(new Transaction("MAIL FROM:<load@client.heap>",
                                List.of("RCPT TO:<user" + (i % 100) + "@dest.heap>"), ContentSource.of(body(i)),
                                ContentOptions.defaults(), true)).block(Duration.ofSeconds(60));
                        if (r == null || r.failure() != null || r.finals().isEmpty() || r.finals().get(0) == null
                                || r.finals().get(0).code() != 250) {
                            holding = false;
                            givePlaceBack();
                            failures++;
                            again(i);
                            break;
                        }
                        holding = false; // from here the sink gives it back, at the message's first attempt
                        if (acknowledged.compareAndSet(i, 0, 1)) {
                            acknowledgedCount.incrementAndGet();
                        }
                        if (k < 99) {
                            i = next();
                        }
                    }
                    s.quit().onErrorResume(e -> Mono.empty()).block(Duration.ofSeconds(10));
                } catch (RuntimeException cut) {
                    if (holding) {
                        givePlaceBack();
                    }
                    failures++;
                    again(i);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Takes a place in the window before a message is sent: at most {@code window} messages are
     * out at once that the relay has not tried yet (the sink gives the place back at a message's
     * first attempt, the client when the relay did not take the message). Mail the relay has
     * accepted and not tried is held in its heap until then (see docs/benchmarks.md), so an
     * unpaced client would measure how far submission outruns delivery, not what deferred mail
     * costs. False when the run is stopping.
     */
    private boolean takePlace(AtomicBoolean stop, long deadline) throws InterruptedException {
        while (!stop.get() && System.nanoTime() < deadline) {
            if (places == null || places.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                return true;
            }
        }
        return false;
    }

    private void givePlaceBack() {
        if (places != null) {
            places.release();
        }
    }

    private static boolean greeted(SmtpSession s) {
        try {
            var h = s.handshake(false).block(Duration.ofSeconds(30));
            return h != null && h.ok();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Queues message {@code i} to be sent again, or gives it up after five refusals. */
    private void again(int i) {
        if (i < 0 || acknowledged.get(i) == 1) {
            return;
        }
        if (tries.incrementAndGet(i) < 5) {
            resend.add(i);
        } else {
            refused.incrementAndGet();
        }
    }

    private byte[] body(int i) {
        StringBuilder b = new StringBuilder(size + 80);
        b.append("Message-ID: <heap-").append(i).append("@bench.heap>\r\nSubject: heap bench ").append(i).append("\r\n\r\n");
        while (b.length() < size - 2) {
            int line = Math.min(76, size - 2 - b.length());
            b.append("x".repeat(line)).append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The sink: the first attempt of each message gets 451 (an error from the sink), every later one 250. */
    private MessageSink deferThenAccept() {
        AtomicInteger ids = new AtomicInteger();
        return new MessageSink() {
            @Override
            public String newQueueId() {
                return "H" + ids.incrementAndGet();
            }

            @Override
            public Mono<Void> accept(ReceivedMessage message) {
                int head = Math.min(message.content().length, 4096);
                Matcher m = MESSAGE_ID.matcher(new String(message.content(), 0, head, StandardCharsets.US_ASCII));
                int i = m.find() ? Integer.parseInt(m.group(1)) : -1;
                if (i < 0 || i >= messages) {
                    strangers.incrementAndGet();
                    return Mono.empty();
                }
                int n = attempts.incrementAndGet(i);
                if (n == 1) {
                    deferredCount.incrementAndGet();
                    givePlaceBack();
                    return Mono.error(new IOException("the heap bench's sink defers every first attempt"));
                }
                if (n == 2) {
                    deliveredCount.incrementAndGet();
                } else {
                    duplicates.incrementAndGet();
                }
                return Mono.empty();
            }
        };
    }

}
