package io.postilion.bench.startup;

import io.postilion.bench.load.SinkProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code postilion-bench startup}: the wall time of {@code postilion send} of one message to a
 * local smtp-sink, from exec to exit, the old way beside the new one in the same run (CLARIFICATIONS
 * 37(b): the new figure is compared with the previous jar's, never with a fixed number). Old: a
 * plain {@code java -jar OLD.jar send ...}, which is all the launcher did before. New: the
 * launcher ({@code ./postilion send ...}) with its start-up archive. For each JDK (the bench's own,
 * and {@code --java} if given; the launcher gets it as POSTILION_JAVA) one untimed launch first
 * makes the archive, then K rounds alternate which of the two goes first; it prints each round,
 * the medians and the ratio new/old. Every child is bounded by {@code --timeout}.
 */
public final class StartupCommand {

    static final String HELP = String.join("\n",
            "usage: postilion-bench startup [--launcher ./postilion] [--old-jar engine/target/postilion.jar]",
            "                               [--java JDK/bin/java] [--rounds K] [--timeout SECONDS]",
            "  --launcher FILE   the new way: the launcher script (its own jar, with its start-up archive)",
            "  --old-jar FILE    the old way: java -jar FILE (default: the launcher's jar, run plainly)",
            "  --java FILE       also measure this JDK (e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java)",
            "  --rounds K        timed rounds per JDK, old and new alternating (default 5)",
            "  --timeout S       bound on each send (default 60)",
            "Prints per JDK: median old_s, new_s and ratio new/old (wall time of one send to smtp-sink).");

    private Path launcher = Path.of("postilion");
    private Path oldJar;
    private final List<String> javas = new ArrayList<>();
    private int rounds = 5;
    private long timeoutSeconds = 60;

    private StartupCommand() {
    }

    /** Runs the command; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        StartupCommand cmd = new StartupCommand();
        cmd.javas.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--launcher" -> cmd.launcher = Path.of(args[++i]);
                    case "--old-jar" -> cmd.oldJar = Path.of(args[++i]);
                    case "--java" -> cmd.javas.add(args[++i]);
                    case "--rounds" -> cmd.rounds = Integer.parseInt(args[++i]);
                    case "--timeout" -> cmd.timeoutSeconds = Long.parseLong(args[++i]);
                    case "--help", "-h" -> {
                        out.println(HELP);
                        return 0;
                    }
                    default -> {
                        err.println("postilion-bench startup: unknown argument " + args[i] + "\n" + HELP);
                        return 64;
                    }
                }
            }
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            err.println("postilion-bench startup: bad arguments (" + e.getMessage() + ")\n" + HELP);
            return 64;
        }
        if (cmd.rounds < 1) {
            err.println("postilion-bench startup: --rounds must be at least 1");
            return 64;
        }
        if (cmd.oldJar == null) {
            cmd.oldJar = cmd.launcher.toAbsolutePath().normalize().getParent().resolve("engine/target/postilion.jar");
        }
        if (!Files.isExecutable(cmd.launcher) || !Files.isReadable(cmd.oldJar)) {
            err.println("postilion-bench startup: needs the launcher " + cmd.launcher + " and the jar " + cmd.oldJar
                    + " (./postilion --version builds it)");
            return 66;
        }
        try {
            return cmd.execute(out, err);
        } catch (IOException e) {
            err.println("postilion-bench startup: " + e);
            return 70;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 70;
        }
    }

    /** The wall time of one send and whether it was delivered (exit 0 and a status=sent line). */
    record Timed(double seconds, boolean sent, String output) {
    }

    private int execute(PrintStream out, PrintStream err) throws IOException, InterruptedException {
        int failures = 0;
        try (SinkProcess sink = SinkProcess.startCounting(n -> { })) {
            String nexthop = "[127.0.0.1]:" + sink.port();
            out.printf(Locale.ROOT, "# startup: send of one message to smtp-sink %s; old = java -jar %s, new = %s;"
                    + " %d rounds per JDK, alternating; %d CPUs%n", nexthop, oldJar, launcher, rounds,
                    Runtime.getRuntime().availableProcessors());
            for (String java : javas) {
                String version = javaVersion(java);
                List<String> old = List.of(java, "-jar", oldJar.toString());
                List<String> fresh = List.of(launcher.toString());
                Map<String, String> env = Map.of("POSTILION_JAVA", java);
                // untimed: the launcher makes its archive for this jar and java if it has none
                long t0 = System.nanoTime();
                Timed prepare = send(fresh, env, nexthop);
                out.printf(Locale.ROOT, "prepare     java=%s launcher's first send %.2f s (%s)%n", version,
                        (System.nanoTime() - t0) / 1e9, prepare.sent() ? "sent" : "NOT SENT");
                out.println("archive     " + archives(java));
                send(old, Map.of(), nexthop); // untimed: page cache
                List<Double> olds = new ArrayList<>();
                List<Double> news = new ArrayList<>();
                for (int k = 1; k <= rounds; k++) {
                    boolean oldFirst = k % 2 == 1;
                    Timed a = send(oldFirst ? old : fresh, oldFirst ? Map.of() : env, nexthop);
                    Timed b = send(oldFirst ? fresh : old, oldFirst ? env : Map.of(), nexthop);
                    Timed o = oldFirst ? a : b;
                    Timed n = oldFirst ? b : a;
                    for (Timed t : List.of(o, n)) {
                        if (!t.sent()) {
                            failures++;
                            err.println("postilion-bench startup: a send failed: " + t.output().strip());
                        }
                    }
                    olds.add(o.seconds());
                    news.add(n.seconds());
                    out.printf(Locale.ROOT, "round %d     java=%s old_s=%.3f new_s=%.3f%n", k, version, o.seconds(),
                            n.seconds());
                }
                double mo = median(olds);
                double mn = median(news);
                out.printf(Locale.ROOT, "median      java=%s old_s=%.3f new_s=%.3f ratio new/old=%.2f%n", version, mo, mn,
                        mn / mo);
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private Timed send(List<String> command, Map<String, String> env, String nexthop)
            throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(command);
        argv.addAll(List.of("send", "--from", "bench@postilion.test", "--to", "rcpt@example.test", "--nexthop", nexthop));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        try (OutputStream in = p.getOutputStream()) {
            in.write("Subject: start-up\r\n\r\none message\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        boolean ended = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!ended) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        String text = output.join();
        return new Timed(seconds, ended && p.exitValue() == 0 && text.contains("status=sent"), text);
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The feature version of a java binary, from its release file (e.g. 17.0.15). */
    private static String javaVersion(String java) throws IOException {
        Path home = Path.of(java).toRealPath().getParent().getParent();
        for (String line : Files.readAllLines(home.resolve("release"), StandardCharsets.UTF_8)) {
            if (line.startsWith("JAVA_VERSION=")) {
                return line.substring("JAVA_VERSION=".length()).replace("\"", "");
            }
        }
        return java;
    }

    /** The start-up archives next to the launcher's jar (the launcher names them postilion-start.*). */
    private String archives(String java) throws IOException {
        Path dir = launcher.toAbsolutePath().getParent().resolve("engine/target");
        List<String> names = new ArrayList<>();
        try (var files = Files.list(dir)) {
            files.map(f -> f.getFileName().toString())
                    .filter(f -> f.startsWith("postilion-start.") && (f.endsWith(".jsa") || f.endsWith(".aot")))
                    .sorted().forEach(names::add);
        }
        return names.isEmpty() ? "none made (see " + dir.resolve("postilion-start.log") + ")" : String.join(" ", names);
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
