package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS-1, the level ladder none < may < encrypt < fingerprint < (halfdane) < dane < dane-only <
 * verify < secure and its two derived predicates, "TLS required" (above may) and "certificate must
 * match" (above encrypt), shown where they matter: what the agent built from main.cf does at each
 * configurable level with a server that offers no STARTTLS and with one whose certificate proves
 * nothing. The expectations are written out from the spec's table, not computed from the
 * predicates under test. halfdane is computed only (TLS-8) and no configuration may name it.
 */
class TlsLevelLadderTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final AgentTestBed bed = new AgentTestBed();
    private final FakeSmtpServer server = bed.server("127.0.0.1");

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private DeliveryAgent agent(String... more) {
        List<String> o = new ArrayList<>(List.of("smtp_starttls_timeout=5s", "dns_servers=127.0.0.1:9",
                // a digest of no certificate: fingerprint must not match the fake's certificate
                "smtp_tls_fingerprint_cert_match=" + "AB:".repeat(31) + "AB"));
        o.addAll(List.of(more));
        return bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)));
    }

    private RecipientResult deliver(DeliveryAgent agent) {
        return agent.deliver(DeliveryRequest.builder("4LADDER", "s@client.test", "[127.0.0.1]:" + server.port())
                .content(ContentSource.of("Subject: l\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build()).block(WAIT).results().get(0);
    }

    private long mails() {
        return server.commands().stream().filter(c -> c.startsWith("MAIL")).count();
    }

    @Test
    void theLadderAndItsPredicates_TLS1() {
        assertEquals(List.of("none", "may", "encrypt", "fingerprint", "halfdane", "dane", "dane-only", "verify", "secure"),
                java.util.Arrays.stream(TlsLevel.values()).map(TlsLevel::configName).toList());
        List<String> required = List.of("encrypt", "fingerprint", "halfdane", "dane", "dane-only", "verify", "secure");
        List<String> match = List.of("fingerprint", "halfdane", "dane", "dane-only", "verify", "secure");
        for (TlsLevel l : TlsLevel.values()) {
            assertEquals(required.contains(l.configName()), l.requiresTls(), l + ": TLS required = level > may");
            assertEquals(match.contains(l.configName()), l.mustMatch(), l + ": must match = level > encrypt");
            assertEquals(l == TlsLevel.HALFDANE ? Optional.empty() : Optional.of(l), TlsLevel.parse(l.configName()), l.toString());
        }
        assertEquals(Optional.of(TlsLevel.DANE_ONLY), TlsLevel.parse(" Dane-Only "), "case and blanks as in main.cf");
    }

    @Test
    void withoutStarttlsOnlyNoneAndMayDeliverAndTheRestDefer474_TLS1() {
        // TLS required = level > may (TLS-1); at the levels above the message never goes in plaintext
        for (String level : List.of("none", "may", "encrypt", "fingerprint", "verify", "secure")) {
            long before = mails();
            RecipientResult r = deliver(agent("smtp_tls_security_level=" + level));
            if (level.equals("none") || level.equals("may")) {
                assertEquals(Outcome.SENT, r.outcome(), level + ": " + r.reason());
                assertEquals(before + 1, mails(), level);
            } else {
                assertEquals(Outcome.DEFERRED, r.outcome(), level + ": " + r.reason());
                assertEquals("4.7.4", r.status().text(), level + ": " + r.reason());
                assertEquals(before, mails(), level + ": no MAIL FROM in plaintext");
            }
        }
        assertFalse(server.commands().contains("STARTTLS"), "never offered, never sent");
    }

    @Test
    void aCertificateThatProvesNothingIsEnoughUpToEncryptAndDeferredAbove_TLS1() {
        server.startTls(true); // the shared self-signed test certificate: no listed digest, no trusted chain
        for (String level : List.of("none", "may", "encrypt", "fingerprint", "verify", "secure")) {
            int starttls = (int) server.commands().stream().filter(c -> c.equals("STARTTLS")).count();
            long before = mails();
            RecipientResult r = deliver(agent("smtp_tls_security_level=" + level));
            int after = (int) server.commands().stream().filter(c -> c.equals("STARTTLS")).count();
            assertEquals(level.equals("none") ? starttls : starttls + 1, after, level + ": TLS enabled = level >= may");
            if (List.of("none", "may", "encrypt").contains(level)) {
                assertEquals(Outcome.SENT, r.outcome(), level + ": " + r.reason());
                assertEquals(before + 1, mails(), level);
            } else {
                assertEquals(Outcome.DEFERRED, r.outcome(), level + ": " + r.reason());
                assertEquals("4.7.5", r.status().text(), level);
                assertEquals("Server certificate not verified", r.reason(), level);
                assertEquals(before, mails(), level + ": no MAIL FROM over an unverified channel");
            }
        }
    }

    @Test
    void halfdaneIsNeverAConfiguredLevel_TLS1() throws Exception {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> agent("smtp_tls_security_level=halfdane"));
        assertEquals(78, e.exitStatus());
        assertEquals(Optional.of("smtp_tls_security_level"), e.parameter());
        assertTrue(e.getMessage().contains("halfdane"), e.getMessage());

        // in a policy table the word is no level either: the entry is invalid and the mail waits
        server.startTls(true);
        Path table = Files.writeString(dir.resolve("tls_policy"), "[127.0.0.1]:" + server.port() + " halfdane\n");
        RecipientResult r = deliver(agent("smtp_tls_security_level=may", "smtp_tls_policy_maps=texthash:" + table));
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals("4.7.5", r.status().text());
        assertEquals("client TLS configuration problem", r.reason());
        assertEquals(0, server.sessions(), "the server is skipped");
    }
}
