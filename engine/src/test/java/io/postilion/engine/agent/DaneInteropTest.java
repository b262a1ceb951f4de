package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.interop.Rig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * DANE (TLS-8, TLS-34) against the peer rig: Knot serves the signed zone example.test, Unbound
 * (127.0.0.1:5354, or DNS_RESOLVER_PORT) validates it and is the client's resolver, so "validated" is a real AD bit
 * (TLS-34). Postfix smtpd answers on 127.0.0.1:2526 (mx1: TLSA 3 1 1 of the rig server key),
 * 127.0.0.2:2526 (mx2: TLSA 2 0 1 of the rig CA) and 127.0.0.3:2526 (mx3: TLSA 3 1 1 of an
 * unrelated key), all with the rig's server certificate (CLARIFICATIONS 42; scripts/peers/up.sh
 * starts the .2 and .3 instances). Skipped when those peers are not up.
 */
@Tag("interop")
class DaneInteropTest {

    private static final int PORT = 2526;
    /** The rig's validating resolver; DNS_RESOLVER_PORT as dns.sh takes it, for a rig of one's own. */
    private static final int UNBOUND = Integer.parseInt(System.getenv().getOrDefault("DNS_RESOLVER_PORT", "5354"));

    private final List<DeliveryAgent> agents = new ArrayList<>();

