package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.interop.Rig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * TLS sessions with a real server: the peer rig's Postfix smtpd on 127.0.0.1:2526 (STARTTLS at
 * may, relay from loopback; scripts/peers/postfix-relay.sh). Proves TLS-30's line with the cipher
 * BoringSSL really negotiated, and TLS-21: with smtp_tls_connection_reuse off (the default) two
 * back-to-back messages take two TLS connections, with it on one. Connections are counted on the
 * server's side, in its maillog: the agent binds a loopback address of its own choosing
 * (smtp_bind_address), so only this test's "connect from" lines carry it, even with other users
 * of the rig.
 */
@Tag("interop")
class TlsSessionInteropTest {

    private static final Path MAILLOG = Rig.RIG_DIR.resolve("postfix/maillog");

    private final List<DeliveryAgent> agents = new ArrayList<>();
    /** This test's client address, 127.0.0.100-199. */
    private final String source = "127.0.0." + ThreadLocalRandom.current().nextInt(100, 200);

    @BeforeAll
    static void peersAreUp() {
        Rig.requireTcp("Postfix smtpd", Rig.POSTFIX_PORT, "postfix-relay.sh");
    }

    @AfterEach
    void stop() {
        agents.forEach(DeliveryAgent::close);
    }

    private DeliveryAgent agent(String... more) {
        List<String> o = new ArrayList<>(List.of("smtp_tls_security_level=may", "smtp_tls_loglevel=1",
                "smtp_bind_address=" + source, "dns_servers=127.0.0.1:5353", "smtp_connection_cache_time_limit=10s"));
        o.addAll(List.of(more));
        DeliveryAgent a = DeliveryAgent.builder(AgentTestBed.config(o)).build();
        agents.add(a);
        return a;
    }

    private static DeliveryReport send(DeliveryAgent a) {
        String token = Rig.token();
        DeliveryRequest r = DeliveryRequest.builder("sender@client.example.test", "[127.0.0.1]:" + Rig.POSTFIX_PORT)
                .recipient("b@dest.example.test")
                .content(ContentSource.of(Rig.message(token, "sender@client.example.test", "b@dest.example.test")
                        .getBytes(StandardCharsets.US_ASCII)))
                .build();
        DeliveryReport report = a.deliver(r, CacheHint.LOAD_AND_STORE).block(Rig.DELIVERY_WAIT);
        assertEquals(Outcome.SENT, report.results().get(0).outcome(), report.results().get(0).toString());
        return report;
    }

    /** How many connections the rig's Postfix logged from this test's address since {@code from} bytes. */
    private long serverConnections(long from) throws IOException {
        String added = new String(Files.readAllBytes(MAILLOG), StandardCharsets.UTF_8);
        added = added.length() > from ? added.substring((int) from) : "";
        Pattern connect = Pattern.compile("smtpd\\[\\d+\\]: connect from \\S+\\[" + Pattern.quote(source) + "\\]");
        return added.lines().filter(l -> connect.matcher(l).find()).count();
    }

    /** Waits until the server has logged {@code n} disconnects from us (postlogd writes a little later). */
    private void awaitDisconnects(long from, int n) throws Exception {
        Pattern disconnect = Pattern.compile("smtpd\\[\\d+\\]: disconnect from \\S+\\[" + Pattern.quote(source) + "\\]");
        long until = System.nanoTime() + Rig.WAIT.toNanos();
        while (true) {
            String text = new String(Files.readAllBytes(MAILLOG), StandardCharsets.UTF_8);
            String added = text.length() > from ? text.substring((int) from) : "";
            if (added.lines().filter(l -> disconnect.matcher(l).find()).count() >= n) {
                return;
            }
            if (System.nanoTime() > until) {
                throw new AssertionError("the rig's Postfix logged fewer than " + n + " disconnects from " + source);
            }
            Thread.sleep(100);
        }
    }

    @Test
    void theHandshakeLineNamesTheRealProtocolAndCipher_TLS30() throws Exception {
        StringBuilder log = new StringBuilder();
        DeliveryReport r = LogCapture.capturingLog(log, () -> send(agent("smtp_tls_CAfile=" + Rig.RIG_DIR.resolve("certs/ca.crt"))));
        assertEquals("may", r.results().get(0).tls());
        String line = log.toString().lines().filter(l -> l.contains("TLS connection established")).findFirst().orElse("");
        // at may a chain from the configured CA is "Trusted", never "Verified" (TLS-5)
        assertTrue(Pattern.compile("Trusted TLS connection established to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:2526: "
                + "(TLSv1\\.3 with cipher TLS_[A-Z0-9_]+|TLSv1\\.2 with cipher [A-Z0-9-]+) \\((128|256)/(128|256) bits\\) "
                + "key-exchange \\S+ "
                + "server-signature \\S+").matcher(line).find(), log.toString());
        System.out.println("TLS-30 with the rig's Postfix: " + line.substring(line.indexOf("Trusted")));
    }

    @Test
    void withoutConnectionReuseEachMessageTakesItsOwnTlsConnection_TLS21() throws Exception {
        long from = Files.size(MAILLOG);
        DeliveryAgent a = agent();
        StringBuilder log = new StringBuilder();
        LogCapture.capturingLog(log, () -> {
            send(a);
            send(a);
            return null;
        });
        assertEquals(0, a.parkedSessions());
        awaitDisconnects(from, 2);
        assertEquals(2, serverConnections(from), "two TLS connections at the server");
        assertEquals(2, log.toString().lines().filter(l -> l.contains("TLS connection established")).count(), log.toString());
    }

    @Test
    void withConnectionReuseTheTlsSessionIsParkedAndCarriesTheNextMessage_TLS21() throws Exception {
        long from = Files.size(MAILLOG);
        DeliveryAgent a = agent("smtp_tls_connection_reuse=yes");
        StringBuilder log = new StringBuilder();
        DeliveryReport second = LogCapture.capturingLog(log, () -> {
            send(a);
            assertEquals(1, a.parkedSessions(), "the TLS session is parked");
            return send(a);
        });
        assertEquals(2, second.results().get(0).connUse(), "conn_use=2: the parked session carried it");
        assertEquals("may", second.results().get(0).tls());
        a.close(); // QUIT the parked session, so the server logs its end
        awaitDisconnects(from, 1);
        assertEquals(1, serverConnections(from), "one TLS connection at the server for both messages");
        assertEquals(1, log.toString().lines().filter(l -> l.contains("TLS connection established")).count(), log.toString());
    }

}
