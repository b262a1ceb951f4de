package io.postilion.bench.restart;

import io.postilion.bench.BenchHost;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.JournalSpool;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Ret;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import reactor.core.publisher.Flux;

/**
 * How much a queued backlog delays a restart (issue 13, CLARIFICATIONS 37a): the time from exec to
 * the first 220 of `postilion relay` on a spool holding N queued messages, against the same build
 * on an empty spool, in alternating rounds. The backlog is written once through the spool's own
 * API (as the listener would) and copied afresh for every round, so a round's deliveries cannot
 * change the next one's queue.
 */
public final class RestartCommand {

    private RestartCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        int messages = 100_000;
        int size = 1024;
        int rounds = 3;
        Path jar = Path.of("engine/target/postilion.jar");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--messages" -> messages = Integer.parseInt(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--relay-jar" -> jar = Path.of(args[++i]);
                case "--help" -> {
                    out.println("usage: postilion-bench restart [--messages N] [--size S] [--rounds K] "
                            + "[--relay-jar engine/target/postilion.jar]");
                    return 0;
                }
                default -> {
                    err.println("restart: unknown argument " + args[i]);
                    return 64;
                }
            }
        }
        if (!Files.isReadable(jar)) {
            err.println("restart: run from the project root after mvn -B -q package -DskipTests");
            return 66;
        }
        Path work = Files.createTempDirectory("postilion-restart");
        try {
            Path backlog = work.resolve("backlog");
            long t0 = System.nanoTime();
            fill(backlog, messages, size);
            out.printf("# restart: %d queued messages of %d bytes written in %.1f s to %s%n", messages, size,
                    (System.nanoTime() - t0) / 1e9, backlog);
            List<Double> empty = new ArrayList<>();
            List<Double> full = new ArrayList<>();
            List<Double> emptyAccept = new ArrayList<>();
            List<Double> fullAccept = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) {
                for (boolean withBacklog : r % 2 == 1 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                    Path spool = work.resolve("round-" + r + (withBacklog ? "-full" : "-empty"));
                    if (withBacklog) {
                        copy(backlog, spool);
                    } else {
                        Files.createDirectories(spool);
                    }
                    double[] seconds = execToGreeting(jar, spool, work.resolve("relay.log"));
                    (withBacklog ? full : empty).add(seconds[0]);
                    (withBacklog ? fullAccept : emptyAccept).add(seconds[1]);
                    out.printf("round %d  %-7s exec_to_220_s=%.3f exec_to_250_s=%.3f%n", r, withBacklog ? "backlog" : "empty",
                            seconds[0], seconds[1]);
                    BenchHost.deleteTree(spool);
                }
            }
            double a = median(empty);
            double b = median(full);
            out.printf("median  empty exec_to_220_s=%.3f | backlog exec_to_220_s=%.3f | added_s=%.3f (target <= 1)%n", a,
                    b, b - a);
            double c = median(emptyAccept);
            double d = median(fullAccept);
            out.printf("median  empty exec_to_250_s=%.3f | backlog exec_to_250_s=%.3f | added_s=%.3f%n", c, d, d - c);
            return 0;
        } finally {
            BenchHost.deleteTree(work);
        }
    }

    /** N messages accepted through the spool's own API, 256 at a time, as many sessions would. */
    private static void fill(Path spool, int n, int size) throws IOException {
        byte[] body = ("Subject: backlog\r\n\r\n" + "x".repeat(Math.max(0, size - 24)) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        try (JournalSpool s = JournalSpool.open(spool, new ChannelSpoolFiles(), Clock.systemUTC())) {
            s.recover().blockLast(Duration.ofMinutes(5));
            Flux.range(0, n).flatMap(i -> s.accept(new ReceivedMessage(s.newQueueId(), "bench@client.test",
                    List.of(new ReceivedMessage.Recipient("user" + i + "@dest.test", Set.of(), "")), BodyType.SEVEN_BIT,
                    false, "", Ret.NONE, body, new ReceivedMessage.Client("127.0.0.1", "bench.test", false, ""),
                    Instant.now())), 256).blockLast(Duration.ofMinutes(30));
        }
    }

    /**
     * Seconds from exec to the first 220 read on the relay's SMTP port, and to the 250 for a
     * message sent right after it (the listener holds new mail until recovery has listed the queue).
     */
    private static double[] execToGreeting(Path jar, Path spool, Path log) throws Exception {
        int port = BenchHost.freePort();
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                jar.toString(), "relay", "-o", "smtpd_listen=127.0.0.1:" + port, "-o", "metrics_listen=127.0.0.1:0",
                "-o", "queue_directory=" + spool, "-o", "relayhost=[127.0.0.1]:9", "-o", "inet_interfaces=127.0.0.254",
                "-o", "minimal_backoff_time=1h", "-o", "maximal_backoff_time=1h");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = t0 + TimeUnit.MINUTES.toNanos(5);
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    throw new IOException("the relay exited with " + p.exitValue() + "; see " + log);
                }
                try (Socket so = new Socket()) {
                    so.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    so.setSoTimeout(60_000);
                    InputStream in = so.getInputStream();
                    byte[] first = in.readNBytes(3);
                    if (new String(first, StandardCharsets.US_ASCII).equals("220")) {
                        double greeting = (System.nanoTime() - t0) / 1e9;
                        so.getOutputStream().write(("EHLO bench.test\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<b@dest.test>\r\n"
                                + "DATA\r\n").getBytes(StandardCharsets.US_ASCII));
                        waitFor(in, "354");
                        so.getOutputStream().write("Subject: after the restart\r\n\r\nx\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
                        waitFor(in, "250 2.0.0");
                        return new double[] {greeting, (System.nanoTime() - t0) / 1e9};
                    }
                } catch (IOException notYet) {
                    p.waitFor(10, TimeUnit.MILLISECONDS); // a pause that also notices an early exit
                }
            }
            throw new IOException("no 220 within 5 minutes");
        } finally {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Reads reply lines until one starts with {@code prefix}; an error reply is an exception. */
    private static void waitFor(InputStream in, String prefix) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b; (b = in.read()) >= 0; ) {
            if (b != '\n') {
                line.append((char) b);
                continue;
            }
            String l = line.toString().trim();
            line.setLength(0);
            if (l.startsWith(prefix)) {
                return;
            }
            if (l.startsWith("4") || l.startsWith("5")) {
                throw new IOException("the relay said: " + l);
            }
        }
        throw new IOException("the relay closed the connection");
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().endsWith(".lock")) {
                    Files.copy(p, target);
                }
            }
        }
    }


    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int m = s.size() / 2;
        return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
    }

}
