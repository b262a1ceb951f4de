package io.postilion.bench.fleet;

import io.postilion.bench.BenchHost;
import io.postilion.bench.RelayMetrics;
import io.postilion.bench.relay.ProcessCpu;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One relay node of the benchmark's fleet: `postilion relay` from the fleet jar as a child JVM,
 * with a spool and ports of its own, consuming the round's request topic and delivering to the
 * counting sink. It can be killed with SIGKILL and started again on the same spool and ports, as a
 * supervisor would restart it. Its standard output and error go to node.log in its directory.
 */
final class FleetNode {

    private final String name;
    private final Path dir;
    private final List<String> command;
    private final int metricsPort;
    private Process process;
    private double cpuOfEarlierLives;

    /**
     * @param java the java binary, with its options
     * @param options the relay's -o settings shared by the fleet (topics, group, sink, Redis)
     */
    FleetNode(String name, Path dir, List<String> java, Path jar, List<String> options) throws IOException {
        this.name = name;
        this.dir = dir;
        Files.createDirectories(dir);
        List<String> c = new ArrayList<>(java);
        c.addAll(List.of("-jar", jar.toString(), "relay"));
        for (String o : options) {
            c.add("-o");
            c.add(o);
        }
        this.metricsPort = BenchHost.freePort();
        for (String o : List.of("smtpd_listen=127.0.0.1:" + BenchHost.freePort(),
                "metrics_listen=127.0.0.1:" + metricsPort, "queue_directory=" + dir.resolve("spool"),
                "myhostname=" + name + ".fleet.bench")) {
            c.add("-o");
            c.add(o);
        }
        this.command = List.copyOf(c);
    }

    String name() {
        return name;
    }

    /** Starts the node and waits for its "SMTP on" line (its spool is recovered and its ingress starting). */
    void start() throws IOException, InterruptedException {
        Path log = dir.resolve("node.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = lines.readLine();
        OutputStream sink = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Thread drain = new Thread(() -> {
            try (sink; lines) {
                String l = first;
                while (l != null) {
                    sink.write((l + "\n").getBytes(StandardCharsets.UTF_8));
                    l = lines.readLine();
                }
            } catch (IOException ignored) {
                // the node is gone
            }
        }, "fleet-node-log-" + name);
        drain.setDaemon(true);
        drain.start();
        // Log lines may come before the banner; the banner is on standard output, the log on standard error.
        if (first == null || !first.startsWith("postilion relay: SMTP on")) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < until && !banner(log)) {
                if (p.waitFor(50, TimeUnit.MILLISECONDS)) {
                    break; // it ended without the banner
                }
            }
            if (!banner(log)) {
                p.destroyForcibly();
                throw new IllegalStateException(name + " did not start; see " + log);
            }
        }
        process = p;
    }

    private static boolean banner(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8).contains("postilion relay: SMTP on");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * One unlabelled gauge or counter from the node's /metrics, or -1 when the node does not
     * answer or has no such meter.
     */
    double metric(String name) {
        try {
            return new RelayMetrics(metricsPort).scrape().getOrDefault(name, -1.0);
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    long pid() {
        return process.pid();
    }

    /** CPU seconds this node has used, over all its lives. */
    double cpuSeconds() {
        return cpuOfEarlierLives + (process == null ? 0 : ProcessCpu.own(process.pid(), false));
    }

    /** SIGKILL, as a crash would; the spool stays for the next start. */
    void kill() throws InterruptedException {
        cpuOfEarlierLives += ProcessCpu.own(process.pid(), false);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait (the relay's graceful stop), then SIGKILL if it overruns. Returns the CPU it used. */
    double stop() throws InterruptedException {
        double cpu = cpuSeconds();
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        return cpu;
    }
}
