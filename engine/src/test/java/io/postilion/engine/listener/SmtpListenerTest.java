package io.postilion.engine.listener;

import io.postilion.engine.config.ClientNetworks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.Handshake;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.session.Transaction;
import io.postilion.transport.session.TransactionResult;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.testserver.TestCertificates;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

class SmtpListenerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Keeps what it is given; completes at once, or when the test says so. */
    static final class MemorySink implements MessageSink {
        final List<ReceivedMessage> messages = new CopyOnWriteArrayList<>();
        final AtomicInteger ids = new AtomicInteger();
        volatile Sinks.Empty<Void> gate;
        volatile boolean fail;
        /** The free-space check answers no (queue_minfree reached). */
        volatile boolean full;

        @Override
        public boolean hasRoomFor(long declaredSize) {
            return !full;
        }

        @Override
        public String newQueueId() {
            return String.format("Q%09X", ids.incrementAndGet());
        }

        @Override
        public Mono<Void> accept(ReceivedMessage message) {
            if (fail) {
                return Mono.error(new IOException("disk full"));
            }
            Mono<Void> wait = gate == null ? Mono.empty() : gate.asMono();
            return wait.then(Mono.fromRunnable(() -> messages.add(message)));
        }
    }

    private final MemorySink sink = new MemorySink();
    private SmtpListener listener;

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.close();
        }
    }

    private SmtpListener start(ListenerSettings settings) {
        listener = SmtpListener.start(settings, sink, Clock.systemUTC()).block(WAIT);
        return listener;
    }

    private static ListenerSettings settings() {
        return ListenerSettings.defaults(new InetSocketAddress("127.0.0.1", 0), "relay.test")
                .withIdleTimeout(Duration.ofSeconds(5));
    }

    @Test
    void ourOwnClientDeliversThroughTheListenerByteForByte() {
        start(settings());
        String message = "Subject: round trip\r\n\r\n.leading dot\r\nbody\r\n";
        for (boolean chunking : new boolean[] {false, true}) {
            SessionSettings client = SessionSettings.smtp("client.test").withChunking(chunking)
                    .withTimeouts(Timeouts.all(Duration.ofSeconds(3))).withTls(TlsLevel.NONE, false);
            SmtpSession s = SmtpClient.create(client).connect(Endpoint.inet("relay.test",
                    new InetSocketAddress("127.0.0.1", listener.port()))).block(WAIT).session();
            Handshake h = s.handshake(false).block(WAIT);
            assertTrue(h.ok(), String.valueOf(h.failure()));
            assertTrue(h.capabilities().pipelining() && h.capabilities().chunking() && h.capabilities().dsn());
            TransactionResult r = s.transaction(new Transaction("MAIL FROM:<a@client.test>",
                    List.of("RCPT TO:<b@dest.test> NOTIFY=SUCCESS,FAILURE", "RCPT TO:<c@dest.test>"),
                    ContentSource.of(message.getBytes(StandardCharsets.US_ASCII)), ContentOptions.defaults(), false))
                    .block(WAIT);
            assertEquals(chunking, r.usedBdat());
            assertEquals(250, r.finals().get(0).code(), r.toString());
            assertTrue(r.finals().get(0).text().contains("queued as Q"), r.toString());
        }
        assertEquals(2, sink.messages.size());
        for (ReceivedMessage m : sink.messages) {
            String stored = new String(m.content(), StandardCharsets.US_ASCII);
            assertTrue(stored.startsWith("Received: from client.test ([127.0.0.1])\r\n\tby relay.test (Postilion) with ESMTP id "
                    + m.queueId()), stored);
            assertTrue(stored.endsWith(message), "content kept exactly, unstuffed: " + stored);
            assertEquals("a@client.test", m.sender());
            assertEquals(2, m.recipients().size());
            assertEquals(2, m.recipients().get(0).notifyOn().size());
        }
    }

    @Test
    void pipelinedCommandsGetTheirRepliesInOrder() throws IOException {
        start(settings());
        try (Raw c = new Raw(listener.port(), null)) {
            c.expect("220 ");
            c.send("EHLO c.test\r\nMAIL FROM:<a@c.test> SIZE=10\r\nRCPT TO:<b@d.test>\r\nRCPT TO:bad\r\nDATA\r\n");
            c.expectMultiline("250 CHUNKING");
            c.expect("250 2.1.0");
            c.expect("250 2.1.5");
            c.expect("501 ");
            c.expect("354 ");
            c.send("Subject: p\r\n\r\nx\r\n.\r\nQUIT\r\n");
            c.expect("250 2.0.0 Ok: queued as ");
            c.expect("221 ");
        }
        assertEquals(1, sink.messages.size());
    }

    @Test
    void clientsOutsideMynetworksAreRefusedAtRcpt_neverAnOpenRelay() throws IOException {
        start(settings().withMynetworks(ClientNetworks.parse(List.of("127.0.0.1/32"))));
        try (Raw c = new Raw(listener.port(), "127.0.0.2")) {
            c.expect("220 ");
            c.send("HELO outsider.test\r\n");
            c.expect("250 ");
            c.send("MAIL FROM:<spam@outsider.test>\r\n");
            c.expect("250 ");
            c.send("RCPT TO:<victim@elsewhere.test>\r\n");
            c.expect("554 5.7.1 <victim@elsewhere.test>: Relay access denied");
            c.send("DATA\r\n");
            c.expect("554 5.5.1 Error: no valid recipients");
        }
        assertTrue(sink.messages.isEmpty());
    }

    @Test
    void aSmuggledSecondMessageStaysInsideTheFirst() throws IOException {
        start(settings());
        try (Raw c = new Raw(listener.port(), null)) {
            c.expect("220 ");
            c.send("HELO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nDATA\r\n");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("354 ");
            c.send("Subject: one\r\n\r\nhello\n.\nMAIL FROM:<evil@c.test>\nRCPT TO:<x@d.test>\nDATA\nSubject: two\n\r\n.\r\n");
            c.expect("250 2.0.0 Ok: queued as ");
        }
        assertEquals(1, sink.messages.size(), "one message, not two");
        String stored = new String(sink.messages.get(0).content(), StandardCharsets.US_ASCII);
        assertTrue(stored.contains("MAIL FROM:<evil@c.test>\r\n"), stored);
    }

    @Test
    void theReplyToTheDotWaitsUntilTheMessageIsSafe() throws IOException {
        start(settings());
        sink.gate = Sinks.empty();
        try (Raw c = new Raw(listener.port(), null)) {
            c.expect("220 ");
            c.send("HELO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nDATA\r\n");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("354 ");
            c.send("x\r\n.\r\nNOOP\r\n");
            assertFalse(c.readyWithin(Duration.ofMillis(500)), "no reply before the sink completes");
            sink.gate.tryEmitEmpty();
            c.expect("250 2.0.0 Ok: queued as ");
            c.expect("250 2.0.0 Ok"); // the NOOP that waited
        }
    }

    @Test
    void aSinkFailureIsATemporaryErrorSoTheClientKeepsTheMessage() throws IOException {
        start(settings());
        sink.fail = true;
        try (Raw c = new Raw(listener.port(), null)) {
            c.expect("220 ");
            c.send("HELO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nDATA\r\n");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("354 ");
            c.send("x\r\n.\r\n");
            c.expect("451 4.3.0 ");
        }
    }

    @Test
    void sizeAndRecipientLimitsAreEnforced() throws IOException {
        start(settings().withLimits(100, 2, 100));
        try (Raw c = new Raw(listener.port(), null)) {
            c.expect("220 ");
            c.send("EHLO c.test\r\n");
            c.expectMultiline("250 CHUNKING");
            c.send("MAIL FROM:<a@c.test> SIZE=101\r\n");
            c.expect("552 5.3.4 ");
            c.send("MAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nRCPT TO:<c@d.test>\r\nRCPT TO:<d@d.test>\r\nDATA\r\n");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("452 4.5.3 Error: too many recipients");
            c.expect("354 ");
            c.send("x".repeat(200) + "\r\n.\r\n");
            c.expect("552 5.3.4 Error: message file too big");
        }
        assertTrue(sink.messages.isEmpty());
    }

    @Test
    void tooManyReceivedHeadersIsALoop_CLARIFICATIONS4() throws IOException {
        start(settings().withHopcountLimit(2));
        try (Raw c = new Raw(listener.port(), null)) {
            c.expect("220 ");
            c.send("HELO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nDATA\r\n");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("354 ");
            c.send("Received: a\r\nReceived: b\r\nreceived: c\r\n\r\nbody\r\n.\r\n");
            c.expect("554 5.4.6 Error: too many hops");
        }
    }

    /**
     * Postfix's cleanup_message.c counts the Received: headers with smtpd's own on top and refuses
     * when the count reaches hopcount_limit ({@code hop_count >= var_hopcount_limit}): with the
     * default 50, a message arriving with 48 Received: headers passes and one with 49 is refused.
     */
    @Test
    void theHopLimitTriggersWhereCleanupsDoesAtFortyNineReceivedHeaders_CLARIFICATION4() throws IOException {
        start(settings());
        try (Raw c = new Raw(listener.port(), null)) {
            c.expect("220 ");
            c.send("HELO c.test\r\n");
            c.expect("250 ");
            for (int received : new int[] {48, 49}) {
                c.send("MAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nDATA\r\n");
                c.expect("250 ");
                c.expect("250 ");
                c.expect("354 ");
                c.send("Received: hop\r\n".repeat(received) + "Subject: hops\r\n\r\nbody\r\n.\r\n");
                c.expect(received == 48 ? "250 2.0.0 Ok: queued as " : "554 5.4.6 Error: too many hops");
            }
        }
        assertEquals(1, sink.messages.size());
    }

    @Test
    void bdatChunksAreCountedExactly() throws IOException {
        start(settings());
        try (Raw c = new Raw(listener.port(), null)) {
            c.expect("220 ");
            c.send("EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\n");
            c.expectMultiline("250 CHUNKING");
            c.expect("250 ");
            c.expect("250 ");
            c.send("BDAT 9\r\nab\r\n.\r\ncdBDAT 0 LAST\r\n");
            c.expect("250 2.0.0 Ok: 9 bytes");
            c.expect("250 2.0.0 Ok: queued as ");
        }
        String stored = new String(sink.messages.get(0).content(), StandardCharsets.US_ASCII);
        assertTrue(stored.endsWith("\r\nab\r\n.\r\ncd"), stored);
    }

    @Test
    void starttlsStartsTlsAndDropsWhatWasPipelinedInTheClear() throws IOException {
        start(settings().withTls(TestCertificates.serverContext()));
        SessionSettings client = SessionSettings.smtp("client.test").withTimeouts(Timeouts.all(Duration.ofSeconds(3)))
                .withTls(TlsLevel.ENCRYPT, false);
        SmtpSession s = SmtpClient.create(client).connect(Endpoint.inet("relay.test",
                new InetSocketAddress("127.0.0.1", listener.port()))).block(WAIT).session();
        Handshake h = s.handshake(false).block(WAIT);
        assertTrue(h.ok(), String.valueOf(h.failure()));
        assertTrue(s.tlsActive(), "the session is encrypted");
        assertFalse(h.capabilities().startTls(), "STARTTLS is not offered again inside TLS");
        TransactionResult r = s.transaction(new Transaction("MAIL FROM:<a@client.test>", List.of("RCPT TO:<b@d.test>"),
                ContentSource.of("Subject: tls\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)), ContentOptions.defaults(),
                false)).block(WAIT);
        assertEquals(250, r.finals().get(0).code(), r.toString());
        assertTrue(new String(sink.messages.get(0).content(), StandardCharsets.US_ASCII).contains("with ESMTPS id"));

        try (Raw c = new Raw(listener.port(), null)) {
            c.expect("220 ");
            c.send("EHLO c.test\r\n");
            c.expectMultiline("250 CHUNKING");
            c.send("STARTTLS\r\nMAIL FROM:<injected@c.test>\r\n");
            c.expect("220 2.0.0 Ready to start TLS");
            c.startTls();
            c.send("MAIL FROM:<a@c.test>\r\n");
            c.expect("503 5.5.1 Error: send HELO/EHLO first"); // not "nested MAIL": the injected one is gone
            c.send("EHLO c.test\r\n");
            c.expectMultiline("250 CHUNKING");
        }
    }

    @Test
    void sessionsOverTheLimitAreTurnedAwayWith421() throws IOException {
        start(settings().withLimits(10_240_000, 1000, 1));
        try (Raw first = new Raw(listener.port(), null)) {
            first.expect("220 ");
            try (Raw second = new Raw(listener.port(), null)) {
                second.expect("421 4.3.2 ");
            }
        }
    }

    static SaslAuthenticator alice() {
        String hash = at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(4, "s3cret".toCharArray());
        return SaslAuthenticator.of(new io.postilion.engine.config.LookupTable() {
            @Override
            public java.util.Optional<String> find(String key) {
                return key.equals("alice") ? java.util.Optional.of(hash) : java.util.Optional.empty();
            }

            @Override
            public java.util.Optional<java.util.Collection<String>> fixedValues() {
                return java.util.Optional.of(List.of(hash));
            }
        });
    }

    static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private ListenerSettings authSettings() {
        return settings().withMynetworks(ClientNetworks.parse(List.of("127.0.0.1/32")))
                .withTls(TestCertificates.serverContext()).withAuth(alice());
    }

    @Test
    void authIsOfferedOnlyInsideTlsAndRefusedInTheClear() throws IOException {
        start(authSettings());
        try (Raw c = new Raw(listener.port(), "127.0.0.2")) {
            c.expect("220 ");
            c.send("EHLO c.test\r\n");
            List<String> ehlo = c.multiline();
            assertTrue(ehlo.stream().noneMatch(l -> l.contains("AUTH")), ehlo.toString());
            c.send("AUTH PLAIN " + b64("\u0000alice\u0000s3cret") + "\r\n");
            c.expect("538 5.7.11 ");
        }
    }

    @Test
    void anAuthenticatedClientOutsideMynetworksMayRelay() throws IOException {
        start(authSettings());
        try (Raw c = new Raw(listener.port(), "127.0.0.2")) {
            c.expect("220 ");
            c.send("EHLO c.test\r\nSTARTTLS\r\n");
            c.multiline();
            c.expect("220 ");
            c.startTls();
            c.send("EHLO c.test\r\n");
            assertTrue(c.multiline().contains("250-AUTH PLAIN LOGIN"));
            c.send("AUTH PLAIN " + b64("\u0000alice\u0000s3cret") + "\r\n");
            c.expect("235 2.7.0 ");
            c.send("MAIL FROM:<alice@c.test>\r\nRCPT TO:<x@far.test>\r\nDATA\r\n");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("354 ");
            c.send("Subject: auth\r\n\r\nx\r\n.\r\n");
            c.expect("250 2.0.0 Ok: queued as ");
        }
        ReceivedMessage m = sink.messages.get(0);
        assertEquals("alice", m.client().authenticatedAs());
        assertTrue(new String(m.content(), StandardCharsets.US_ASCII).contains("with ESMTPSA id"));
    }

    @Test
    void aWrongPasswordIsRefusedAndRelayStaysClosed() throws IOException {
        start(authSettings());
        try (Raw c = new Raw(listener.port(), "127.0.0.2")) {
            c.expect("220 ");
            c.send("EHLO c.test\r\nSTARTTLS\r\n");
            c.multiline();
            c.expect("220 ");
            c.startTls();
            c.send("EHLO c.test\r\n");
            c.multiline();
            c.send("AUTH LOGIN\r\n");
            c.expect("334 VXNlcm5hbWU6");
            c.send(b64("alice") + "\r\n");
            c.expect("334 UGFzc3dvcmQ6");
            c.send(b64("wrong") + "\r\n");
            c.expect("535 5.7.8 ");
            c.send("AUTH PLAIN " + b64("\u0000mallory\u0000s3cret") + "\r\n");
            c.expect("535 5.7.8 ");
            c.send("MAIL FROM:<m@c.test>\r\nRCPT TO:<x@far.test>\r\n");
            c.expect("250 ");
            c.expect("554 5.7.1 ");
        }
        assertTrue(sink.messages.isEmpty());
    }

    @Test
    void relayDomainsTakeMailFromAnyoneForThoseDomainsOnly() throws IOException {
        start(settings().withMynetworks(ClientNetworks.parse(List.of("127.0.0.1/32")))
                .withRelayDomains(RelayDomains.parse(List.of("example.com", ".sub.example.net"))));
        try (Raw c = new Raw(listener.port(), "127.0.0.5")) {
            c.expect("220 ");
            c.send("HELO outsider.test\r\nMAIL FROM:<a@outsider.test>\r\nRCPT TO:<u@example.com>\r\nRCPT TO:<u@mx.EXAMPLE.com>\r\n"
                    + "RCPT TO:<u@example.net>\r\nRCPT TO:<u@a.sub.example.net>\r\nRCPT TO:<u@sub.example.net>\r\n"
                    + "RCPT TO:<u@notexample.com>\r\n");
            c.expect("250 ");
            c.expect("250 ");
            c.expect("250 2.1.5");
            c.expect("250 2.1.5");
            c.expect("554 5.7.1 <u@example.net>: Relay access denied");
            c.expect("250 2.1.5");
            c.expect("554 5.7.1 <u@sub.example.net>");
            c.expect("554 5.7.1 <u@notexample.com>");
        }
        assertThrows(() -> RelayDomains.parse(List.of("hash:/etc/postfix/relay_domains")));
    }

    @Test
    void aClientInTheBareNewlineExclusionsKeepsTheLegacyMeaning() throws IOException {
        start(settings().withBareNewline(BareNewlinePolicy.REJECT)
                .withBareNewlineExclusions(ClientNetworks.parse(List.of("127.0.0.2/32"))));
        for (String client : new String[] {"127.0.0.1", "127.0.0.2"}) {
            try (Raw c = new Raw(listener.port(), client)) {
                c.expect("220 ");
                c.send("HELO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@d.test>\r\nDATA\r\n");
                c.expect("250 ");
                c.expect("250 ");
                c.expect("250 ");
                c.expect("354 ");
                c.send("Subject: x\r\n\r\nbare\nLF\r\n.\r\n");
                c.expect(client.equals("127.0.0.1") ? "550 5.5.2 Error: bare <LF> received" : "250 2.0.0 Ok: queued as ");
            }
        }
        assertEquals(1, sink.messages.size());
    }

    @Test
    void aPasswordTableWithPlaintextIsRefused() {
        var bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SaslAuthenticator.of(new io.postilion.engine.config.LookupTable() {
                    @Override
                    public java.util.Optional<String> find(String key) {
                        return java.util.Optional.of("hunter2");
                    }

                    @Override
                    public java.util.Optional<java.util.Collection<String>> fixedValues() {
                        return java.util.Optional.of(List.of("hunter2"));
                    }
                }));
        assertTrue(bad.getMessage().contains("plaintext"), bad.getMessage());
        assertThrows(() -> SaslAuthenticator.of(key -> java.util.Optional.empty()));
    }

    private static void assertThrows(org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, e);
    }

    /** A plain socket client, so tests control every byte and the pipelining. */
    static final class Raw implements AutoCloseable {
        private Socket socket;
        private BufferedReader in;
        private OutputStream out;

        Raw(int port, String localAddress) throws IOException {
            socket = new Socket();
            if (localAddress != null) {
                socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), 3000);
            socket.setSoTimeout(5000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
        }

        /** Switches to TLS over the same connection, trusting any certificate (test peer). */
        void startTls() throws IOException {
            try {
                javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
                ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                    @Override
                    public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {
                    }

                    @Override
                    public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {
                    }

                    @Override
                    public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                        return new java.security.cert.X509Certificate[0];
                    }
                }}, null);
                javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) ctx.getSocketFactory()
                        .createSocket(socket, "relay.test", socket.getPort(), true);
                tls.startHandshake();
                socket = tls;
                in = new BufferedReader(new InputStreamReader(tls.getInputStream(), StandardCharsets.US_ASCII));
                out = tls.getOutputStream();
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException(e);
            }
        }

        void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        void expect(String prefix) throws IOException {
            String line = in.readLine();
            assertTrue(line != null && line.startsWith(prefix), "expected " + prefix + "... got " + line);
        }

        List<String> multiline() throws IOException {
            List<String> lines = new java.util.ArrayList<>();
            String line;
            do {
                line = in.readLine();
                assertTrue(line != null, "connection closed in a multi-line reply");
                lines.add(line);
            } while (line.charAt(3) == '-');
            return lines;
        }

        void expectMultiline(String last) throws IOException {
            String line;
            do {
                line = in.readLine();
                assertTrue(line != null, "connection closed before " + last);
            } while (line.charAt(3) == '-');
            assertEquals(last, line);
        }

        boolean readyWithin(Duration d) throws IOException {
            socket.setSoTimeout((int) d.toMillis());
            try {
                return in.read() >= 0;
            } catch (java.net.SocketTimeoutException e) {
                return false;
            } finally {
                socket.setSoTimeout(5000);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}