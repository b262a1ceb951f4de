package io.postilion.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.interop.Rig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The send command exactly as README shows it, against the real peers that scripts/peers/up.sh
 * starts: smtp-sink, Postfix smtpd (relaying into Dovecot so the stored copy can be compared),
 * Dovecot LMTP over TCP and its UNIX socket, and MX-based delivery through Knot's test zone.
 */
@Tag("interop")
class SendCommandInteropTest {

    private static final String FROM = "sender@client.example.test";
    private static final String USER = "user1@example.test";
    private static final String KNOT = "127.0.0.1:5353";
    /** LOOKUP-8: keep 127.0.0.1 out of "myself" so MX hosts on loopback are not loops (CLARIFICATIONS 20). */
    private static final String NOT_ME = "inet_interfaces=127.0.0.254";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void peersAreUp() {
        Rig.requireTcp("smtp-sink", Rig.SINK_PORT, "sink.sh");
        Rig.requireTcp("Postfix smtpd", Rig.POSTFIX_PORT, "postfix-relay.sh");
        Rig.requireTcp("Postfix smtpd relaying into Dovecot", Rig.POSTFIX_LMTP_PORT, "up.sh");
        Rig.requireTcp("Dovecot LMTP", Rig.LMTP_PORT, "lmtp.sh");
        Rig.requireUnix("Dovecot LMTP", Rig.LMTP_SOCKET, "lmtp.sh");
        Rig.requireTcp("Knot", 5353, "dns.sh");
    }

    @Test
    void aMessageToSmtpSinkIsSentAndExitsZero() throws IOException {
        String token = Rig.token();
        int rc = send(message(token, "b@dest.example.test"), "--to", "b@dest.example.test",
                "--nexthop", "[127.0.0.1]:" + Rig.SINK_PORT);
        assertEquals(0, rc, transcript());
        List<String> lines = lines();
        assertEquals(1, lines.size(), transcript());
        assertLine(lines.get(0), "b@dest.example.test", "127.0.0.1[127.0.0.1]:" + Rig.SINK_PORT, "2.0.0", "sent", "250 ");
        assertTrue(lines.get(0).contains(", tls=may:none, "), "smtp-sink offers no STARTTLS (LOG-5): " + lines.get(0));
    }

