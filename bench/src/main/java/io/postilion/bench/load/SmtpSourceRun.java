package io.postilion.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Postfix's smtp-source on the same case, as CLARIFICATIONS 28 has it:
 * {@code smtp-source -d -s C -m N -l S -r R host:port} (connection reuse, C sessions), run under
 * /usr/bin/time for its CPU time. smtp-source adds its own headers to the S bytes of payload and
 * does not pipeline.
 */
final class SmtpSourceRun {

    private final LoadCase c;
    private final String hostPort;

    SmtpSourceRun(LoadCase c, String hostPort) {
        this.c = c;
        this.hostPort = hostPort;
    }

    static String binary() {
        for (String p : List.of("/usr/sbin/smtp-source", "/usr/bin/smtp-source")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return null;
    }

    RunResult run(Duration timeout) throws IOException, InterruptedException {
        String bin = binary();
        if (bin == null) {
            throw new IOException("smtp-source not found (Debian package postfix)");
        }
        boolean timed = Files.isExecutable(Path.of("/usr/bin/time"));
        List<String> cmd = new java.util.ArrayList<>();
        if (timed) {
            cmd.addAll(List.of("/usr/bin/time", "-f", "cpu %U %S"));
        }
        cmd.addAll(List.of(bin, "-d", "-s", Integer.toString(c.concurrency()), "-m", Integer.toString(c.messages()),
                "-l", Integer.toString(c.size()), "-r", Integer.toString(c.recipients()), hostPort));
        Path err = Files.createTempFile("smtp-source", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(err.toFile());
            long t0 = System.nanoTime();
            Process p = pb.start();
            boolean ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (!ended) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            double cpu = Double.NaN;
            for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.split(" ");
                    cpu = Double.parseDouble(f[1]) + Double.parseDouble(f[2]);
                } else if (!line.isBlank()) {
                    System.err.println("smtp-source: " + line);
                }
            }
            boolean ok = ended && p.exitValue() == 0;
            return new RunResult("smtp-source", c.messages(), ok ? 0 : c.messages(), seconds, cpu, -1, null);
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
