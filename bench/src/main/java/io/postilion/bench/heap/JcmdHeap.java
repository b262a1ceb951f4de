package io.postilion.bench.heap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The heap of another JVM as a number we can compare across a run: the bytes of live objects,
 * from {@code jcmd PID GC.class_histogram}. Without {@code -all} that command runs a full GC
 * and then counts what survived, in the same pause, so the figure is what the relay keeps and
 * nothing it merely has not collected yet. Reading it from outside keeps the harness's own
 * objects out of it.
 *
 * <p>Not {@code GC.run} followed by {@code GC.heap_info}: those are two jcmd calls, each a JVM
 * start (half a second or more on a busy machine), and a relay under load allocates tens of MiB in
 * between, which heap_info's "used" then counts; on this machine that added up to 20 MiB of noise
 * to single samples. heap_info also counts whole regions, not objects.
 */
final class JcmdHeap {

    /** The histogram's last line: "Total  INSTANCES  BYTES". */
    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");
    /** One jcmd call may take this long (a full GC and a count of a 256 MiB heap take about a second). */
    private static final long LIMIT_SECONDS = 120;

    private final String jcmd;

    private JcmdHeap(String jcmd) {
        this.jcmd = jcmd;
    }

    /** jcmd beside the running java (the JDK's), else the one on the PATH. */
    static JcmdHeap locate() {
        Path beside = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        return new JcmdHeap(Files.isExecutable(beside) ? beside.toString() : "jcmd");
    }

    /** Bytes of live objects in process {@code pid}, counted right after a full GC. */
    long liveAfterFullGc(long pid) throws IOException, InterruptedException {
        return total(run(pid, "GC.class_histogram"));
    }

    /** The byte total of a class histogram. */
    static long total(String histogram) throws IOException {
        Matcher m = TOTAL.matcher(histogram);
        if (!m.find()) {
            String text = histogram.strip();
            throw new IOException("no Total line in GC.class_histogram: "
                    + text.substring(Math.max(0, text.length() - 300)));
        }
        return Long.parseLong(m.group(2));
    }

    private String run(long pid, String what) throws IOException, InterruptedException {
        // Output to a file, so that a jcmd that hangs is caught by the bounded wait, not by a read.
        Path out = Files.createTempFile("postilion-jcmd", ".txt");
        try {
            Process p = new ProcessBuilder(jcmd, Long.toString(pid), what).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("jcmd " + pid + " " + what + " did not finish within " + LIMIT_SECONDS + " s");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException("jcmd " + pid + " " + what + " exited with " + p.exitValue() + ": " + text.strip());
            }
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
