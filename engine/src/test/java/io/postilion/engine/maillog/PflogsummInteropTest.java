package io.postilion.engine.maillog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.cli.RelayProcess;
import io.postilion.transport.interop.Rig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pflogsumm reads our maillog_file as it reads Postfix's (issue 17): the same traffic through
 * {@code postilion relay} (in a process of its own) and through the rig's Postfix on 2526, both
 * relaying to smtp-sink, then pflogsumm over each log; the counts it prints must agree. The
 * refused recipient is refused by each relay's own policy: an outsider (127.0.0.5) at ours, the
 * rig's {@code rcpt-reject@} at Postfix. Bytes differ by the headers each relay adds, so they are
 * printed, not compared. Our relay runs with smtp_log_tls_feature_status = no: pflogsumm 1.1.5
 * (Debian 12) does not know the tls= field that Postfix 3.10 and later write too.
 */
@Tag("interop")
class PflogsummInteropTest {

    private static final Path PFLOGSUMM = Path.of("/usr/sbin/pflogsumm");

    @TempDir
    Path dir;

    @Test
    void pflogsummCountsOurLogAsItCountsPostfixs() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(PFLOGSUMM), "pflogsumm is installed by scripts/peers/install.sh");
        Rig.requireTcp("Postfix smtpd", Rig.POSTFIX_PORT, "postfix-relay.sh");
        Path postfixLog = Rig.RIG_DIR.resolve("postfix/maillog");
        long postfixStart = Files.exists(postfixLog) ? Files.size(postfixLog) : 0;
        String token = Rig.token();

        Path ourLog = dir.resolve("maillog");
        try (RelayProcess relay = RelayProcess.start(dir.resolve("relay.err"), List.of(), "myhostname=relay.example.test",
                "inet_interfaces=127.0.0.254", "smtpd_listen=127.0.0.1:0", "metrics_listen=127.0.0.1:0",
                "mynetworks=127.0.0.1/32", "queue_directory=" + dir.resolve("spool"),
                "relayhost=[127.0.0.1]:" + Rig.SINK_PORT, "maillog_file=" + ourLog, "smtp_log_tls_feature_status=no")) {
            traffic(relay.smtpPort(), token, "127.0.0.5", "rcpt@dest.example.test");
            traffic(Rig.POSTFIX_PORT, token, "127.0.0.1", "rcpt-reject@dest.example.test");
            awaitSent(ourLog, 0, 4);
            awaitSent(postfixLog, postfixStart, 4);
        }
        Path postfixTail = dir.resolve("postfix.maillog");
        byte[] all = Files.readAllBytes(postfixLog);
        Files.write(postfixTail, java.util.Arrays.copyOfRange(all, (int) postfixStart, all.length));

        Map<String, Long> ourCounts = pflogsumm(ourLog, "postilion");
        Map<String, Long> postfixCounts = pflogsumm(postfixTail, "postfix");
        System.out.println("pflogsumm over our maillog_file:  " + ourCounts);
        System.out.println("pflogsumm over Postfix's maillog: " + postfixCounts);
        long ourBytes = ourCounts.remove("bytes received");
        long postfixBytes = postfixCounts.remove("bytes received");
        assertEquals(postfixCounts, ourCounts, "pflogsumm's counts differ; our log:\n" + Files.readString(ourLog));
        assertEquals(Map.of("received", 3L, "delivered", 4L, "deferred", 0L, "bounced", 0L, "rejected", 1L, "senders", 2L,
                "recipients", 4L), Map.copyOf(ourCounts));
        assertTrue(ourBytes > 0 && postfixBytes > 0, ourBytes + " / " + postfixBytes);
    }

    /** Three messages from mynetworks (one with two recipients), one recipient refused. */
    private static void traffic(int port, String token, String rejectFrom, String rejectTo) throws IOException {
        String[][] messages = {
            {"s1-" + token + "@a.example.test", "r1-" + token + "@dest.example.test"},
            {"s2-" + token + "@a.example.test", "r2-" + token + "@dest.example.test", "r3-" + token + "@dest.example.test"},
            {"s1-" + token + "@a.example.test", "r4-" + token + "@dest.example.test"}};
        for (String[] m : messages) {
            try (Dialogue d = new Dialogue(port, "127.0.0.1")) {
                d.expect("220");
                d.say("EHLO client.example.test", "250");
                d.say("MAIL FROM:<" + m[0] + ">", "250");
                for (int i = 1; i < m.length; i++) {
                    d.say("RCPT TO:<" + m[i] + ">", "250");
                }
                d.say("DATA", "354");
                d.say("Subject: pflogsumm " + token + "\r\nMessage-ID: <" + token + "." + m[1] + ">\r\n\r\nbody\r\n.", "250");
                d.say("QUIT", "221");
            }
        }
        try (Dialogue d = new Dialogue(port, rejectFrom)) {
            d.expect("220");
            d.say("EHLO client.example.test", "250");
            d.say("MAIL FROM:<s3-" + token + "@a.example.test>", "250");
            d.say("RCPT TO:<" + rejectTo + ">", "5");
            d.say("QUIT", "221");
        }
    }

    private static void awaitSent(Path log, long from, int n) throws Exception {
        long until = System.nanoTime() + Rig.DELIVERY_WAIT.toNanos();
        while (System.nanoTime() < until) {
            if (Files.exists(log)) {
                String text = new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1).substring((int) from);
                if (Pattern.compile("status=sent").matcher(text).results().count() >= n) {
                    Thread.sleep(500); // let the removed lines follow
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("fewer than " + n + " deliveries in " + log);
    }

    private static Map<String, Long> pflogsumm(Path log, String syslogName) throws Exception {
        Process p = new ProcessBuilder(PFLOGSUMM.toString(), "--syslog-name=" + syslogName, "--zero-fill", log.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        Map<String, Long> counts = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*(\\d+)([km]?)\\s+(received|delivered|deferred|bounced|rejected|bytes received"
                + "|senders|recipients)\\b").matcher(out.substring(out.indexOf("Grand Totals")));
        while (m.find()) {
            long v = Long.parseLong(m.group(1)) * (m.group(2).equals("k") ? 1024 : m.group(2).equals("m") ? 1024 * 1024 : 1);
            counts.putIfAbsent(m.group(3), v);
        }
        return counts;
    }

    /** A one-command-at-a-time SMTP client that checks each reply's first digits. */
    private static final class Dialogue implements AutoCloseable {
        private final Socket socket = new Socket();
        private final BufferedReader in;
        private final OutputStream out;

        Dialogue(int port, String local) throws IOException {
            socket.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(20_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            out = socket.getOutputStream();
        }

        void say(String command, String expected) throws IOException {
            out.write((command + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            expect(expected);
        }

        void expect(String prefix) throws IOException {
            String line;
            do {
                line = in.readLine();
                assertTrue(line != null && line.startsWith(prefix), "expected " + prefix + ", got " + line);
            } while (line.length() > 3 && line.charAt(3) == '-');
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
