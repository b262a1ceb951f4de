package io.postilion.transport.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.postilion.transport.reply.SmtpReply;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.Handshake;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.session.Transaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real peers the interop tests talk to, as started by {@code scripts/peers/up.sh}: where they
 * listen, how to check that they are there (a missing peer fails the test with a message naming
 * the script that starts it), and where Dovecot stores what it receives.
 */
public final class Rig {

    public static final Duration WAIT = Duration.ofSeconds(60);
    public static final Duration DELIVERY_WAIT = Duration.ofSeconds(30);

    /** Same default as scripts/peers/lib.sh. */
    public static final Path RIG_DIR = Path.of(env("RIG_DIR", env("TMPDIR", "/tmp") + "/postilion-rig"));

    public static final String LOOPBACK = "127.0.0.1";
    public static final int SINK_PORT = 2527;
    public static final int POSTFIX_PORT = 2526;
    /** The second Postfix instance up.sh starts, relaying into Dovecot LMTP (LMTP_RELAY_PORT). */
    public static final int POSTFIX_LMTP_PORT = Integer.parseInt(env("LMTP_RELAY_PORT", "2536"));
    public static final int LMTP_PORT = 2424;
    public static final Path LMTP_SOCKET = RIG_DIR.resolve("lmtp/run/lmtp");
    public static final Path MAIL_ROOT = RIG_DIR.resolve("lmtp/mail");

    public static final String HELO = "client.example.test";

    private Rig() {
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }

    // ------------------------------------------------------------------ presence checks

    private static String startHint(String script) {
        return "; start the peers with `RIG_DIR=" + RIG_DIR + " scripts/peers/up.sh` (this peer: scripts/peers/"
                + script + ", stop with scripts/peers/down.sh)";
    }

