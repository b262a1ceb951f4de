package io.postilion.engine.listener;

import io.postilion.engine.config.ClientNetworks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.listener.SmtpListenerTest.MemorySink;
import io.postilion.engine.listener.SmtpListenerTest.Raw;
import io.postilion.transport.testserver.TestCertificates;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Sinks;

/**
 * The listener under attack, as the security probe of issue 14 ran it: outsiders bind their
 * sockets to 127.0.0.5 (and 127.0.0.10-159), mynetworks is 127.0.0.1/32, and each test asserts
 * the outcome Postfix's smtpd gives. Rule ids SMTPD-n are explained in docs/listener.md.
 */
class ListenerDefenceTest {

    private static final String OUTSIDER = "127.0.0.5";

    private final MemorySink sink = new MemorySink();
    private final List<String> logLines = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> opened = new ArrayList<>();
    private SmtpListener listener;

    @AfterEach
    void stop() {
        for (AutoCloseable c : opened) {
            try {
                c.close();
            } catch (Exception ignored) {
                // already gone
            }
        }
        if (listener != null) {
            listener.close();
        }
    }

    private SmtpListener start(ListenerSettings settings) {
        listener = SmtpListener.start(settings, sink, Clock.systemUTC(), SmtpdLog.to(logLines::add))
                .block(Duration.ofSeconds(10));
        return listener;
    }

    /** mynetworks 127.0.0.1/32, errors without the sleep (tests of the sleep set it), short timeouts. */
    private static ListenerSettings settings() {
        ListenerSettings s = ListenerSettings.defaults(new InetSocketAddress("127.0.0.1", 0), "relay.test")
                .withMynetworks(ClientNetworks.parse(List.of("127.0.0.1/32")))
                .withIdleTimeout(Duration.ofSeconds(10));
        return s.withSessionLimits(s.normal().withErrors(10, 20, Duration.ZERO, 100),
                s.stress().withErrors(10, 1, Duration.ZERO, 1));
    }

    private Raw raw(String local) throws IOException {
        Raw r = new Raw(listener.port(), local);
        opened.add(r);
        return r;
    }

    private Socket socket(String local) throws IOException {
        Socket s = new Socket();
        opened.add(s);
        s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        s.connect(new InetSocketAddress("127.0.0.1", listener.port()), 3000);
        s.setSoTimeout(5000);
        return s;
    }

