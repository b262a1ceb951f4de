package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

/**
 * {@code smtp_dns_reply_filter} (LOOKUP-18) and {@code smtp_dns_resolver_options} (LOOKUP-17), and
 * their lmtp_ twins, as main.cf and {@code -o} reach them: each test builds the agent from a
 * {@link Configuration} as {@code relay} and {@code send} do, and delivers through the in-JVM DNS
 * responder and SMTP/LMTP servers (issue 18: these two were refused at start-up before).
 */
class DnsParametersTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final AgentTestBed bed = new AgentTestBed();

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private <T extends AutoCloseable> T closed(T t) {
        return bed.closed(t);
    }

    private TestDnsServer dns() throws Exception {
        return bed.dns();
    }

    /** The test's name server, and addresses in the order DNS gives them. */
    private static Configuration config(TestDnsServer dns, String... more) {
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dns.dnsServers(), "smtp_randomize_addresses=no",
                "lmtp_randomize_addresses=no"));
        o.addAll(List.of(more));
        return AgentTestBed.config(o);
    }

    private DeliveryAgent smtp(Configuration cfg) {
        return bed.agent(DeliveryAgent.builder(cfg));
    }

    private DeliveryAgent lmtp(Configuration cfg) {
        return bed.agent(DeliveryAgent.builder(cfg).lmtp());
    }

    private static RecipientResult deliver(DeliveryAgent agent, String nexthop) {
        DeliveryRequest request = DeliveryRequest.builder("4DNSPAR1", "s@client.test", nexthop)
                .content(ContentSource.of("Subject: dns\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build();
        DeliveryReport r = agent.deliver(request).block(WAIT);
        return r.results().get(0);
    }

    private static void assertSent(RecipientResult x, String relay) {
        assertEquals(Outcome.SENT, x.outcome(), x.status().text() + " " + x.reason());
        assertEquals(relay, x.relay());
    }

    /** A regexp: (or pcre:) table file with these lines. */
    private String table(String type, String... lines) throws Exception {
        Path file = Files.createTempFile(dir, "filter", ".cf");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return type + ":" + file;
    }

    // ------------------------------------------------------------------ LOOKUP-18

    @Test
    void replyFilterThatIgnoresTheBestMxSendsToTheNextOne_LOOKUP18() throws Exception {
        FakeSmtpServer mx1 = closed(FakeSmtpServer.start("127.0.0.2", 0));
        FakeSmtpServer mx2 = closed(FakeSmtpServer.start("127.0.0.3", mx1.port()));
        TestDnsServer dns = dns();
        dns.mx("dest.test", 10, "mx1.dest.test").mx("dest.test", 20, "mx2.dest.test")
                .a("mx1.dest.test", "127.0.0.2").a("mx2.dest.test", "127.0.0.3");
        DeliveryAgent agent = smtp(config(dns, "smtp_tcp_port=" + mx1.port(), "smtp_dns_reply_filter="
                + table("pcre", "/^dest\\.test\\. \\d+ IN MX 10 mx1\\.dest\\.test\\.$/ IGNORE")));

        assertSent(deliver(agent, "dest.test"), "mx2.dest.test[127.0.0.3]:" + mx1.port());
        assertEquals(0, mx1.sessions(), "the ignored MX host was never contacted");
        assertEquals(1, mx2.contents().size());
    }

    @Test
    void replyFilterThatDropsEveryMxDefersWithThePolicyStatus_LOOKUP18() throws Exception {
        TestDnsServer dns = dns();
        dns.mx("dest.test", 10, "mx1.dest.test").a("mx1.dest.test", "127.0.0.2").a("dest.test", "127.0.0.2");
        DeliveryAgent agent = smtp(config(dns, "smtp_tcp_port=2",
                "smtp_dns_reply_filter=" + table("regexp", "/ IN MX / ignore")));

        RecipientResult x = deliver(agent, "dest.test");

        assertEquals(Outcome.DEFERRED, x.outcome(), x.reason());
        assertEquals("4.7.0", x.status().text());
        assertTrue(x.reason().contains("Error looking up name=dest.test type=MX: DNS reply filter drops all results"),
                x.reason());
        assertEquals(0, dns.queryCount("dest.test", Type.A), "no fallback to the domain's own address");
    }

    @Test
    void anUnknownFilterActionIsATemporaryDnsError_LOOKUP18() throws Exception {
        TestDnsServer dns = dns();
        dns.mx("dest.test", 10, "mx1.dest.test").a("mx1.dest.test", "127.0.0.2");
        DeliveryAgent agent = smtp(config(dns, "smtp_tcp_port=2",
                "smtp_dns_reply_filter=" + table("regexp", "/ IN MX / REJECT")));

        RecipientResult x = deliver(agent, "dest.test");

        assertEquals(Outcome.DEFERRED, x.outcome(), x.reason());
        assertEquals("4.4.3", x.status().text());
        assertTrue(x.reason().contains("Invalid DNS reply filter syntax"), x.reason());
    }

    @Test
    void lmtpReadsItsOwnTwinOfTheReplyFilter_LOOKUP18() throws Exception {
        FakeSmtpServer first = closed(FakeSmtpServer.start("127.0.0.2", 0).lmtp(true));
        FakeSmtpServer second = closed(FakeSmtpServer.start("127.0.0.3", first.port()).lmtp(true));
        TestDnsServer dns = dns();
        dns.a("lmtp.dest.test", "127.0.0.2", "127.0.0.3");
        String ignoreFirst = table("regexp", "/^lmtp\\.dest\\.test\\. [0-9]+ IN A 127\\.0\\.0\\.2$/ IGNORE");
        Configuration cfg = config(dns, "lmtp_tcp_port=" + first.port(), "lmtp_dns_reply_filter=" + ignoreFirst);

        assertSent(deliver(lmtp(cfg), "inet:lmtp.dest.test"), "lmtp.dest.test[127.0.0.3]:" + first.port());
        assertEquals(0, first.sessions(), "the ignored address was never contacted");

        Configuration smtpOnly = config(dns, "lmtp_tcp_port=" + first.port(), "smtp_dns_reply_filter=" + ignoreFirst);
        assertSent(deliver(lmtp(smtpOnly), "inet:lmtp.dest.test"), "lmtp.dest.test[127.0.0.2]:" + first.port());
    }

    // ------------------------------------------------------------------ LOOKUP-17

    @Test
    void resDefnamesAppendsTheSearchDomainToASingleLabelNexthop_LOOKUP17() throws Exception {
        FakeSmtpServer mail = closed(FakeSmtpServer.start("127.0.0.2", 0));
        TestDnsServer dns = dns();
        dns.a("mail.corp.test", "127.0.0.2").mx("mail.corp.test", 10, "elsewhere.corp.test");
        DeliveryAgent agent = smtp(config(dns, "smtp_tcp_port=" + mail.port(), "smtp_dns_resolver_options=res_defnames",
                "dns_search_domains=corp.test"));

        assertSent(deliver(agent, "mail"), "mail[127.0.0.2]:" + mail.port());
        assertEquals(1, dns.queryCount("mail", Type.MX), "the MX query is made for the name as given");
        assertEquals(0, dns.queryCount("mail.corp.test", Type.MX), "MX queries are never expanded");
        assertEquals(1, dns.queryCount("mail.corp.test", Type.A));
    }

    @Test
    void withoutResolverOptionsNoSearchDomainIsAppended_LOOKUP17() throws Exception {
        FakeSmtpServer mail = closed(FakeSmtpServer.start("127.0.0.2", 0));
        TestDnsServer dns = dns();
        dns.a("mail.corp.test", "127.0.0.2");
        DeliveryAgent agent = smtp(config(dns, "smtp_tcp_port=" + mail.port(), "dns_search_domains=corp.test"));

        RecipientResult x = deliver(agent, "mail");

        assertEquals(Outcome.BOUNCED, x.outcome(), x.reason());
        assertEquals("5.4.4", x.status().text());
        assertEquals(0, dns.queryCount("mail.corp.test", Type.A));
        assertEquals(0, mail.sessions());
    }

    @Test
    void lmtpReadsItsOwnTwinOfTheResolverOptions_LOOKUP17() throws Exception {
        FakeSmtpServer mail = closed(FakeSmtpServer.start("127.0.0.2", 0).lmtp(true));
        TestDnsServer dns = dns();
        dns.a("mailbox.corp.test", "127.0.0.2");

        Configuration smtpOnly = config(dns, "lmtp_tcp_port=" + mail.port(), "dns_search_domains=corp.test",
                "smtp_dns_resolver_options=res_defnames");
        assertEquals(Outcome.BOUNCED, deliver(lmtp(smtpOnly), "inet:mailbox").outcome());

        Configuration cfg = config(dns, "lmtp_tcp_port=" + mail.port(), "dns_search_domains=corp.test",
                "lmtp_dns_resolver_options=res_defnames");
        assertSent(deliver(lmtp(cfg), "inet:mailbox"), "mailbox[127.0.0.2]:" + mail.port());
    }

    @Test
    void resolverOptionNamesAreCaseSensitive_LOOKUP17() throws Exception {
        TestDnsServer dns = dns();
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> smtp(config(dns, "smtp_dns_resolver_options=RES_DEFNAMES")));
        assertEquals(ConfigurationException.EX_CONFIG, e.exitStatus());
        assertEquals("smtp_dns_resolver_options", e.parameter().orElseThrow());
        assertTrue(e.getMessage().contains("RES_DEFNAMES"), e.getMessage());
    }

    @Test
    void aSearchDomainThatIsNoDomainNameStopsStartUp_LOOKUP17() throws Exception {
        TestDnsServer dns = dns();
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> smtp(config(dns, "dns_search_domains=corp..test")));
        assertEquals(ConfigurationException.EX_CONFIG, e.exitStatus());
        assertEquals("dns_search_domains", e.parameter().orElseThrow());
    }
}
