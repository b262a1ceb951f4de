package io.postilion.bench.sessions;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Timeouts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code postilion-bench sessions}: opens N SMTP sessions (connect, greeting, EHLO) to a sink in
 * another process and holds them all open at once, then reports the heap after GC and the direct
 * memory they cost, and closes them with QUIT. Issue 5's target: 10,000 sessions within 512 MiB
 * of heap, so run it with {@code java -Xmx512m}. Loopback only; bounded in count and time.
 */
public final class SessionsCommand {

    private SessionsCommand() {
    }

    static final String HELP = String.join("\n",
            "usage: java -Xmx512m -jar postilion-bench.jar sessions [--sessions N] [--parallel P] [--timeout SECONDS]",
            "  --sessions N      sessions to hold open at once (default 10000)",
            "  --parallel P      connects and handshakes in flight at a time (default 256)",
            "  --timeout S       bound on opening them all (default 300)",
            "Starts its own sink (postilion-bench sink) in a separate JVM on 127.0.0.1. Ends with one line:",
            "sessions=N heap_mib=H heap_per_session_kib=K direct_kib=D");

    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        int n = 10_000;
        int parallel = 256;
        Duration timeout = Duration.ofSeconds(300);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sessions" -> n = Integer.parseInt(args[++i]);
                case "--parallel" -> parallel = Integer.parseInt(args[++i]);
                case "--timeout" -> timeout = Duration.ofSeconds(Long.parseLong(args[++i]));
                case "--help", "-h" -> {
                    out.println(HELP);
                    return 0;
                }
                default -> {
                    err.println("sessions: unknown option " + args[i] + "\n" + HELP);
                    return 64;
                }
            }
        }
        Process sink = startSink();
        try {
            int port = sinkPort(sink);
            return hold(n, parallel, timeout, port, out);
        } finally {
            sink.destroy();
            if (!sink.waitFor(5, TimeUnit.SECONDS)) {
                sink.destroyForcibly();
            }
        }
    }

    private static int hold(int n, int parallel, Duration timeout, int port, PrintStream out) throws InterruptedException {
        out.printf("# sessions: %d to 127.0.0.1:%d (sink in its own JVM), max heap %d MiB, %d CPUs%n", n, port,
                Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
        SessionSettings settings = SessionSettings.smtp("client.bench").withTls(TlsLevel.NONE, false)
                .withTimeouts(Timeouts.all(Duration.ofSeconds(60)));
        SmtpClient client = SmtpClient.create(settings);
        Endpoint sinkEndpoint = Endpoint.inet("sink.bench", new InetSocketAddress("127.0.0.1", port));
        long heapBefore = heapAfterGc();
        long directBefore = direct();
        List<SmtpSession> open = Collections.synchronizedList(new ArrayList<>(n));
        AtomicInteger failed = new AtomicInteger();
        long t0 = System.nanoTime();
        Flux.range(0, n)
                .flatMap(i -> client.connect(sinkEndpoint).flatMap(c -> {
                    if (!c.ok()) {
                        failed.incrementAndGet();
                        return Mono.empty();
                    }
                    return c.session().handshake().doOnNext(h -> {
                        if (h.ok()) {
                            open.add(c.session());
                        } else {
                            failed.incrementAndGet();
                        }
                    });
                }), parallel)
                .then().block(timeout);
        double openSeconds = (System.nanoTime() - t0) / 1e9;
        long heap = heapAfterGc();
        long directNow = direct();
        int held = (int) open.stream().filter(SmtpSession::usable).count();
        out.printf("opened %d sessions in %.1f s (%d failed), %d usable while held%n", open.size(), openSeconds,
                failed.get(), held);
        out.printf("heap after GC: %d MiB before, %d MiB with the sessions held; direct memory: %d KiB before, %d KiB held%n",
                heapBefore >> 20, heap >> 20, directBefore >> 10, directNow >> 10);
        Flux.fromIterable(new ArrayList<>(open)).flatMap(SmtpSession::quit, parallel).then().block(Duration.ofSeconds(120));
        double perSession = open.isEmpty() ? 0 : (heap - heapBefore) / 1024.0 / open.size();
        out.printf("sessions=%d heap_mib=%d heap_per_session_kib=%.1f direct_kib=%d%n", held, heap >> 20, perSession,
                directNow >> 10);
        return held == n ? 0 : 1;
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc(); // three full collections: what a collection frees may free more in the next
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * Direct memory: the larger of Netty's allocator count and Netty's own accounting of the
     * direct memory it reserved without a cleaner, plus the JDK's direct buffer pool.
     */
    private static long direct() {
        long allocator = ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p
                ? p.metric().usedDirectMemory() : 0;
        long reserved = io.netty.util.internal.PlatformDependent.usedDirectMemory();
        long jdk = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        return Math.max(Math.max(allocator, reserved), 0) + jdk;
    }

    private static Process startSink() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path jar = Path.of(SessionsCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return new ProcessBuilder(java, "-Xmx512m", "-cp", jar.toString(), "io.postilion.bench.BenchMain", "sink", "0")
                .redirectErrorStream(true).start();
    }

    private static int sinkPort(Process sink) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(sink.getInputStream(), StandardCharsets.UTF_8));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            String line = r.readLine();
            if (line == null) {
                throw new IllegalStateException("the sink exited before listening");
            }
            if (line.startsWith("listening ")) {
                Thread drain = new Thread(() -> r.lines().forEach(l -> { }), "sink-output");
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(line.substring("listening ".length()).trim());
            }
        }
        throw new IllegalStateException("the sink did not listen within 30 s");
    }
}
