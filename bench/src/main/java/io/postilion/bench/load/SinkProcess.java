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
 * ({@code smtp-sink -u nobody 127.0.0.1:PORT 1000}) and stops by its own process handle.
 */
final class SinkProcess implements AutoCloseable {

    private final Process process;
    private final int port;

    private SinkProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static SinkProcess start() throws IOException, InterruptedException {
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
        Process p = new ProcessBuilder(bin, "-u", "nobody", "127.0.0.1:" + port, "1000")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("smtp-sink exited with status " + p.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new SinkProcess(p, port);
            } catch (IOException notYet) {
                p.waitFor(50, TimeUnit.MILLISECONDS); // a pause that also notices an early exit
            }
        }
        p.destroyForcibly();
        throw new IOException("smtp-sink did not listen on 127.0.0.1:" + port + " within 10 s");
    }

    int port() {
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
