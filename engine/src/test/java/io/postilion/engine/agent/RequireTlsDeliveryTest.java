package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.TlsRequest;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.Ret;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 8689 through the delivery agent built from main.cf: a message that asked for REQUIRETLS
 * (TLS-19) under each smtp_requiretls_policy action, and one that carries "TLS-Required: no"
 * (TLS-20). dest.test has two MX hosts, mx1 (127.0.0.2) and mx2 (127.0.0.3), on one port; their
 * certificates are signed by a test CA the agent trusts, for their own names.
 */
class RequireTlsDeliveryTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String CONTENT = "Subject: rfc8689\r\n\r\nbody\r\n";
    private static final String RELAXED = "Subject: rfc8689\r\nTLS-Required: no\r\n\r\nbody\r\n";

    private static X509Bundle ca;

    private final AgentTestBed bed = new AgentTestBed();
    private FakeSmtpServer mx1;
    private FakeSmtpServer mx2;

    @TempDir
    Path dir;

    @BeforeAll
    static void authority() throws Exception {
        ca = new CertificateBuilder().subject("CN=RFC 8689 Test CA").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
    }

    private static SslContext certFor(String name) throws Exception {
        return SslContextBuilder.forServer(new CertificateBuilder().subject("CN=" + name).ecp256().addSanDnsName(name)
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .addExtendedKeyUsageServerAuth().buildIssuedBy(ca).toKeyManagerFactory()).build();
    }

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    /** Both MX hosts, STARTTLS with CA-signed certificates for their names; mx2 shares mx1's port. */
    private void servers() throws Exception {
        mx1 = bed.server("127.0.0.2").startTls(true).tlsContext(certFor("mx1.dest.test"));
        mx2 = bed.closed(FakeSmtpServer.start("127.0.0.3", mx1.port())).startTls(true).tlsContext(certFor("mx2.dest.test"));
    }

    private DeliveryAgent agent(String... options) throws Exception {
        TestDnsServer dns = bed.dns();
        dns.mx("dest.test", 10, "mx1.dest.test").mx("dest.test", 20, "mx2.dest.test")
                .a("mx1.dest.test", "127.0.0.2").a("mx2.dest.test", "127.0.0.3");
        Path caFile = Files.writeString(dir.resolve("ca.pem"), ca.getCertificatePEM());
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dns.dnsServers(), "smtp_tcp_port=" + mx1.port(),
                "smtp_tls_CAfile=" + caFile, "smtp_starttls_timeout=5s",
                "mydomain=client.example")); // dest.test is not local: the computed default is enforce
        o.addAll(List.of(options));
        return bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)));
    }

    private static RecipientResult deliver(DeliveryAgent agent, boolean requireTls, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.US_ASCII);
        DeliveryReport r = agent.deliver(DeliveryRequest.builder("4RTLS1", "s@client.test", "dest.test")
                .content(ContentSource.of(bytes)).dsn("", Ret.FULL).tls(TlsRequest.of(requireTls, bytes))
                .recipient("rcpt@dest.test").build()).block(WAIT);
        return r.results().get(0);
    }

    private static String mailFrom(FakeSmtpServer s) {
        return s.commands().stream().filter(c -> c.startsWith("MAIL FROM:")).findFirst().orElse("");
    }

    @Test
    void enforceAtGlobalLevelMaySkipsEveryServerAndBounces5710_TLS19() throws Exception {
        servers();
        RecipientResult r = deliver(agent("smtp_tls_security_level=may"), true, CONTENT);
        assertEquals(Outcome.BOUNCED, r.outcome(), r.reason());
        assertEquals("5.7.10", r.status().toString());
        assertTrue(r.reason().contains("REQUIRETLS") && r.reason().contains("'may'"), r.reason());
        assertEquals(0, mx1.sessions() + mx2.sessions(), "no server is connected to");
    }

    @Test
    void enforceAtVerifyNeedsServerSupport5730ThenTheNextMx_TLS19_TLS23() throws Exception {
        servers();
        mx2.capabilities("PIPELINING", "DSN", "REQUIRETLS");
        RecipientResult r = deliver(agent("smtp_tls_security_level=verify"), true, CONTENT);
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
        assertTrue(mx1.commands().stream().noneMatch(c -> c.startsWith("MAIL")), "mx1 lacks REQUIRETLS: " + mx1.commands());
        assertTrue(mailFrom(mx2).endsWith(" REQUIRETLS"), mailFrom(mx2));
        assertTrue(mailFrom(mx2).contains(" RET=FULL"), "not relaxed, so RET as asked: " + mailFrom(mx2));
        assertEquals("verify/requiretls", r.tls(), "LOG-5: the level met, then REQUIRETLS met");
    }

    @Test
    void enforceBouncesWhenNoServerAnnouncesRequireTls_TLS19_TLS23() throws Exception {
        servers();
        RecipientResult r = deliver(agent("smtp_tls_security_level=verify"), true, CONTENT);
        assertEquals(Outcome.BOUNCED, r.outcome(), r.reason());
        assertEquals("5.7.30", r.status().toString());
        assertEquals("verify/!requiretls:nosupport", r.tls());
        assertEquals(1, mx1.sessions(), "mx1 was tried, and its 5.7.30 was soft: mx2 was tried as well");
        assertEquals(1, mx2.sessions());
    }

    @Test
    void enforceWithACertificateThatDoesNotMatchIs5710_TLS19_TLS23() throws Exception {
        servers();
        mx1.tlsContext(certFor("other.test")).capabilities("DSN", "REQUIRETLS");
        mx2.tlsContext(certFor("other.test")).capabilities("DSN", "REQUIRETLS");
        RecipientResult r = deliver(agent("smtp_tls_security_level=verify"), true, CONTENT);
        assertEquals(Outcome.BOUNCED, r.outcome(), r.reason());
        assertEquals("5.7.10", r.status().toString(), r.reason());
        assertEquals("!verify/!requiretls:nocertmatch", r.tls());
    }

    @Test
    void opportunisticSendsRetHdrsWithoutRequireTlsToAServerLackingIt_TLS19_TLS23() throws Exception {
        servers();
        mx1.capabilities("PIPELINING", "DSN");
        RecipientResult r = deliver(agent("smtp_tls_security_level=may", "smtp_requiretls_policy=opportunistic"), true,
                CONTENT);
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
        assertTrue(mailFrom(mx1).contains(" RET=HDRS"), mailFrom(mx1));
        assertFalse(mailFrom(mx1).contains("REQUIRETLS"), mailFrom(mx1));
        assertEquals("may/requiretls:nocertmatch", r.tls(), "relaxed: TLS, but nothing was matched at may");
    }

    @Test
    void opportunisticStarttlsNeedsStarttls5730AndFailsOnARefusal5710_TLS19_TLS23() throws Exception {
        servers();
        mx1.startTls(false);
        mx2.startTls(false);
        RecipientResult none = deliver(agent("smtp_tls_security_level=may",
                "smtp_requiretls_policy=opportunistic+starttls"), true, CONTENT);
        assertEquals(Outcome.BOUNCED, none.outcome(), none.reason());
        assertEquals("5.7.30", none.status().toString());
        assertEquals("!may/!requiretls:nostarttls", none.tls());
        bed.close();
        servers();
        mx1.reply(FakeSmtpServer.Stage.STARTTLS, "454 4.7.0 TLS not available");
        mx2.reply(FakeSmtpServer.Stage.STARTTLS, "454 4.7.0 TLS not available");
        RecipientResult refused = deliver(agent("smtp_tls_security_level=may",
                "smtp_requiretls_policy=opportunistic+starttls"), true, CONTENT);
        assertEquals(Outcome.BOUNCED, refused.outcome(), refused.reason());
        assertEquals("5.7.10", refused.status().toString());
        assertEquals("!may/!requiretls:noencryption", refused.tls());
        assertTrue(mx1.commands().stream().noneMatch(c -> c.startsWith("MAIL")), "no plaintext fallback");
    }

    @Test
    void tablesChooseTheActionWithParentDomainsAndAnErrorDefers4710_TLS19() throws Exception {
        servers();
        mx1.startTls(false);
        RecipientResult disabled = deliver(agent("smtp_tls_security_level=may",
                "smtp_requiretls_policy=inline:{{.test=disable}}, enforce"), true, CONTENT);
        assertEquals(Outcome.SENT, disabled.outcome(), disabled.reason());
        assertFalse(mailFrom(mx1).contains("REQUIRETLS"));
        assertTrue(mailFrom(mx1).contains("RET=FULL") || !mailFrom(mx1).contains("RET="), "disable: not relaxed " + mailFrom(mx1));
        bed.close();
        servers();
        RecipientResult error = deliver(agent("smtp_tls_security_level=verify",
                "smtp_requiretls_policy=inline:{{dest.test={enforce, disable}}}"), true, CONTENT);
        assertEquals(Outcome.DEFERRED, error.outcome(), error.reason());
        assertEquals("4.7.10", error.status().toString());
        assertEquals("REQUIRETLS policy configuration error", error.reason());
    }

    @Test
    void withRequiretlsEnableOffTheRequestIsIgnored_TLS19() throws Exception {
        servers();
        mx1.startTls(false);
        RecipientResult r = deliver(agent("smtp_tls_security_level=may", "requiretls_enable=no"), true, CONTENT);
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
        assertFalse(mailFrom(mx1).contains("REQUIRETLS"));
    }

    @Test
    void theComputedDefaultIsOpportunisticForTheLocalDomainLocalhostAndAddresses_TLS19() throws Exception {
        servers();
        mx1.startTls(false);
        // mydomain = test makes dest.test local: opportunistic, so plaintext delivery goes ahead
        RecipientResult r = deliver(agent("smtp_tls_security_level=may", "mydomain=test"), true, CONTENT);
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
        var policy = io.postilion.engine.tls.RequireTlsPolicy.computedDefault("example.org");
        assertEquals(io.postilion.engine.tls.RequireTlsPolicy.Action.OPPORTUNISTIC, policy.actionFor("a.example.org"));
        assertEquals(io.postilion.engine.tls.RequireTlsPolicy.Action.OPPORTUNISTIC, policy.actionFor("localhost"));
        assertEquals(io.postilion.engine.tls.RequireTlsPolicy.Action.OPPORTUNISTIC, policy.actionFor("[192.0.2.1]"));
        assertEquals(io.postilion.engine.tls.RequireTlsPolicy.Action.ENFORCE, policy.actionFor("example.net"));
        assertEquals(io.postilion.engine.tls.RequireTlsPolicy.Action.ENFORCE, policy.actionFor("notexample.org"));
    }

    @Test
    void aPolicyWordThatIsNoActionStopsStartUpAndLmtpDefaultsToOpportunistic_TLS19() throws Exception {
        io.postilion.engine.config.ConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.postilion.engine.config.ConfigurationException.class,
                () -> bed.agent(DeliveryAgent.builder(AgentTestBed.config(List.of("smtp_requiretls_policy=enforce, sometimes")))));
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("smtp_requiretls_policy") && e.getMessage().contains("sometimes"), e.getMessage());
        var lmtp = AgentConfiguration.requireTls(AgentTestBed.config(List.of()).forLmtp());
        assertEquals(io.postilion.engine.tls.RequireTlsPolicy.Action.OPPORTUNISTIC, lmtp.policy().actionFor("example.net"));
    }

    @Test
    void tlsRequiredNoAtGlobalVerifyMeansMayAndPlaintextIsAllowed_TLS20() throws Exception {
        servers();
        mx1.startTls(false);
        RecipientResult r = deliver(agent("smtp_tls_security_level=verify"), false, RELAXED);
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
        assertEquals(1, mx1.sessions());
        bed.close();
        servers();
        mx1.startTls(false);
        mx2.startTls(false);
        RecipientResult plain = deliver(agent("smtp_tls_security_level=verify"), false, CONTENT);
        assertEquals(Outcome.DEFERRED, plain.outcome(), "without the header verify stands");
        assertEquals("4.7.4", plain.status().toString());
    }

    @Test
    void tlsRequiredNoIsIgnoredWhenDisabledOrWithRequireTls_TLS20() throws Exception {
        servers();
        mx1.startTls(false);
        mx2.startTls(false);
        RecipientResult off = deliver(agent("smtp_tls_security_level=verify", "tls_required_enable=no"), false, RELAXED);
        assertEquals(Outcome.DEFERRED, off.outcome(), off.reason());
        assertEquals("4.7.4", off.status().toString());
        bed.close();
        servers();
        mx1.startTls(false);
        mx2.startTls(false);
        RecipientResult both = deliver(agent("smtp_tls_security_level=verify"), true, RELAXED);
        assertEquals(Outcome.BOUNCED, both.outcome(), both.reason());
        assertEquals("5.7.30", both.status().toString(), "REQUIRETLS wins over the header");
    }

    @Test
    void tlsRequiredNoInWrapperModeIsCappedAtEncrypt_TLS20() throws Exception {
        servers();
        mx1.startTls(false).wrapperMode(true).tlsContext(certFor("not-the-mx.test"));
        RecipientResult r = deliver(agent("smtp_tls_security_level=verify", "smtp_tls_wrappermode=yes"), false, RELAXED);
        assertEquals(Outcome.SENT, r.outcome(), "encrypt does not check the certificate: " + r.reason());
    }
}
