package io.postilion.fleet.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The redis-server the fleet's integration tests share: the one scripts/fleet/redis.sh started
 * under RIG_DIR. A test that finds none is skipped; a test that stops and starts it goes through the
 * same script, which brings it back on the same URL.
 */
final class RedisRig {

    static final Path RIG_DIR = Path.of(System.getenv().getOrDefault("RIG_DIR",
            System.getenv().getOrDefault("TMPDIR", "/tmp") + "/postilion-rig"));
    static final Path SCRIPT = Path.of("../scripts/fleet/redis.sh").toAbsolutePath().normalize();

    private RedisRig() {
    }

    /** The rig's URL as redis.sh wrote it now. */
    static String currentUrl() throws IOException {
        return Files.readString(RIG_DIR.resolve("redis.url"), StandardCharsets.US_ASCII).trim();
    }

    /** The rig's URL, or the calling test skipped when there is no rig or nothing answers there. */
    static String urlOrSkip() throws IOException {
        Path file = RIG_DIR.resolve("redis.url");
        Assumptions.assumeTrue(Files.isReadable(file), "no redis rig (start it with scripts/fleet/redis.sh start): " + file);
        String url = currentUrl();
        Assumptions.assumeTrue(answers(url), "nothing answers at " + url);
        return url;
    }

    /** A PING over a plain socket, so that the skip does not depend on the code under test. */
    private static boolean answers(String redisUrl) {
        URI u = URI.create(redisUrl);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 1000);
            s.setSoTimeout(1000);
            s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] b = new byte[7];
            int n = s.getInputStream().read(b);
            return n > 0 && new String(b, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** Skips the calling test when the script that stops and starts the server is not there. */
    static void assumeScript() {
        Assumptions.assumeTrue(Files.isExecutable(SCRIPT), "no " + SCRIPT);
    }

    /** {@code redis.sh stop} or {@code start}, bounded to 30 s. */
    static void redis(String verb) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString(), verb).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("RIG_DIR", RIG_DIR.toString());
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("redis.sh " + verb + " did not finish");
        }
        assertEquals(0, p.exitValue(), "redis.sh " + verb);
    }
}
