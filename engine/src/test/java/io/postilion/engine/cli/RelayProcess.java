package io.postilion.engine.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code postilion relay} in a JVM of its own, for tests that need the product as a postmaster
 * runs it (its own heap, its own log file, a real SIGTERM): started with {@code -o} overrides,
 * its SMTP port read from the line it prints, stopped with SIGTERM (and killed if it hangs).
 */
public final class RelayProcess implements AutoCloseable {

    private final Process process;
    private final int smtpPort;
    private final int metricsPort;

    private RelayProcess(Process process, int smtpPort, int metricsPort) {
        this.process = process;
        this.smtpPort = smtpPort;
        this.metricsPort = metricsPort;
    }

    /**
     * Starts the relay with {@code jvmOptions} (e.g. -Xmx256m) and {@code overrides} (name=value
     * each), its standard error to {@code stderr}; returns once it listens.
     */
    public static RelayProcess start(Path stderr, List<String> jvmOptions, String... overrides) throws Exception {
        return start(List.of(), stderr, jvmOptions, overrides);
    }

    /**
     * As {@link #start(Path, List, String...)}, run by {@code wrapper}: a command that ends by
     * executing the java command line appended to it (e.g. {@code unshare -m sh -c '... exec "$@"'}).
     */
    public static RelayProcess start(List<String> wrapper, Path stderr, List<String> jvmOptions, String... overrides)
            throws Exception {
        List<String> command = new ArrayList<>(wrapper);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "relay"));
        for (String o : overrides) {
            command.add("-o");
            command.add(o);
        }
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        CompletableFuture<int[]> ports = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            Pattern listening = Pattern.compile("SMTP on [0-9.]+:(\\d+), metrics on http://[0-9.]+:(\\d+)/");
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    Matcher m = listening.matcher(line);
                    if (m.find()) {
                        ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
                    }
                }
                ports.completeExceptionally(new IOException("the relay ended before it listened"));
            } catch (IOException ended) {
                ports.completeExceptionally(ended);
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            int[] bound = ports.get(60, TimeUnit.SECONDS);
            return new RelayProcess(p, bound[0], bound[1]);
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
    }

    public int smtpPort() {
        return smtpPort;
    }

    public int metricsPort() {
        return metricsPort;
    }

    /** The process started: the relay's JVM itself, or the wrapper that executed it. */
    public Process process() {
        return process;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, then a kill if it has not ended within 10 s (a relay out of heap may never finish its hook). */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
