package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ParameterSupport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

/**
 * The TLS parameters Postilion accepts and leaves inert (CLARIFICATIONS 39): the early-MAIL-reply
 * check Postfix never fires (TLS-15), the TLS session cache that only tlsmgr(8) reads (TLS-18)
 * and TLSRPT (TLS-22). Each is set in main.cf, named by the start-up check (which logs one warning
 * per name), and shown to change nothing a delivery does.
 */
class InertTlsParametersTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final AgentTestBed bed = new AgentTestBed();
    private FakeSmtpServer server;
    private TestDnsServer dns;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        server = bed.server("127.0.0.1").startTls(true);
        dns = bed.dns();
        dns.mx("dest.test", 10, "mx1.dest.test").a("mx1.dest.test", "127.0.0.1");
    }

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private Configuration config(String... more) {
        List<String> o = new ArrayList<>(List.of("smtp_tls_security_level=encrypt", "smtp_starttls_timeout=5s",
                "dns_servers=" + dns.dnsServers(), "smtp_tcp_port=" + server.port()));
        o.addAll(List.of(more));
        return AgentTestBed.config(o);
    }

    private RecipientResult deliver(Configuration cfg) {
        DeliveryAgent agent = bed.agent(DeliveryAgent.builder(cfg));
        return agent.deliver(DeliveryRequest.builder("4INERT", "s@client.test", "dest.test")
                .content(ContentSource.of("Subject: i\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build()).block(WAIT).results().get(0);
    }

    /** The part of a transcript from MAIL FROM on (empty when MAIL FROM was never sent). */
    private static List<String> fromMail(List<String> t) {
        int from = t.indexOf("C: MAIL FROM:<s@client.test>");
        return from < 0 ? List.of() : List.copyOf(t.subList(from, t.size()));
    }

    private void awaitCloseNotifies(int n) {
        Eventually.await(() -> server.transcript().stream().filter("C: <close_notify>"::equals).count() >= n,
                n + " close_notify in " + server.transcript());
    }

    @Test
    void blockEarlyMailReplyIsAcceptedWithOneWarningAndNeverFires_TLS15() {
        // Over TLS the server's EHLO reply is followed by a line nobody asked for: the data Postfix's
        // documented check would find waiting before MAIL FROM. The check never fires in Postfix (it
        // is gated on a flag already clear by then), so here the session goes on to MAIL FROM with
        // the parameter on exactly as with it off, and what follows is the same either way (the
        // stray line then shifts every reply by one, which ends in a protocol error at DATA).
        server.reply(Stage.EHLO, (line, s) -> s.tls()
                ? "250-fake.test\r\n250 8BITMIME\r\n250 2.0.0 unsolicited" : "250-fake.test\r\n250 STARTTLS");
        Configuration on = config("smtp_tls_block_early_mail_reply=yes");
        assertEquals(List.of("smtp_tls_block_early_mail_reply"), ParameterSupport.check(on),
                "inert, warned once by name (CLARIFICATIONS 39)");
        RecipientResult withCheck = deliver(on);
        // The client's close_notify may reach the server after the result is in: wait for it, so
        // both dialogues are compared whole.
        awaitCloseNotifies(1);
        int mark = server.transcript().size();
        List<String> dialogueOn = fromMail(server.transcript().subList(0, mark));
        RecipientResult without = deliver(config());
        awaitCloseNotifies(2);
        List<String> dialogueOff = fromMail(server.transcript().subList(mark, server.transcript().size()));

        assertFalse(dialogueOn.isEmpty(), "MAIL FROM went out over TLS with the check on: " + server.transcript());
        assertFalse(withCheck.reason().contains("unexpected server message"), withCheck.reason());
        assertFalse(withCheck.status().text().equals("4.7.0"), withCheck.reason());
        assertEquals(without.outcome(), withCheck.outcome(), withCheck.reason() + " / " + without.reason());
        assertEquals(without.status(), withCheck.status());
        assertEquals(without.reason(), withCheck.reason());
        assertEquals(dialogueOff, dialogueOn, "the same dialogue from MAIL FROM on");
        // What follows is the unsolicited line's doing, parameter or not: it is taken as MAIL's
        // reply, each later reply moves up by one, and DATA's "reply" is RCPT's 250: a protocol error.
        assertTrue(withCheck.reason().contains("(in reply to DATA command)"), withCheck.reason());
    }

    @Test
    void blockEarlyMailReplyDoesNotDisturbAnOrdinaryDelivery_TLS15() {
        RecipientResult r = deliver(config("smtp_tls_block_early_mail_reply=yes"));
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
        assertEquals(1, server.contents().size());
    }

    @Test
    void theSessionCacheParametersAreWarnedAndNothingIsWrittenOrResumed_TLS18() throws Exception {
        Path db = dir.resolve("smtp_scache.db");
        Configuration cfg = config("smtp_tls_session_cache_database=btree:" + db, "smtp_tls_session_cache_timeout=7200s");
        assertEquals(List.of("smtp_tls_session_cache_database", "smtp_tls_session_cache_timeout"),
                ParameterSupport.check(cfg), "inert, each warned once by name (CLARIFICATIONS 39)");
        DeliveryAgent agent = bed.agent(DeliveryAgent.builder(cfg));
        for (int i = 0; i < 2; i++) {
            RecipientResult r = agent.deliver(DeliveryRequest.builder("4SCACHE" + i, "s@client.test", "dest.test")
                    .content(ContentSource.of("Subject: c\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                    .recipient("rcpt@dest.test").build()).block(WAIT).results().get(0);
            assertEquals(Outcome.SENT, r.outcome(), r.reason());
        }
        assertEquals(2, server.handshakes().size(), "one full handshake per delivery: " + server.handshakes());
        assertTrue(server.handshakes().stream().noneMatch(h -> h.equals("failed")), server.handshakes().toString());
        assertFalse(Files.exists(db), "no cache database is created");
        assertFalse(Files.exists(Path.of(db + ".db")), "no cache database is created");
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "nothing written next to it either");
        }
    }

    @Test
    void tlsrptIsWarnedAndNoPolicyIsLookedUpNorReportSent_TLS22() throws Exception {
        Path socket = dir.resolve("tlsrpt.sock");
        Configuration cfg = config("smtp_tlsrpt_enable=yes", "smtp_tlsrpt_socket_name=" + socket);
        assertEquals(List.of("smtp_tlsrpt_enable", "smtp_tlsrpt_socket_name"), ParameterSupport.check(cfg),
                "inert, each warned once by name (CLARIFICATIONS 39)");
        RecipientResult r = deliver(cfg);
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
        assertEquals(0, dns.queryCount("_smtp._tls.dest.test", Type.TXT), "no TLSRPT policy lookup: " + dns.queries());
        assertFalse(Files.exists(socket), "no collector socket is made");
    }
}
