package io.postilion.bench.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Postfix smtp-sink the harness starts for itself on a free loopback port
 * ({@code smtp-sink -u nobody 127.0.0.1:PORT 1000}) and stops by its own process handle. Started
 * {@link #startCounting counting}, it runs with {@code -c} and the harness reads the messages it
 * has taken from its running counters ({@code sess=S quit=Q mesg=M}, one line per session, QUIT
 * or end of data), so a relay benchmark can wait for a real sink to have every message.
 */
public final class SinkProcess implements AutoCloseable {

    private static final java.util.regex.Pattern MESSAGES = java.util.regex.Pattern.compile("mesg=(\\d+)");

    private final Process process;
    private final int port;
    private final java.util.concurrent.atomic.AtomicLong messages = new java.util.concurrent.atomic.AtomicLong();

    private SinkProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static SinkProcess start() throws IOException, InterruptedException {
        return start(false, n -> { });
    }

    /**
     * An smtp-sink that counts: {@code counted} is told the number of messages it has taken (the
     * end of DATA, or the last BDAT) each time it changes, on a reader thread of the harness.
     */
    public static SinkProcess startCounting(java.util.function.LongConsumer counted) throws IOException, InterruptedException {
        return start(true, counted);
    }

    private static SinkProcess start(boolean counting, java.util.function.LongConsumer counted)
            throws IOException, InterruptedException {
        String bin = null;
        for (String p : List.of("/usr/sbin/smtp-sink", "/usr/bin/smtp-sink")) {
            if (Files.isExecutable(Path.of(p))) {
                bin = p;
            }
        }
        if (bin == null) {
            throw new IOException("smtp-sink not found (Debian package postfix)");
        }
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        List<String> command = new java.util.ArrayList<>(List.of(bin, "-u", "nobody"));
        if (counting) {
            command.add("-c");
        }
        command.addAll(List.of("127.0.0.1:" + port, "1000"));
        Process p = new ProcessBuilder(command).redirectOutput(counting ? ProcessBuilder.Redirect.PIPE
                : ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        SinkProcess sink = new SinkProcess(p, port);
        if (counting) {
            Thread reader = new Thread(() -> sink.readCounters(counted), "smtp-sink-counters");
            reader.setDaemon(true);
            reader.start();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("smtp-sink exited with status " + p.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return sink;
            } catch (IOException notYet) {
                p.waitFor(50, TimeUnit.MILLISECONDS); // a pause that also notices an early exit
            }
        }
        p.destroyForcibly();
        throw new IOException("smtp-sink did not listen on 127.0.0.1:" + port + " within 10 s");
    }

    /** The counters come as {@code sess=0 quit=0 mesg=1\r}; the last mesg= seen is the count. */
    private void readCounters(java.util.function.LongConsumer counted) {
        try (var in = process.getInputStream()) {
            StringBuilder line = new StringBuilder();
            for (int b; (b = in.read()) != -1; ) {
                if (b == '\r' || b == '\n') {
                    java.util.regex.Matcher m = MESSAGES.matcher(line);
                    if (m.find()) {
                        long n = Long.parseLong(m.group(1));
                        if (n != messages.getAndSet(n)) {
                            counted.accept(n);
                        }
                    }
                    line.setLength(0);
                } else if (line.length() < 200) {
                    line.append((char) b);
                }
            }
        } catch (IOException | NumberFormatException ended) {
            // the sink was stopped (or printed something else); the count stays where it was
        }
    }

    /** Messages the sink has taken so far (counting sinks only). */
    public long messages() {
        return messages.get();
    }

    public int port() {
        return port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