    /** Fails (never skips) when nothing answers on 127.0.0.1:port. */
    public static void requireTcp(String peer, int port, String script) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LOOPBACK, port), 3000);
        } catch (IOException e) {
            fail(peer + " is not reachable on " + LOOPBACK + ":" + port + " (" + e.getMessage() + ")" + startHint(script));
        }
    }

    /** Fails (never skips) when the UNIX socket is missing or refuses connections. */
    public static void requireUnix(String peer, Path socket, String script) {
        if (!Files.exists(socket)) {
            fail(peer + " socket " + socket + " does not exist (RIG_DIR=" + RIG_DIR + ")" + startHint(script));
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            fail(peer + " is not reachable on unix:" + socket + " (" + e.getMessage() + ")" + startHint(script));
        }
    }

    // ------------------------------------------------------------------ sessions

    public static Endpoint tcp(String hostname, int port) {
        return Endpoint.inet(hostname, new InetSocketAddress(LOOPBACK, port));
    }

    public static SessionSettings smtp() {
        return SessionSettings.smtp(HELO).withTimeouts(Timeouts.all(Duration.ofSeconds(30)));
    }

    public static SessionSettings lmtp() {
        return SessionSettings.lmtp(HELO).withTimeouts(Timeouts.all(Duration.ofSeconds(30)));
    }

    public record Opened(SmtpSession session, Handshake handshake) {
    }

    /** Connects and says hello; fails the test if either does not work. */
    public static Opened open(SessionSettings settings, Endpoint endpoint) {
        SmtpClient.Connected c = SmtpClient.create(settings).connect(endpoint).block(WAIT);
        assertNotNull(c, "no connect result for " + endpoint.displayWithPort());
        if (!c.ok()) {
            fail("connect to " + endpoint.displayWithPort() + " failed: " + c.failure());
        }
        Handshake h = c.session().handshake().block(WAIT);
        assertNotNull(h, "no handshake result from " + endpoint.displayWithPort());
        if (!h.ok()) {
            c.session().close();
            fail("handshake with " + endpoint.displayWithPort() + " failed: " + h.failure() + " hello=" + h.hello());
        }
        return new Opened(c.session(), h);
    }

    // ------------------------------------------------------------------ content

    public static String token() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    /**
     * A complete message with CRLF line ends and unstuffed, whose body has lines a DATA client
     * must dot-stuff: leading dots, a lone ".", "..", a line of dots, and the last line ".".
     */
    public static String message(String token, String from, String to) {
        return "Message-ID: <" + token + "@client.example.test>\r\n"
                + "Date: Mon, 23 Nov 2026 21:00:00 +0000\r\n"
                + "From: <" + from + ">\r\n"
                + "To: <" + to + ">\r\n"
                + "Subject: interop " + token + "\r\n"
                + "\r\n"
                + "First line of " + token + ".\r\n"
                + ".leading dot\r\n"
                + "..two leading dots\r\n"
                + ".\r\n"
                + "\r\n"
                + "..\r\n"
                + "...\r\n"
                + " .not at the start\r\n"
                + "ends with a dot.\r\n"
                + ".\r\n";
    }

    /** A transaction carrying {@code message} as raw content; the session encodes it for DATA or BDAT. */
    public static Transaction transaction(String mailFrom, List<String> rcpts, String message, boolean keepOpen) {
        return new Transaction("MAIL FROM:<" + mailFrom + ">", rcpts.stream().map(r -> "RCPT TO:<" + r + ">").toList(),
                ContentSource.of(message.getBytes(StandardCharsets.US_ASCII)), ContentOptions.defaults(), keepOpen);
    }

    public static List<Integer> codes(List<SmtpReply> replies) {
        return replies.stream().map(r -> r == null ? -1 : r.code()).toList();
    }

    public static List<String> statuses(List<SmtpReply> replies) {
        return replies.stream().map(r -> r == null ? null : r.status()).toList();
    }

    // ------------------------------------------------------------------ stored mail (Dovecot maildirs)

    /** DIR/mail/<domain>/<user>/Maildir, as lmtp.sh lays it out. */
    public static Path maildir(String address) {
        int at = address.indexOf('@');
        String local = address.substring(0, at);
        int plus = local.indexOf('+');
        if (plus >= 0) {
            local = local.substring(0, plus);
        }
        return MAIL_ROOT.resolve(address.substring(at + 1)).resolve(local).resolve("Maildir");
    }

    /** Message files in new/ and cur/ of a maildir that contain {@code token}. */
    public static List<Path> filesWith(Path maildir, String token) {
        List<Path> out = new ArrayList<>();
        for (String sub : List.of("new", "cur")) {
            Path d = maildir.resolve(sub);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> files = Files.list(d)) {
                for (Path f : files.toList()) {
                    try {
                        if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(token)) {
                            out.add(f);
                        }
                    } catch (IOException gone) {
                        // moved from new/ to cur/ while we looked: the next poll finds it
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** Polls until exactly one file in the maildir carries the token; fails after DELIVERY_WAIT. */
    public static Path awaitDelivery(String address, String token) {
        Path maildir = maildir(address);
        long end = System.nanoTime() + DELIVERY_WAIT.toNanos();
        List<Path> found;
        do {
            found = filesWith(maildir, token);
            if (!found.isEmpty()) {
                assertEquals(1, found.size(), "more than one stored copy of " + token + ": " + found);
                return found.get(0);
            }
            sleep(200);
        } while (System.nanoTime() < end);
        fail("no message with " + token + " stored in " + maildir + " within " + DELIVERY_WAIT.toSeconds() + " s");
        return null;
    }

    /** Headers a server prepends on the way into the maildir (Postfix smtpd, Dovecot LMTP). */
    public static final Set<String> ADDED_HEADERS = Set.of("return-path", "delivered-to", "received");

    /**
     * Checks the stored copy: with its LF line ends turned into CRLF it must be some headers the
     * servers add (Return-Path, Delivered-To, Received) followed byte for byte by what was sent.
     */
    public static void assertStoredExactly(String sent, Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String stored = new String(raw, StandardCharsets.ISO_8859_1);
        assertFalse(stored.contains("\r"), "maildir file " + file + " has CR: expected LF line ends");
        String crlf = stored.replace("\n", "\r\n");
        String sentBody = sent.substring(sent.indexOf("\r\n\r\n") + 4);
        String storedBody = crlf.substring(crlf.indexOf("\r\n\r\n") + 4);
        assertEquals(sentBody, storedBody, "stored body differs from what was sent (" + file + ")");
        assertTrue(crlf.endsWith(sent), "stored message does not end with the sent message (" + file + "):\n" + crlf);
        String added = crlf.substring(0, crlf.length() - sent.length());
        for (String line : added.split("\r\n")) {
            if (line.isEmpty() || line.startsWith(" ") || line.startsWith("\t")) {
                continue;
            }
            int colon = line.indexOf(':');
            assertTrue(colon > 0 && ADDED_HEADERS.contains(line.substring(0, colon).toLowerCase()),
                    "unexpected header added in front of the message: '" + line + "' (" + file + ")");
        }
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    // ------------------------------------------------------------------ scripts

    /** scripts/peers, found upwards from the working directory (Surefire runs in the module). */
    public static Path peerScripts() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path s = p.resolve("scripts/peers");
            if (Files.isRegularFile(s.resolve("sink.sh"))) {
                return s;
            }
        }
        throw new AssertionError("scripts/peers not found above " + Path.of("").toAbsolutePath());
    }

    /** Runs a peer script with extra environment; returns its output; fails on a non-zero exit. */
    public static String script(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("bash");
        cmd.add(peerScripts().resolve(args[0]).toString());
        cmd.addAll(List.of(args).subList(1, args.length));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("RIG_DIR", RIG_DIR.toString());
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", cmd) + " did not finish within 60 s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                fail(String.join(" ", cmd) + " " + env + " exited " + p.exitValue() + ":\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** A free loopback port in 2540..2599 (none of the rig's or the relay's ports). */
    public static int freePort() {
        for (int port = 2540; port < 2600; port++) {
            if (port == POSTFIX_LMTP_PORT) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(LOOPBACK, port));
                return port;
            } catch (IOException busy) {
                // next
            }
        }
        throw new AssertionError("no free port in 127.0.0.1:2540-2599");
    }
}