    @ParameterizedTest(name = "smtp_use_chunking={0}")
    @ValueSource(strings = {"yes", "no"})
    void aMessageThroughPostfixSmtpdArrivesInDovecotByteForByte(String chunking) throws IOException {
        String token = Rig.token();
        String sent = Rig.message(token, FROM, USER);
        int rc = send(sent, "--to", USER, "--nexthop", "[127.0.0.1]:" + Rig.POSTFIX_LMTP_PORT,
                "-o", "smtp_use_chunking=" + chunking);
        assertEquals(0, rc, transcript());
        assertLine(lines().get(0), USER, "127.0.0.1[127.0.0.1]:" + Rig.POSTFIX_LMTP_PORT, "2.0.0", "sent", "250 2.0.0 Ok");
        assertTrue(lines().get(0).contains(", tls=may, "), "Postfix's STARTTLS was used (LOG-5): " + lines().get(0));
        Rig.assertStoredExactly(sent, Rig.awaitDelivery(USER, token));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tcp", "unix"})
    void lmtpGivesEveryRecipientItsOwnOutcome(String transport) throws IOException {
        String token = Rig.token();
        String sent = Rig.message(token, FROM, USER);
        String nexthop = transport.equals("tcp") ? "inet:127.0.0.1:" + Rig.LMTP_PORT : "unix:" + Rig.LMTP_SOCKET;
        int rc = send(sent, "--lmtp", "--to", USER, "--to", "nosuchuser@example.test", "--to", "overquota@example.test",
                "--to", "tempquota@example.test", "--nexthop", nexthop, "-o", "myhostname=client.example.test");
        assertEquals(69, rc, "a bounce makes the exit status 69: " + transcript());
        List<String> lines = lines();
        assertEquals(4, lines.size(), transcript());
        String relay = transport.equals("tcp") ? "127.0.0.1[127.0.0.1]:" + Rig.LMTP_PORT
                : "client.example.test[" + Rig.LMTP_SOCKET + "]";
        assertLine(lines.get(0), USER, relay, "2.0.0", "sent", "250 2.0.0 <" + USER + ">");
        assertLine(lines.get(1), "nosuchuser@example.test", relay, "5.1.1", "bounced", "host ");
        assertLine(lines.get(2), "overquota@example.test", relay, "5.2.2", "bounced", "host ");
        assertLine(lines.get(3), "tempquota@example.test", relay, "4.2.2", "deferred", "host ");
        Rig.assertStoredExactly(sent, Rig.awaitDelivery(USER, token));
    }

    @Test
    void aDeferralWithoutBouncesExitsSeventyFive() throws IOException {
        int rc = send(message(Rig.token(), "tempquota@example.test"), "--lmtp", "--to", "tempquota@example.test",
                "--nexthop", "inet:127.0.0.1:" + Rig.LMTP_PORT);
        assertEquals(75, rc, transcript());
        assertLine(lines().get(0), "tempquota@example.test", "127.0.0.1[127.0.0.1]:" + Rig.LMTP_PORT, "4.2.2",
                "deferred", "host 127.0.0.1[127.0.0.1] said: 452 4.2.2 ");
    }

    @Test
    void mxDeliveryFollowsKnotsZoneToTheBestMx() throws IOException {
        String token = Rig.token();
        String sent = Rig.message(token, FROM, USER);
        int rc = send(sent, "--to", USER, "--nexthop", "example.test:" + Rig.POSTFIX_LMTP_PORT,
                "-o", "dns_servers=" + KNOT, "-o", NOT_ME, "-o", "inet_protocols=ipv4");
        assertEquals(0, rc, transcript());
        assertLine(lines().get(0), USER, "mx1.example.test[127.0.0.1]:" + Rig.POSTFIX_LMTP_PORT, "2.0.0", "sent", "250 ");
        Rig.assertStoredExactly(sent, Rig.awaitDelivery(USER, token));
    }

    /** Issue 18's Done-means: smtp_tcp_port from -o is the port of the MX hosts Knot names (DEST-8). */
    @Test
    void dest8_sendWithSmtpTcpPortDeliversToTheMxHostsOnThatPort() throws IOException {
        int rc = send(message(Rig.token(), "b@dest.example.test"), "--to", "b@dest.example.test",
                "--nexthop", "example.test", "-o", "smtp_tcp_port=" + Rig.POSTFIX_PORT, "-o", "dns_servers=" + KNOT,
                "-o", NOT_ME, "-o", "inet_protocols=ipv4");
        assertEquals(0, rc, transcript());
        assertLine(lines().get(0), "b@dest.example.test", "mx1.example.test[127.0.0.1]:" + Rig.POSTFIX_PORT, "2.0.0",
                "sent", "250 2.0.0 Ok");
    }

    /** DEST-7: a service name in smtp_tcp_port is looked up in known_tcp_ports. */
    @Test
    void dest7_sendWithAServiceNameInSmtpTcpPortUsesKnownTcpPorts() throws IOException {
        int rc = send(message(Rig.token(), "b@dest.example.test"), "--to", "b@dest.example.test",
                "--nexthop", "example.test", "-o", "known_tcp_ports=smtp=25, rig-postfix=" + Rig.POSTFIX_PORT,
                "-o", "smtp_tcp_port=rig-postfix", "-o", "dns_servers=" + KNOT, "-o", NOT_ME, "-o", "inet_protocols=ipv4");
        assertEquals(0, rc, transcript());
        assertLine(lines().get(0), "b@dest.example.test", "mx1.example.test[127.0.0.1]:" + Rig.POSTFIX_PORT, "2.0.0",
                "sent", "250 ");
    }

    @Test
    void mxDeliveryMovesPastAddressesThatRefuseTheConnection() throws IOException {
        // multi-host has 127.0.0.1..4 and ::1; only 127.0.0.1 has a listener on the sink's port.
        int rc = send(message(Rig.token(), "b@multi.example.test"), "--to", "b@multi.example.test",
                "--nexthop", "multi.example.test:" + Rig.SINK_PORT, "-o", "dns_servers=" + KNOT, "-o", NOT_ME,
                "-o", "smtp_mx_address_limit=0");
        assertEquals(0, rc, transcript());
        assertLine(lines().get(0), "b@multi.example.test", "multi-host.example.test[127.0.0.1]:" + Rig.SINK_PORT,
                "2.0.0", "sent", "250 ");
    }

    @Test
    void aNullMxBouncesWithoutConnecting() throws IOException {
        int rc = send(message(Rig.token(), "b@nullmx.example.test"), "--to", "b@nullmx.example.test",
                "--nexthop", "nullmx.example.test:" + Rig.SINK_PORT, "-o", "dns_servers=" + KNOT, "-o", NOT_ME);
        assertEquals(69, rc, transcript());
        assertLine(lines().get(0), "b@nullmx.example.test", "none", "5.1.0", "bounced",
                "Domain nullmx.example.test does not accept mail (nullMX)");
    }

    @Test
    void anUnknownDomainInTheTestZoneBounces() throws IOException {
        int rc = send(message(Rig.token(), "b@nosuch.example.test"), "--to", "b@nosuch.example.test",
                "--nexthop", "nosuch.example.test:" + Rig.SINK_PORT, "-o", "dns_servers=" + KNOT, "-o", NOT_ME);
        assertEquals(69, rc, transcript());
        assertLine(lines().get(0), "b@nosuch.example.test", "none", "5.4.4", "bounced", "Host or domain name not found");
    }

    // ------------------------------------------------------------------ helpers

    @Test
    void postfixSmtpdLogsTheForwardedQueueIdWhenXforwardIsOn_MISC4_XFER2() throws Exception {
        String token = Rig.token();
        int rc = send(message(token, "b@dest.example.test"), "--to", "b@dest.example.test",
                "--nexthop", "[127.0.0.1]:" + Rig.POSTFIX_PORT, "-o", "smtp_send_xforward_command=yes");
        assertEquals(0, rc, transcript());
        String queueId = lines().get(0).substring(0, lines().get(0).indexOf(':'));
        Path maillog = Rig.RIG_DIR.resolve("postfix/maillog");
        String needle = "orig_queue_id=" + queueId;
        long end = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
        String log = "";
        while (System.nanoTime() < end) {
            log = Files.exists(maillog) ? Files.readString(maillog, StandardCharsets.ISO_8859_1) : "";
            if (log.contains(needle)) {
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(log.contains(needle), "Postfix smtpd accepted XFORWARD IDENT=" + queueId + "; maillog tail: "
                + log.substring(Math.max(0, log.length() - 2000)));
    }

    private static String message(String token, String to) {
        return Rig.message(token, FROM, to);
    }

    /** Runs {@code send --from FROM ARGS... FILE} the way the command line does, with the message in a file. */
    private int send(String message, String... args) throws IOException {
        Path file = Files.writeString(dir.resolve("message.eml"), message, StandardCharsets.US_ASCII);
        List<String> argv = new ArrayList<>(List.of("send", "--from", FROM));
        argv.addAll(Arrays.asList(args));
        argv.add(file.toString());
        return Main.run(argv.toArray(String[]::new), new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<String> lines() {
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private String transcript() {
        return "stdout:\n" + out.toString(StandardCharsets.UTF_8) + "stderr:\n" + err.toString(StandardCharsets.UTF_8);
    }

    /** One Postfix-format result line (LOG-2), with the reason starting as given (and tls=, LOG-5, after a server). */
    private static void assertLine(String line, String rcpt, String relay, String dsn, String status, String reasonStart) {
        Pattern p = Pattern.compile("[0-9A-F]{10}: to=<" + Pattern.quote(rcpt) + ">, relay=" + Pattern.quote(relay)
                + ", delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+(, tls=!?[a-z-]+(:[a-z-]+)?\\??)?, dsn=" + Pattern.quote(dsn) + ", status="
                + status + " \\(" + Pattern.quote(reasonStart) + ".*\\)");
        assertTrue(p.matcher(line).matches(), "expected " + status + " " + dsn + " via " + relay + ", got: " + line);
    }
}
