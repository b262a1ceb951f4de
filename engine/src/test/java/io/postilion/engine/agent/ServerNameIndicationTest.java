package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * TLS-17 through the agent built from main.cf: what the TLS handshake sends as SNI, by
 * smtp_tls_servername. Postfix sends none unless told; the server records what it was asked for.
 */
class ServerNameIndicationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final AgentTestBed bed = new AgentTestBed();

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    /** Mail for dest.test, whose MX mx.dest.test is a STARTTLS server on 127.0.0.2; the SNI it saw. */
    private String sniFor(String... options) throws Exception {
        FakeSmtpServer mx = bed.server("127.0.0.2").startTls(true);
        TestDnsServer dns = bed.dns();
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2");
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dns.dnsServers(), "smtp_tcp_port=" + mx.port(),
                "smtp_tls_security_level=encrypt"));
        o.addAll(List.of(options));
        DeliveryAgent agent = bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)));
        DeliveryReport r = agent.deliver(DeliveryRequest.builder("4SNI1", "s@client.test", "dest.test")
                .content(ContentSource.of("Subject: sni\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build()).block(WAIT);
        assertEquals(Outcome.SENT, r.results().get(0).outcome(), r.results().get(0).reason());
        assertEquals(1, mx.serverNames().size(), "one handshake");
        return mx.serverNames().get(0);
    }

    @Test
    void byDefaultNoServerNameIsSent_TLS17() throws Exception {
        assertEquals("", sniFor());
    }

    @Test
    void hostnameSendsTheServersNameAndNexthopTheDestinationsDomain_TLS17() throws Exception {
        assertEquals("mx.dest.test", sniFor("smtp_tls_servername=hostname"));
        bed.close();
        assertEquals("dest.test", sniFor("smtp_tls_servername=nexthop"));
    }

    @Test
    void aNameIsSentAsGivenInALabelForm_TLS17() throws Exception {
        assertEquals("xn--bcher-kva.example", sniFor("smtp_tls_servername=b\u00fccher.example"));
    }

    @Test
    void aValueThatIsNoDnsNameStopsStartUp_TLS17() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> bed.agent(DeliveryAgent.builder(
                AgentTestBed.config(List.of("smtp_tls_servername=not a name!")))));
        assertTrue(e.getMessage().contains("smtp_tls_servername"), e.getMessage());
        assertEquals(78, e.exitStatus());
    }
}