    @BeforeAll
    static void peersAreUp() {
        for (String addr : new String[] {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
            Assumptions.assumeTrue(listening(addr, PORT), "Postfix smtpd on " + addr + ":" + PORT
                    + " (scripts/peers/up.sh) is not running");
        }
        Assumptions.assumeTrue(listening("127.0.0.1", UNBOUND), "Unbound on 127.0.0.1:" + UNBOUND
                + " (scripts/peers/dns.sh) is not running");
    }

    private static boolean listening(String addr, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(addr, port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @AfterEach
    void stop() {
        agents.forEach(DeliveryAgent::close);
    }

    private RecipientResult send(String nexthop, String level, String... more) {
        List<String> o = new ArrayList<>(List.of("inet_interfaces=127.0.0.254", "inet_protocols=ipv4",
                "myhostname=client.example.test", "dns_servers=127.0.0.1:" + UNBOUND, "smtp_dns_support_level=dnssec",
                "smtp_tcp_port=" + PORT, "smtp_tls_security_level=" + level, "smtp_connect_timeout=5s",
                "smtp_helo_timeout=10s", "smtp_starttls_timeout=10s"));
        o.addAll(List.of(more));
        DeliveryAgent agent = DeliveryAgent.builder(ConfigurationLoader.fromText("", "(test)", o)).build();
        agents.add(agent);
        String token = Rig.token();
        DeliveryReport r = agent.deliver(DeliveryRequest.builder("4DANEI", "sender@client.example.test", nexthop)
                .content(ContentSource.of(Rig.message(token, "sender@client.example.test", "rcpt@dest.example.test")
                        .getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.example.test").build()).block(Rig.WAIT);
        return r.results().get(0);
    }

    /** The smtpd log of the instance at 127.0.0.N, if this rig keeps one where up.sh puts it. */
    private static Path maillog(int n) {
        return Rig.RIG_DIR.resolve(n == 1 ? "postfix/maillog" : "postfix-mx" + n + "/maillog");
    }

    private static List<String> lines(Path log) throws IOException {
        return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    }

    private static void assertSent(RecipientResult r) {
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
    }

    @Test
    void mx1WithADaneEeRecordOfItsKeyIsDeliveredAtDane_TLS8_TLS34() {
        RecipientResult r = send("[mx1.example.test]", "dane");
        assertSent(r);
        assertEquals("dane", r.tls(), "authenticated by TLSA (Verified): the level held");
        assertTrue(r.relay().startsWith("mx1.example.test[127.0.0.1]:2526"), r.relay());
    }

    @Test
    void mx2IsDeliveredThroughItsDaneTaRecordOfTheRigCa_TLS8() {
        RecipientResult r = send("[mx2.example.test]", "dane-only");
        assertSent(r);
        assertEquals("dane-only", r.tls());
        assertTrue(r.relay().startsWith("mx2.example.test[127.0.0.2]:2526"), r.relay());
    }

    @Test
    void mx3WhoseRecordIsOfAnotherKeyIsRefusedAndNeverGetsTheMessage_TLS8() throws IOException {
        int before = lines(maillog(3)).size();
        RecipientResult r = send("[mx3.example.test]", "dane");
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals("4.7.5", r.status().toString());
        assertEquals("Server certificate not verified", r.reason());
        List<String> log = lines(maillog(3));
        Assumptions.assumeTrue(log.size() > before, "no smtpd log at " + maillog(3) + " to look at");
        List<String> ours = log.subList(before, log.size());
        assertTrue(ours.stream().anyMatch(l -> l.contains("disconnect from") && l.contains("starttls=1")), ours.toString());
        assertFalse(ours.stream().anyMatch(l -> l.contains(" mail=") || l.contains("queued as") || l.contains("from=<")),
                "no MAIL FROM, no message: " + ours);
    }

    @Test
    void theSignedDomainsMxListEndsAtMx1_TLS8() {
        RecipientResult r = send("example.test", "dane-only", "smtp_randomize_addresses=no");
        assertSent(r);
        assertTrue(r.relay().startsWith("mx1.example.test[127.0.0.1]:2526"), r.relay());
    }

    @Test
    void bogusTestIsDeferredWithoutAConnection_TLS8_TLS34() throws IOException {
        int before = lines(maillog(1)).size();
        RecipientResult r = send("bogus.test", "dane");
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        // Unbound answers SERVFAIL for everything in the bogus zone, so the MX lookup itself fails
        // (LOOKUP-4's 4.4.3) before DANE is asked; either way nothing is sent, in plaintext or not.
        assertTrue(r.status().toString().equals("4.4.3") || r.status().toString().equals("4.7.5"), r.status() + " " + r.reason());
        assertEquals("none", r.relay());
        assertFalse(lines(maillog(1)).subList(Math.min(before, lines(maillog(1)).size()), lines(maillog(1)).size()).stream()
                .anyMatch(l -> l.contains("queued as")), "nothing reached Postfix");
    }

    @Test
    void aBogusTlsaRrsetForASignedHostIsATlsaLookupError_TLS8() throws Exception {
        Assumptions.assumeTrue(resolves("badtlsa.example.test"),
                "badtlsa.example.test is not in the running rig's zone (added to scripts/peers/dns.sh; restart the rig)");
        for (String level : new String[] {"dane", "dane-only"}) {
            RecipientResult r = send("[badtlsa.example.test]", level);
            assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
            assertEquals("4.7.5", r.status().toString());
            assertEquals("TLSA lookup error for badtlsa.example.test:" + PORT, r.reason());
            assertEquals("none", r.relay(), "the server is skipped: no connection");
        }
    }

    private static boolean resolves(String name) throws Exception {
        SimpleResolver res = new SimpleResolver(new InetSocketAddress("127.0.0.1", UNBOUND));
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN));
        Message reply = res.send(q);
        return reply.getRcode() == 0 && !reply.getSection(1).isEmpty() && reply.getHeader().getFlag(Flags.QR);
    }

    @Test
    void insecureTestIsMayAtDaneAndDeferredAtDaneOnly_TLS8() {
        RecipientResult may = send("insecure.test", "dane");
        assertSent(may);
        assertEquals("may", may.tls(), "an unsigned MX and an unsigned host: no TLSA lookup, may");
        RecipientResult only = send("insecure.test", "dane-only");
        assertEquals(Outcome.DEFERRED, only.outcome());
        assertEquals("4.7.5", only.status().toString());
        assertEquals("non DNSSEC destination", only.reason());
    }

    @Test
    void strippedStarttlsWithUsableTlsaIsDeferredNeverPlaintext_TLS8() throws IOException {
        int before = lines(maillog(1)).size();
        // smtp_discard_ehlo_keywords plays the attacker who removes STARTTLS from the EHLO reply
        RecipientResult r = send("[mx1.example.test]", "dane", "smtp_discard_ehlo_keywords=starttls");
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals("4.7.4", r.status().toString());
        assertTrue(r.reason().startsWith("TLS is required, but was not offered by host mx1.example.test[127.0.0.1]"),
                r.reason());
        List<String> log = lines(maillog(1));
        if (log.size() > before) {
            assertFalse(log.subList(before, log.size()).stream().anyMatch(l -> l.contains(" mail=") && l.contains("127.0.0.1")
                    && !l.contains("starttls")), "no MAIL FROM in plaintext");
        }
    }
}
