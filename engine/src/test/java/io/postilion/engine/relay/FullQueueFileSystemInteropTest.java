package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.cli.RelayProcess;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk for real, where the seam tests ({@code JournalRelayTest},
 * {@code JournalGroupCommitTest}) only pretend: {@code postilion relay} runs in a mount namespace
 * of its own ({@code unshare -m}) whose queue_directory is a 16 MiB tmpfs, and the test fills that
 * file system from outside through {@code nsenter}. The kernel, not a seam, then answers ENOSPC to
 * the journal's write, in the middle of a message.
 *
 * <p>Mounting needs root: the test runs as root (CI), or through {@code sudo -n} where that works,
 * and is skipped, saying so, otherwise. Tagged interop: {@code mvn -B verify -Pinterop} runs it.
 */
@Tag("interop")
class FullQueueFileSystemInteropTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Empty as root; {@code sudo -n} for a user who may use it without a password. */
    private static List<String> asRoot = List.of();

    @TempDir
    Path dir;

    @BeforeAll
    static void rootOrSudo() throws Exception {
        if (!run(List.of("id", "-u")).strip().equals("0")) {
            Process sudo = new ProcessBuilder("sudo", "-n", "true").redirectErrorStream(true).start();
            boolean mayUseSudo = sudo.waitFor(10, TimeUnit.SECONDS) && sudo.exitValue() == 0;
            Assumptions.assumeTrue(mayUseSudo, "mounting a tmpfs in a mount namespace of its own needs root, "
                    + "and sudo -n is not allowed here; CI runs this test as root");
            asRoot = List.of("sudo", "-n");
        }
        for (String tool : List.of("unshare", "nsenter", "mount", "dd", "df")) {
            assertEquals(0, new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor(), tool + " is missing");
        }
    }

    @Test
    void aFullQueueFileSystemRefusesTheMessageItCannotStoreKeepsEverythingAcceptedAndTakesMailAgainWhenSpaceReturns()
            throws Exception {
        try {
            fillTheQueueFileSystemUnderTheRelay();
        } catch (Exception | AssertionError e) {
            Path log = dir.resolve("relay.log");
            String tail = Files.exists(log) ? Files.readString(log) : "(no relay.log)";
            e.addSuppressed(new AssertionError("the relay's log:\n" + tail.substring(Math.max(0, tail.length() - 8000))));
            throw e;
        }
    }

    private void fillTheQueueFileSystemUnderTheRelay() throws Exception {
        Path mount = Files.createDirectories(dir.resolve("queue-fs"));
        Path spool = mount.resolve("spool");
        List<String> inItsOwnMountNamespace = new ArrayList<>(asRoot);
        inItsOwnMountNamespace.addAll(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs -o size=16m,mode=0700 tmpfs \"$0\" && exec \"$@\"", mount.toString()));
        try (FakeSmtpServer server = FakeSmtpServer.start();
                RelayProcess relay = RelayProcess.start(inItsOwnMountNamespace, dir.resolve("relay.log"), List.of("-Xmx256m"),
                        "myhostname=relay.test", "inet_interfaces=127.0.0.254", "smtpd_listen=127.0.0.1:0",
                        "metrics_listen=127.0.0.1:0", "queue_directory=" + spool, "relayhost=[127.0.0.1]:" + server.port(),
                        "minimal_backoff_time=1s", "maximal_backoff_time=1s",
                        // MAIL is refused (452) below 4 MiB free, or when 2 MiB is two thirds of what is free.
                        "queue_minfree=" + (4 << 20), "message_size_limit=" + (2 << 20))) {
            Namespace fs = new Namespace(relay, mount);
            assertTrue(fs.run("sh", "-c", "grep -q \" $0 tmpfs \" /proc/self/mounts", mount.toString()).isEmpty(),
                    "the queue directory is on the namespace's own tmpfs");
            assertTrue(fs.available() > 14 << 20, "16 MiB, nearly all free: " + fs.available());

            // Accepted while there is room, and kept queued: the next hop says "not now".
            server.reply(FakeSmtpServer.Stage.GREETING, "421 4.3.2 not now");
            for (int i = 1; i <= 3; i++) {
                assertEquals("250", send(relay, message("before " + i, 4096)).substring(0, 3));
            }
            await(() -> queued(relay, "deferred") + queued(relay, "active") == 3 && queued(relay, "deferred") >= 1,
                    "the three messages to be queued and deferred", relay);

            // A message under way when the file system fills: MAIL and RCPT pass, its content does not fit.
            try (Session s = new Session(relay.smtpPort())) {
                s.command("EHLO client.test", "250");
                s.command("MAIL FROM:<app@client.test>", "250");
                s.command("RCPT TO:<user@dest.test>", "250");
                s.command("DATA", "354");
                fs.fill();
                assertEquals(0, fs.available(), "the filler took every block");
                String reply = s.content(message("while full", 1 << 20));
                assertTrue(reply.startsWith("451 4.3.0"), "the store failed with ENOSPC mid-message, a temporary "
                        + "refusal: " + reply);
            }
            assertTrue(relay.isAlive(), "the relay keeps running");
            Thread.sleep(1500); // the free space is read once a second
            try (Session s = new Session(relay.smtpPort())) {
                s.command("EHLO client.test", "250");
                String reply = s.command("MAIL FROM:<app@client.test>", "452");
                assertEquals("452 4.3.1 Insufficient system storage", reply, "refused early now that the relay knows");
            }
            assertEquals(3, queued(relay, "deferred") + queued(relay, "active"), "nothing accepted was lost");
            assertEquals(3, fs.messageFiles(), "each accepted message still has its queue file");

            fs.emptyFiller();
            Thread.sleep(1500);
            assertEquals("250", send(relay, message("after", 4096)).substring(0, 3), "mail is taken again");

            server.reply(FakeSmtpServer.Stage.GREETING, "220 fake ESMTP");
            await(() -> server.contents().size() >= 4, "every accepted message to be delivered", relay);
            await(() -> queued(relay, "deferred") + queued(relay, "active") == 0, "the queue to empty", relay);
            List<String> delivered = server.contents().stream().map(b -> new String(b, StandardCharsets.US_ASCII)).toList();
            for (String subject : List.of("before 1", "before 2", "before 3", "after")) {
                assertEquals(1, delivered.stream().filter(b -> b.contains("Subject: " + subject + "\r\n")).count(),
                        subject + " delivered once: " + delivered.size() + " deliveries");
            }
            assertTrue(delivered.stream().noneMatch(b -> b.contains("Subject: while full")), "the refused one was never queued");
            assertEquals(4, delivered.size());
            assertTrue(relay.isAlive());
        }
        String log = Files.readString(dir.resolve("relay.log"));
        // What the relay said about the full file system, for the record.
        log.lines().filter(l -> l.contains("No space") || l.contains("journal:") || l.contains("write error")
                || l.contains("reject:") || l.contains("cannot")).forEach(System.out::println);
        assertTrue(log.contains("No space left on device"), "the kernel's ENOSPC, not a seam's: " + log);
        assertTrue(!log.contains("cannot record delivery results"), "every result of the retries while full was recorded");
    }

    /** A message of about {@code size} bytes whose subject names it. */
    private static String message(String subject, int size) {
        StringBuilder b = new StringBuilder("Subject: " + subject + "\r\n\r\n");
        while (b.length() < size) {
            b.append("x".repeat(76)).append("\r\n");
        }
        return b.toString();
    }

    /** One whole transaction; the reply to the end of the content. */
    private static String send(RelayProcess relay, String message) throws IOException {
        try (Session s = new Session(relay.smtpPort())) {
            s.command("EHLO client.test", "250");
            s.command("MAIL FROM:<app@client.test>", "250");
            s.command("RCPT TO:<user@dest.test>", "250");
            s.command("DATA", "354");
            return s.content(message);
        }
    }

    /** The relay's own count of messages in {@code state}, from its /metrics. */
    private static long queued(RelayProcess relay, String state) {
        try {
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + relay.metricsPort() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            String series = "postilion_queue_messages{state=\"" + state + "\"} ";
            return metrics.lines().filter(l -> l.startsWith(series))
                    .mapToLong(l -> (long) Double.parseDouble(l.substring(series.length()))).findFirst().orElse(-1);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("cannot read the relay's metrics", e);
        }
    }

    private static void await(BooleanSupplier done, String what, RelayProcess relay) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (!done.getAsBoolean()) {
            assertTrue(relay.isAlive(), "the relay ended while waiting for " + what);
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(command + " did not end");
        }
        return out;
    }

    /** The relay's mount namespace, reached with nsenter: the tmpfs at {@code mount} is only visible there. */
    private static final class Namespace {
        private final long pid;
        private final Path mount;

        Namespace(RelayProcess relay, Path mount) {
            // unshare and sh exec the JVM, so the process started is the relay; under sudo it is sudo's child.
            Process p = relay.process();
            this.pid = asRoot.isEmpty() ? p.pid() : p.children().findFirst().orElseThrow().pid();
            this.mount = mount;
        }

        /** Runs {@code command} inside the namespace; its output, after a check that it succeeded. */
        String run(String... command) throws IOException, InterruptedException {
            List<String> c = new ArrayList<>(asRoot);
            c.addAll(List.of("nsenter", "-t", Long.toString(pid), "-m", "--"));
            c.addAll(List.of(command));
            Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), c + " did not end");
            assertEquals(0, p.exitValue(), c + ": " + out);
            return out;
        }

        /** Bytes free on the tmpfs, as df reports them there. */
        long available() throws IOException, InterruptedException {
            String out = run("df", "-B1", "--output=avail", mount.toString());
            return Long.parseLong(out.strip().lines().reduce((a, b) -> b).orElseThrow().strip());
        }

        /** Writes zeros to a filler file until the kernel says the file system is full. */
        void fill() throws IOException, InterruptedException {
            run("sh", "-c", "dd if=/dev/zero of=\"$0\" bs=64k 2>/dev/null; true", mount.resolve("filler").toString());
        }

        void emptyFiller() throws IOException, InterruptedException {
            run("rm", "-f", mount.resolve("filler").toString());
        }

        /** Queue files of messages (incoming/, active/, deferred/). */
        long messageFiles() throws IOException, InterruptedException {
            Path spool = mount.resolve("spool");
            String out = run("find", spool.resolve("incoming").toString(), spool.resolve("active").toString(),
                    spool.resolve("deferred").toString(), "-type", "f");
            return out.lines().filter(l -> !l.isBlank()).count();
        }
    }

    /** A plain SMTP client, one command at a time, so the test can act between DATA and the content. */
    private static final class Session implements AutoCloseable {
        private final Socket socket = new Socket();
        private final BufferedReader in;
        private final OutputStream out;

        Session(int port) throws IOException {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout((int) WAIT.toMillis());
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
            String greeting = reply();
            assertTrue(greeting.startsWith("220"), greeting);
        }

        /** Sends {@code line}; its reply (the last line), which must start with {@code expected}. */
        String command(String line, String expected) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String r = reply();
            assertTrue(r.startsWith(expected), line + " -> " + r);
            return r;
        }

        /** Sends the content (no line starts with a dot) and its end; the reply. */
        String content(String message) throws IOException {
            out.write((message + ".\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply();
        }

        private String reply() throws IOException {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.length() < 4 || line.charAt(3) != '-') {
                    return line;
                }
            }
            throw new IOException("the relay closed the connection");
        }

        @Override
        public void close() throws IOException {
            try {
                out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException gone) {
                // closing anyway
            } finally {
                socket.close();
            }
        }
    }
}
