package io.postilion.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clean start or none (issue 17, CLARIFICATIONS 40): a busy port is one line naming the
 * parameter and the address and exit 71, with nothing left bound; a bad value is one line and
 * exit 78 before anything is created in queue_directory.
 */
class RelayStartTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int relay(String... overrides) {
        List<String> args = new ArrayList<>(List.of("relay", "-o", "myhostname=relay.test", "-o", "inet_interfaces=127.0.0.254",
                "-o", "queue_directory=" + dir.resolve("spool")));
        for (String o : overrides) {
            args.add("-o");
            args.add(o);
        }
        return Main.run(args.toArray(String[]::new), new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<String> errLines() {
        return err.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** A port nobody listens on now (bound and released). */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static ServerSocket busy() throws IOException {
        return new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
    }

    @Test
    void kafkaWithoutTheFleetModuleIsOneLineAndExit78NamingItBeforeTheSpoolIsTouched() throws Exception {
        assertEquals(78, relay("smtpd_listen=127.0.0.1:0", "metrics_listen=127.0.0.1:0",
                "kafka_bootstrap_servers=127.0.0.1:9092"));
        List<String> lines = errLines();
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("postilion relay: parameter kafka_bootstrap_servers is set, but the fleet module"),
                lines.get(0));
        assertFalse(Files.exists(dir.resolve("spool")), "nothing in queue_directory was created");
    }

    @Test
    void aBusySmtpPortIsOneLineAndExit71() throws Exception {
        try (ServerSocket taken = busy()) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            assertEquals(71, relay("smtpd_listen=" + address, "metrics_listen=127.0.0.1:0"));
            List<String> lines = errLines();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("postilion relay: cannot bind smtpd_listen = " + address + ": "), lines.get(0));
            assertTrue(lines.get(0).toLowerCase().contains("address already in use"), lines.get(0));
            assertFalse(Files.exists(dir.resolve("spool").resolve("admin.sock")), "the admin socket was closed again");

            // Nothing was left held: the same start fails the same way, not on the queue_directory lock.
            err.reset();
            assertEquals(71, relay("smtpd_listen=" + address, "metrics_listen=127.0.0.1:0"));
            assertEquals(1, errLines().size(), errLines().toString());
        }
    }

    @Test
    void aBusyMetricsPortIsOneLineAndExit71AndTheSmtpPortIsReleased() throws Exception {
        int smtp = freePort();
        try (ServerSocket taken = busy()) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            assertEquals(71, relay("smtpd_listen=127.0.0.1:" + smtp, "metrics_listen=" + address));
            List<String> lines = errLines();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("postilion relay: cannot bind metrics_listen = " + address + ": "), lines.get(0));
        }
        try (ServerSocket again = new ServerSocket(smtp, 1, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(smtp, again.getLocalPort(), "the SMTP listener bound before the failure was closed");
        }
    }

    @Test
    void aBusyAdminPortIsOneLineAndExit71() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "t0ken\n");
        try (ServerSocket taken = busy()) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            assertEquals(71, relay("smtpd_listen=127.0.0.1:0", "metrics_listen=127.0.0.1:0", "admin_listen=" + address,
                    "admin_token_file=" + token));
            List<String> lines = errLines();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("postilion relay: cannot bind admin_listen = " + address + ": "), lines.get(0));
        }
    }

    @Test
    void badValuesAreOneLineAndExit78BeforeTheSpoolIsTouched() {
        record Case(String override, String named) {
        }
        for (Case c : List.of(
                new Case("dns_servers=bogus", "dns_servers"),
                new Case("minimal_backoff_time=99999999999999999999w", "minimal_backoff_time"),
                new Case("smtp_connect_timeout=9999999999d", "smtp_connect_timeout"),
                new Case("admin_listen=127.0.0.1:0", "admin_token_file"),
                new Case("http_connection_limit=0", "http_connection_limit"),
                new Case("metrics_listen=localhost:9", "metrics_listen"),
                new Case("redis_url=redis://127.0.0.1:6379", "redis_url"))) { // engine alone: no fleet module
            err.reset();
            assertEquals(78, relay("smtpd_listen=127.0.0.1:0", "metrics_listen=127.0.0.1:0", c.override()), c.toString());
            List<String> lines = errLines();
            assertEquals(1, lines.size(), c + ": " + lines);
            assertTrue(lines.get(0).startsWith("postilion relay: ") && lines.get(0).contains(c.named()), c + ": " + lines);
            assertFalse(Files.exists(dir.resolve("spool")), c + ": queue_directory was touched");
        }
    }

    @Test
    void theRelayCommandsHelp() {
        for (String verb : List.of("relay", "queue", "flush", "delete")) {
            for (String flag : List.of("--help", "-h")) {
                out.reset();
                assertEquals(0, Main.run(new String[] {verb, flag}, new ByteArrayInputStream(new byte[0]),
                        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
                assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("usage: postilion " + verb), verb + " " + flag);
            }
        }
    }

    @Test
    void everyCommandTellsItsVersion() {
        for (String[] args : List.of(new String[] {"--version"}, new String[] {"relay", "--version"},
                new String[] {"send", "--version"}, new String[] {"queue", "--version"})) {
            out.reset();
            assertEquals(0, Main.run(args, new ByteArrayInputStream(new byte[0]),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
            String line = out.toString(StandardCharsets.UTF_8);
            assertTrue(line.matches("postilion \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Java .+\\)\\n"), line);
        }
    }

    /** The same in a process of its own: standard error, logs included, is one line. */
    @Test
    void aBusyPortInAProcessOfItsOwnIsOneLineOnStandardErrorAndExit71() throws Exception {
        try (ServerSocket taken = busy()) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            Path stderr = dir.resolve("stderr");
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "relay",
                    "-o", "myhostname=relay.test", "-o", "inet_interfaces=127.0.0.254",
                    "-o", "smtpd_listen=127.0.0.1:0", "-o", "metrics_listen=" + address,
                    "-o", "queue_directory=" + dir.resolve("spool"))
                    .redirectError(stderr.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the relay did not exit");
            } finally {
                p.destroyForcibly();
            }
            List<String> lines = Files.readAllLines(stderr);
            assertEquals(71, p.exitValue(), lines.toString());
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).startsWith("postilion relay: cannot bind metrics_listen = " + address), lines.get(0));
        }
    }
}