    private static String firstLine(Socket s) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b; (b = s.getInputStream().read()) >= 0 && b != '\n'; ) {
            sb.append((char) b);
        }
        return sb.toString().trim();
    }

    // ------------------------------------------------------------------ SMTPD-1 back-pressure

    @Test
    void smtpd1_aClientThatDoesNotReadItsRepliesStopsBeingRead_andOthersAreStillGreeted() throws Exception {
        ListenerSettings s = settings();
        start(s.withSessionLimits(s.normal().withErrors(1_000_000, 1_000_000, Duration.ZERO, 1_000_000), s.stress()));
        AtomicLong written = new AtomicLong();
        List<String> ended = new CopyOnWriteArrayList<>();
        List<Thread> flooders = new ArrayList<>();
        for (String command : List.of("NOOP\r\n", "EHLO flood.test\r\n")) {
            Socket flood = socket(OUTSIDER);
            byte[] chunk = command.repeat(4096).getBytes(StandardCharsets.US_ASCII);
            Thread t = new Thread(() -> {
                try {
                    OutputStream out = flood.getOutputStream();
                    // Bounded: 64 MB per connection, more than loopback's socket buffers (some MB each way)
                    // and the replies they hold can absorb, so a flooder still writing proves the pause.
                    for (long n = 0; n < 64L << 20; n += chunk.length) {
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException closed) {
                    ended.add(command.strip() + ": " + closed); // the test ends it, or the listener did
                }
            });
            t.setDaemon(true);
            t.start();
            flooders.add(t);
        }
        Thread.sleep(3000);
        for (Thread t : flooders) {
            assertTrue(t.isAlive(), "a flooder ended: the listener kept reading a client that reads nothing, or closed it: "
                    + ended + "; written " + written.get() + "; log " + logLines);
        }
        assertTrue(written.get() < 2 * (64L << 20), "written " + written.get());
        try (Raw c = raw("127.0.0.1")) {
            c.expect("220 ");
            c.send("QUIT\r\n");
            c.expect("221 ");
        }
        for (AutoCloseable c : opened) {
            c.close();
        }
    }

    // ------------------------------------------------------------------ SMTPD-2, SMTPD-3 junk and errors

    @Test
    void smtpd2_junkCommandsBeyondTheLimitCountAsErrors_121NoopsThen421() throws IOException {
        start(settings());
        Raw c = raw(OUTSIDER);
        c.expect("220 ");
        c.send("NOOP\r\n".repeat(130));
        for (int i = 1; i <= 121; i++) {
            c.expect("250 ");
        }
        c.expect("421 4.7.0 relay.test Error: too many errors");
        assertFalse(c.readyWithin(Duration.ofSeconds(2)), "the connection is closed after the 421");
    }

    @Test
    void smtpd3_theHardErrorLimitEndsTheSessionAfterTheReplyToTheLastError() throws IOException {
        start(settings());
        Raw c = raw(OUTSIDER);
        c.expect("220 ");
        c.send("BOGUS\r\n".repeat(25));
        for (int i = 1; i <= 20; i++) {
            c.expect("500 5.5.2 ");
        }
        c.expect("421 4.7.0 ");
    }

    @Test
    void smtpd3_fromTheSoftErrorLimitOnEveryReplyWaitsTheErrorSleepTime() throws IOException {
        ListenerSettings s = settings();
        start(s.withSessionLimits(s.normal().withErrors(2, 20, Duration.ofMillis(400), 100), s.stress()));
        Raw c = raw(OUTSIDER);
        c.expect("220 ");
        c.send("BOGUS\r\nBOGUS\r\n");
        c.expect("500 ");
        c.expect("500 ");
        long t0 = System.nanoTime();
        c.send("NOOP\r\n");
        c.expect("250 ");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 350, "the reply after two errors came after " + ms + " ms");
    }

    @Test
    void smtpd3_aDeliveredMessageForgivesEarlierErrors() throws IOException {
        start(settings());
        Raw c = raw("127.0.0.1");
        c.expect("220 ");
        c.send("BOGUS\r\n".repeat(19));
        for (int i = 0; i < 19; i++) {
            c.expect("500 ");
        }
        c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nDATA\r\n");
        c.multiline();
        c.expect("250 ");
        c.expect("250 ");
        c.expect("354 ");
        c.send("Subject: x\r\n\r\nx\r\n.\r\n");
        c.expect("250 2.0.0 Ok: queued as ");
        c.send("BOGUS\r\nNOOP\r\n");
        c.expect("500 ");
        c.expect("250 ");
    }

    // ------------------------------------------------------------------ SMTPD-4 transaction state

    @Test
    void smtpd4_aChunkSentInTheClearBeforeStarttlsNeverReachesTheEncryptedMessage() throws IOException {
        start(settings().withTls(TestCertificates.serverContext()));
        Raw c = raw("127.0.0.1");
        c.expect("220 ");
        c.send("EHLO c.test\r\n");
        c.multiline();
        String injected = "From: ceo@victim.test\r\n";
        c.send("BDAT " + injected.length() + "\r\n" + injected);
        c.expect("503 5.5.1 ");
        c.send("STARTTLS\r\n");
        c.expect("220 ");
        c.startTls();
        String body = "Subject: real\r\n\r\nreal body\r\n";
        c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nBDAT " + body.length() + " LAST\r\n" + body);
        c.multiline();
        c.expect("250 ");
        c.expect("250 ");
        c.expect("250 2.0.0 Ok: queued as ");
        assertEquals(1, sink.messages.size());
        String stored = new String(sink.messages.get(0).content(), StandardCharsets.UTF_8);
        assertFalse(stored.contains("ceo@victim.test"), stored);
        assertTrue(stored.endsWith(body), stored);
    }

    @Test
    void smtpd4_aChunkOfAnAbortedTransactionNeverReachesTheNextMessage() throws IOException {
        start(settings());
        Raw c = raw("127.0.0.1");
        c.expect("220 ");
        String chunk = "X-Injected: from the aborted transaction\r\n";
        String body = "Subject: second\r\n\r\nsecond\r\n";
        c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<first@d.test>\r\nBDAT " + chunk.length() + "\r\n" + chunk
                + "RSET\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<second@d.test>\r\nBDAT " + body.length() + " LAST\r\n" + body);
        c.multiline();
        c.expect("250 2.1.0");
        c.expect("250 2.1.5");
        c.expect("250 2.0.0 Ok: " + chunk.length() + " bytes");
        c.expect("250 2.0.0 Ok"); // RSET
        c.expect("250 2.1.0");
        c.expect("250 2.1.5");
        c.expect("250 2.0.0 Ok: queued as ");
        String stored = new String(sink.messages.get(0).content(), StandardCharsets.UTF_8);
        assertFalse(stored.contains("X-Injected"), stored);
        assertEquals("second@d.test", sink.messages.get(0).recipients().get(0).address());
    }

    @Test
    void smtpd4_aChunkAfterEhloStartsAfresh_andChunksOutsideATransactionAreThrownAway() throws IOException {
        start(settings());
        Raw c = raw("127.0.0.1");
        c.expect("220 ");
        String chunk = "X-Injected: before EHLO\r\n";
        String body = "Subject: after\r\n\r\nafter\r\n";
        c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nBDAT " + chunk.length() + "\r\n" + chunk
                + "EHLO again.test\r\nBDAT 5\r\nHELLO" + "MAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nBDAT " + body.length()
                + " LAST\r\n" + body);
        c.multiline();
        c.expect("250 2.1.0");
        c.expect("250 2.1.5");
        c.expect("250 2.0.0 Ok: ");
        c.multiline();
        c.expect("503 5.5.1 Error: need MAIL command");
        c.expect("250 2.1.0");
        c.expect("250 2.1.5");
        c.expect("250 2.0.0 Ok: queued as ");
        String stored = new String(sink.messages.get(0).content(), StandardCharsets.UTF_8);
        assertFalse(stored.contains("X-Injected") || stored.contains("HELLO"), stored);
    }

    @Test
    void smtpd4_underTlsLevelEncryptNoMailIsTakenBeforeStarttls() throws IOException {
        start(settings().withTls(TestCertificates.serverContext()).withTlsRequired(true));
        Raw c = raw("127.0.0.1");
        c.expect("220 ");
        c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\n");
        c.multiline();
        c.expect("530 5.7.0 Must issue a STARTTLS command first");
        c.send("STARTTLS\r\n");
        c.expect("220 ");
        c.startTls();
        c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\n");
        c.multiline();
        c.expect("250 2.1.0");
    }

    // ------------------------------------------------------------------ SMTPD-5 session slots

    @Test
    void smtpd5_mynetworksStillGetsIn_whileOneOutsiderHolds150ConnectionsAndManyOthersOneEach() throws Exception {
        start(settings());
        int greeted = 0;
        int tooMany = 0;
        int full = 0;
        List<String> outsiders = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            outsiders.add(OUTSIDER);
        }
        for (int i = 10; i < 160; i++) {
            outsiders.add("127.0.0." + i);
        }
        for (String address : outsiders) {
            String first = firstLine(socket(address));
            if (first.startsWith("220 ")) {
                greeted++;
            } else if (first.startsWith("421 4.7.0 relay.test Error: too many connections from")) {
                tooMany++;
            } else if (first.startsWith("421 4.3.2 ")) {
                full++;
            }
        }
        assertEquals(90, greeted, "default_process_limit 100 less the 10 kept for mynetworks");
        assertEquals(100, tooMany, "smtpd_client_connection_count_limit lets 50 of 127.0.0.5's 150 in");
        assertEquals(110, full);
        try (Raw c = raw("127.0.0.1")) {
            c.expect("220 ");
        }
        assertTrue(logLines.stream().anyMatch(l -> l.startsWith("warning: Connection concurrency limit exceeded: from unknown[127.0.0.5]")),
                logLines.toString());
    }

    @Test
    void smtpd5_underStressSlowClientsLoseTheirSlotsToTheStressTimeout() throws Exception {
        ListenerSettings s = settings().withSessions(4, 1);
        start(s.withSessionLimits(s.normal().withTimeout(Duration.ofSeconds(60)),
                s.stress().withTimeout(Duration.ofSeconds(1)).withDeadline(true, 500)));
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Socket so = socket("127.0.0." + (20 + i));
            assertTrue(firstLine(so).startsWith("220 "));
            slow.add(so);
        }
        long t0 = System.nanoTime();
        for (int round = 0; round < 10; round++) { // a byte every 300 ms would hold a slot for ever without a deadline
            for (Socket so : slow) {
                try {
                    so.getOutputStream().write('N');
                } catch (IOException closed) {
                    // cut off: expected
                }
            }
            Thread.sleep(300);
        }
        for (Socket so : slow) {
            String line = firstLine(so);
            assertTrue(line.startsWith("421 4.4.2 relay.test Error: timeout exceeded"), line);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 6000, "took " + ms + " ms");
        assertTrue(logLines.stream().anyMatch(l -> l.startsWith("timeout after CONNECT from unknown[127.0.0.2")), logLines.toString());
    }

    // ------------------------------------------------------------------ SMTPD-6 anvil rates

    @Test
    void smtpd6_perClientRateLimitsRefuseTheEventAfterTheLimit_butNotMynetworks() throws IOException {
        start(settings().withTls(TestCertificates.serverContext()).withAuth(SmtpListenerTest.alice())
                .withClientLimits(ClientLimits.defaults(ClientNetworks.parse(List.of("127.0.0.1/32"))).withRates(3, 1, 2, 1)));
        Raw c = raw(OUTSIDER);
        c.expect("220 ");
        c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nRCPT TO:<c@d.test>\r\nRCPT TO:<e@d.test>\r\n"
                + "RSET\r\nMAIL FROM:<a@c.test>\r\n");
        c.multiline();
        c.expect("250 2.1.0");
        c.expect("554 5.7.1"); // relay denied: counted before the rate, as anvil counts accepted attempts
        c.expect("554 5.7.1");
        c.expect("554 5.7.1");
        c.expect("250 ");
        c.expect("450 4.7.1 Error: too much mail from 127.0.0.5");
        c.send("STARTTLS\r\n");
        c.expect("220 ");
        c.startTls();
        c.send("EHLO c.test\r\nAUTH PLAIN " + SmtpListenerTest.b64("\u0000alice\u0000wrong") + "\r\n");
        c.multiline();
        c.expect("535 ");
        c.send("AUTH PLAIN " + SmtpListenerTest.b64("\u0000alice\u0000s3cret") + "\r\n");
        c.expect("450 4.7.1 Error: too many AUTH commands from 127.0.0.5");
        for (int i = 0; i < 2; i++) {
            assertTrue(firstLine(socket(OUTSIDER)).startsWith("220 "));
        }
        assertTrue(firstLine(socket(OUTSIDER)).startsWith("421 4.7.0 relay.test Error: too many connections from 127.0.0.5"));
        for (int i = 0; i < 5; i++) {
            assertTrue(firstLine(socket("127.0.0.1")).startsWith("220 "), "mynetworks is exempt");
        }
    }

    @Test
    void smtpd6_theRecipientRateLimitAppliesToAuthenticatedClients() throws IOException {
        start(settings().withClientLimits(ClientLimits.defaults(ClientNetworks.parse(List.of()))
                .withRates(0, 0, 2, 0)));
        Raw c = raw("127.0.0.1");
        c.expect("220 ");
        c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nRCPT TO:<c@d.test>\r\nRCPT TO:<e@d.test>\r\n");
        c.multiline();
        c.expect("250 2.1.0");
        c.expect("250 2.1.5");
        c.expect("250 2.1.5");
        c.expect("450 4.7.1 Error: too many recipients from 127.0.0.1");
    }

    // ------------------------------------------------------------------ SMTPD-7 deadlines

    @Test
    void smtpd7_withAPerRequestDeadlineAByteNowAndThenDoesNotHoldTheSession() throws Exception {
        ListenerSettings s = settings();
        start(s.withSessionLimits(s.normal().withTimeout(Duration.ofSeconds(2)).withDeadline(true, 500), s.stress()));
        Socket so = socket(OUTSIDER);
        assertTrue(firstLine(so).startsWith("220 "));
        long t0 = System.nanoTime();
        String line = "";
        for (int i = 0; i < 12 && line.isEmpty(); i++) {
            try {
                so.getOutputStream().write('X');
            } catch (IOException closed) {
                break;
            }
            Thread.sleep(500);
            if (so.getInputStream().available() > 0) {
                line = firstLine(so);
            }
        }
        if (line.isEmpty()) {
            line = firstLine(so);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(line.startsWith("421 4.4.2 "), line);
        assertTrue(ms < 4500, "the deadline of 2 s ended the request after " + ms + " ms");
    }

    @Test
    void smtpd7_withoutADeadlineEachByteRestartsTheTimeout_asPostfixDoesByDefault() throws Exception {
        ListenerSettings s = settings();
        start(s.withSessionLimits(s.normal().withTimeout(Duration.ofSeconds(1)), s.stress()));
        Socket so = socket(OUTSIDER);
        assertTrue(firstLine(so).startsWith("220 "));
        for (int i = 0; i < 6; i++) {
            so.getOutputStream().write('X');
            Thread.sleep(400);
        }
        assertEquals(0, so.getInputStream().available(), "still waiting for the line after 2.4 s");
        so.getOutputStream().write("\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(firstLine(so).startsWith("500 5.5.2 "));
    }

    // ------------------------------------------------------------------ SMTPD-8 control characters

    @Test
    void smtpd8_noControlCharacterFromTheClientReachesAHeaderADsnFieldOrTheLog() throws IOException {
        start(settings());
        Raw c = raw("127.0.0.1");
        c.expect("220 ");
        c.send("EHLO evil.test\rReceived: forged\r\n");
        c.multiline();
        c.send("MAIL FROM:<a\u0000b@c.test>\r\n");
        c.expect("501 5.1.7 Bad sender address syntax");
        c.send("MAIL FROM:<a\rb@c.test>\r\n");
        c.expect("501 5.1.7 Bad sender address syntax");
        c.send("MAIL FROM:<a@c.test> ENVID=x+0D+0AFrom:+20forged\r\n");
        c.expect("501 5.5.4 Bad ENVID parameter syntax");
        c.send("MAIL FROM:<a@c.test>\r\n");
        c.expect("250 ");
        c.send("RCPT TO:<b\rX@d.test>\r\n");
        c.expect("501 5.1.3 Bad recipient address syntax");
        c.send("RCPT TO:<b@d.test> ORCPT=rfc822;b+0D+0AX-Forged:+201@d.test\r\n");
        c.expect("501 5.5.4 ");
        c.send("RCPT TO:<b@d.test>\r\nDATA\r\n");
        c.expect("250 ");
        c.expect("354 ");
        c.send("Subject: x\r\n\r\nx\r\n.\r\n");
        c.expect("250 2.0.0 Ok: queued as ");
        String stored = new String(sink.messages.get(0).content(), StandardCharsets.UTF_8);
        String received = stored.substring(0, stored.indexOf("\r\n"));
        assertEquals("Received: from evil.test?Received: forged ([127.0.0.1])", received);
        for (String line : logLines) {
            assertFalse(line.chars().anyMatch(ch -> ch < 0x20), "a control character reached the log: " + line);
        }
    }

    @Test
    void smtpd8_aCommandLineThatIsNotUtf8IsRefused() throws IOException {
        start(settings());
        try (Socket so = socket("127.0.0.1")) {
            assertTrue(firstLine(so).startsWith("220 "));
            so.getOutputStream().write(new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xc0, (byte) 0x80, '\r', '\n'});
            assertEquals("500 5.5.2 Error: bad UTF-8 syntax", firstLine(so));
        }
    }

    // ------------------------------------------------------------------ SMTPD-9 AUTH

    @Test
    void smtpd9_authFailuresAreLoggedAndCountedAsErrors_andOverlongPasswordsFail() throws IOException {
        start(settings().withTls(TestCertificates.serverContext()).withAuth(SmtpListenerTest.alice()));
        Raw c = raw(OUTSIDER);
        c.expect("220 ");
        c.send("EHLO c.test\r\nSTARTTLS\r\n");
        c.multiline();
        c.expect("220 ");
        c.startTls();
        c.send("EHLO c.test\r\n");
        c.multiline();
        c.send("AUTH PLAIN " + SmtpListenerTest.b64("\u0000alice\u0000wrong") + "\r\n");
        c.expect("535 5.7.8 ");
        c.send("AUTH PLAIN " + SmtpListenerTest.b64("\u0000alice\u0000s3cret" + "x".repeat(80)) + "\r\n");
        c.expect("535 5.7.8 ");
        assertTrue(logLines.contains("warning: unknown[127.0.0.5]: SASL PLAIN authentication failed: authentication failure, "
                + "sasl_username=alice"), logLines.toString());
        assertTrue(logLines.stream().noneMatch(l -> l.contains("wrong") || l.contains("s3cret")), "no password in the log");
        c.send("AUTH PLAIN " + SmtpListenerTest.b64("\u0000alice\u0000s3cret") + "\r\n");
        c.expect("235 ");
    }

    @Test
    void smtpd9_anUnknownUserCostsWhatAKnownOneCosts() {
        String long72 = "p".repeat(72);
        String cost5 = at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(5, long72.toCharArray());
        String cost6 = at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(6, "pw".toCharArray());
        SaslAuthenticator auth = SaslAuthenticator.of(new io.postilion.engine.config.LookupTable() {
            @Override
            public java.util.Optional<String> find(String key) {
                return key.equals("known") ? java.util.Optional.of(cost5) : java.util.Optional.empty();
            }

            @Override
            public java.util.Optional<java.util.Collection<String>> fixedValues() {
                return java.util.Optional.of(List.of(cost5, cost5, cost6));
            }
        });
        assertEquals(5, auth.dummyCost(), "the dummy hash has the cost the table's entries use (htpasswd -B: 5)");
        for (int i = 0; i < 5; i++) { // warm up both paths
            auth.verify("known", "wrong").block();
            auth.verify("nobody", "wrong").block();
        }
        long[] known = new long[11];
        long[] unknown = new long[11];
        for (int i = 0; i < 11; i++) { // alternating which goes first
            for (int k = 0; k < 2; k++) {
                boolean knownNow = (i + k) % 2 == 0;
                long t0 = System.nanoTime();
                assertFalse(auth.verify(knownNow ? "known" : "nobody", "wrong").block());
                (knownNow ? known : unknown)[i] = System.nanoTime() - t0;
            }
        }
        java.util.Arrays.sort(known);
        java.util.Arrays.sort(unknown);
        System.out.printf("SMTPD-9 AUTH check, median of 11 alternating: known user %.2f ms, unknown user %.2f ms%n",
                known[5] / 1e6, unknown[5] / 1e6);
        assertTrue(auth.verify("known", long72).block());
        assertFalse(auth.verify("known", long72 + "extra").block(), "over 72 bytes fails, never a truncated match");
    }

    // ------------------------------------------------------------------ SMTPD-10 the log

    @Test
    void smtpd10_theListenerLogsWhatSmtpdLogs() throws IOException {
        start(settings());
        try (Raw c = raw("127.0.0.1")) {
            c.expect("220 ");
            c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nDATA\r\n");
            c.multiline();
            c.expect("250 ");
            c.expect("250 ");
            c.expect("354 ");
            c.send("Subject: x\r\n\r\nx\r\n.\r\nQUIT\r\n");
            c.expect("250 ");
            c.expect("221 ");
        }
        try (Raw c = raw(OUTSIDER)) {
            c.expect("220 ");
            c.send("HELO out.test\r\nMAIL FROM:<s@out.test>\r\nRCPT TO:<v@d.test>\r\n");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("554 ");
        }
        long until = System.nanoTime() + 5_000_000_000L;
        while (logLines.stream().filter(l -> l.startsWith("disconnect from")).count() < 2 && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        String id = sink.messages.get(0).queueId();
        assertTrue(logLines.contains("connect from unknown[127.0.0.1]"), logLines.toString());
        assertTrue(logLines.contains(id + ": client=unknown[127.0.0.1]"), logLines.toString());
        assertTrue(logLines.contains("disconnect from unknown[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"),
                logLines.toString());
        assertTrue(logLines.stream().anyMatch(l -> l.startsWith("NOQUEUE: reject: RCPT from unknown[127.0.0.5]: 554 5.7.1 "
                + "<v@d.test>: Relay access denied; from=<s@out.test> to=<v@d.test> proto=SMTP helo=<out.test>")), logLines.toString());
        assertTrue(logLines.contains("lost connection after RCPT from unknown[127.0.0.5]"), logLines.toString());
        assertTrue(logLines.contains("disconnect from unknown[127.0.0.5] helo=1 mail=1 rcpt=0/1 commands=2/3"), logLines.toString());
    }

    // ------------------------------------------------------------------ SMTPD-11 no half-dead states

    @Test
    void smtpd11_aSessionWaitingForTheSpoolTimesOutWith451() throws IOException {
        start(settings().withSinkTimeout(Duration.ofSeconds(1)));
        sink.gate = Sinks.empty(); // the spool never answers
        Raw c = raw("127.0.0.1");
        c.expect("220 ");
        c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nDATA\r\n");
        c.multiline();
        c.expect("250 ");
        c.expect("250 ");
        c.expect("354 ");
        c.send("Subject: x\r\n\r\nx\r\n.\r\n");
        c.expect("451 4.3.0 ");
        c.send("NOOP\r\n");
        c.expect("250 ");
    }

    @Test
    void smtpd11_negativeAndSignedSizesAreSyntaxErrors() throws IOException {
        start(settings());
        Raw c = raw("127.0.0.1");
        c.expect("220 ");
        c.send("EHLO c.test\r\nMAIL FROM:<a@c.test> SIZE=-1\r\nMAIL FROM:<a@c.test> SIZE=+5\r\n");
        c.multiline();
        c.expect("501 5.5.4 Bad message size syntax");
        c.expect("501 5.5.4 Bad message size syntax");
        c.send("MAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nBDAT +5\r\n");
        c.expect("250 ");
        c.expect("250 ");
        c.expect("521 5.5.4 Syntax: BDAT count [LAST]");
        assertFalse(c.readyWithin(Duration.ofSeconds(2)));
    }
}
