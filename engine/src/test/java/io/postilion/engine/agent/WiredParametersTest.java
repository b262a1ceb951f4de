package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

/**
 * Parameters that reach the product only through main.cf and {@code -o}: each test builds the agent
 * from a {@link Configuration}, exactly as {@code relay} and {@code send} do, delivers through it to
 * the in-JVM SMTP server, with MX answers from the in-JVM DNS responder, and observes the effect
 * (issue 18): smtp_tcp_port / lmtp_tcp_port and known_tcp_ports (DEST-7, DEST-8), the bind
 * addresses (SESS-5), and the DNS answer cache and meters of the agent the relay builds.
 */
class WiredParametersTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final AgentTestBed bed = new AgentTestBed();

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private FakeSmtpServer server(String host) {
        return bed.server(host);
    }

    private TestDnsServer dns() throws Exception {
        return bed.dns();
    }

    /** The test's name server, then the test's own options (after AgentTestBed.BASE). */
    private static List<String> base(TestDnsServer dns, String... more) {
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dns.dnsServers()));
        o.addAll(List.of(more));
        return o;
    }

    private static Configuration config(List<String> overrides) {
        return AgentTestBed.config(overrides);
    }

    private DeliveryAgent agent(Configuration cfg, MeterRegistry registry) {
        DeliveryAgent a = DeliveryAgent.builder(cfg).clock(Clock.systemUTC()).meterRegistry(registry).build();
        bed.closed(a::close);
        return a;
    }

    private static DeliveryReport deliver(DeliveryAgent agent, String nexthop, String rcpt) {
        DeliveryRequest request = DeliveryRequest.builder("4WIRED1", "s@client.test", nexthop)
                .content(ContentSource.of("Subject: wired\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient(rcpt).build();
        return agent.deliver(request).block(WAIT);
    }

    private static void assertSent(DeliveryReport r, String relay) {
        RecipientResult x = r.results().get(0);
        assertEquals(Outcome.SENT, x.outcome(), x.status().text() + " " + x.reason());
        assertEquals(relay, x.relay());
    }

    // ------------------------------------------------------------------ DEST-7, DEST-8

    @Test
    void dest8_smtpTcpPortIsThePortOfMxHostsFoundForADestinationWithoutAPort() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2");
        DeliveryAgent agent = agent(config(base(dns, "smtp_tcp_port=" + mx.port())), null);

        DeliveryReport r = deliver(agent, "dest.test", "rcpt@dest.test");

        assertSent(r, "mx.dest.test[127.0.0.2]:" + mx.port());
        assertEquals(1, mx.contents().size(), "the mail arrived");
        assertEquals(1, dns.queryCount("dest.test", Type.MX), "the port did not stop the MX lookup");
    }

    @Test
    void dest8_withTheDefaultSmtpTcpPortTheMxHostsPort25IsUsed() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2");
        DeliveryAgent agent = agent(config(base(dns)), null);

        DeliveryReport r = deliver(agent, "dest.test", "rcpt@dest.test");

        RecipientResult x = r.results().get(0);
        assertEquals(Outcome.DEFERRED, x.outcome(), x.reason());
        assertTrue(x.reason().startsWith("connect to mx.dest.test[127.0.0.2]:25: "), x.reason());
        assertEquals(0, mx.sessions());
    }

    @Test
    void dest7_aServiceNameInSmtpTcpPortResolvesThroughKnownTcpPorts() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2");
        DeliveryAgent agent = agent(config(base(dns, "known_tcp_ports=postilion-test=" + mx.port() + ", smtp=25",
                "smtp_tcp_port=postilion-test")), null);

        assertSent(deliver(agent, "dest.test", "rcpt@dest.test"), "mx.dest.test[127.0.0.2]:" + mx.port());
    }

    @Test
    void dest7_aServiceNameInABracketedNexthopResolvesThroughKnownTcpPorts() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        DeliveryAgent agent = agent(config(base(dns, "known_tcp_ports=alpha=beta=" + mx.port())), null);

        assertSent(deliver(agent, "[127.0.0.2]:beta", "rcpt@dest.test"), "127.0.0.2[127.0.0.2]:" + mx.port());
        assertEquals(1, mx.contents().size());
    }

    @Test
    void dest7_aServiceNameKnownTcpPortsNoLongerListsIsAnUnknownServiceAndDefers() throws Exception {
        TestDnsServer dns = dns();
        // the default table has "submission"; this one does not, nor does the services database have this name
        DeliveryAgent agent = agent(config(base(dns, "known_tcp_ports=smtp=25")), null);

        RecipientResult x = deliver(agent, "[127.0.0.2]:postilion-nosuch", "rcpt@dest.test").results().get(0);
        assertEquals(Outcome.DEFERRED, x.outcome());
        assertEquals("4.3.5", x.status().text(), "DEST-9 / CLARIFICATIONS 5");
    }

    @Test
    void dest7_aNameKnownTcpPortsLacksIsLookedUpInTheServicesDatabase() throws Exception {
        java.nio.file.Path services = java.nio.file.Path.of("/etc/services");
        Assumptions.assumeTrue(java.nio.file.Files.isReadable(services)
                && java.nio.file.Files.readAllLines(services, StandardCharsets.ISO_8859_1).stream()
                        .anyMatch(l -> l.matches("imaps\\s+993/tcp.*")), "/etc/services lists imaps 993/tcp");
        TestDnsServer dns = dns();
        DeliveryAgent agent = agent(config(base(dns)), null); // the default known_tcp_ports has no imaps

        RecipientResult x = deliver(agent, "[127.0.0.2]:imaps", "rcpt@dest.test").results().get(0);
        assertTrue(x.reason().startsWith("connect to 127.0.0.2[127.0.0.2]:993: "), x.status().text() + " " + x.reason());
    }

    @Test
    void dest8_lmtpTcpPortIsTheDefaultPortOfLmtpDestinations() throws Exception {
        FakeSmtpServer lmtp = server("127.0.0.2").lmtp(true);
        TestDnsServer dns = dns();
        Configuration cfg = config(base(dns, "lmtp_tcp_port=" + lmtp.port(), "lmtp_connect_timeout=3s"));
        DeliveryAgent agent = DeliveryAgent.builder(cfg).lmtp().build();
        bed.closed(agent::close);

        assertSent(deliver(agent, "inet:127.0.0.2", "rcpt@dest.test"), "127.0.0.2[127.0.0.2]:" + lmtp.port());
    }

    @Test
    void anLmtpDestinationByNameIsLookedUpByAddressNeverByMx_MISC6() throws Exception {
        FakeSmtpServer lmtp = server("127.0.0.2").lmtp(true);
        FakeSmtpServer mx = server("127.0.0.3");
        TestDnsServer dns = dns();
        // An MX that SMTP would follow; LMTP must connect to the name's own address instead.
        dns.mx("mailstore.test", 10, "mx.mailstore.test").a("mx.mailstore.test", "127.0.0.3").a("mailstore.test", "127.0.0.2");
        Configuration cfg = config(base(dns, "lmtp_tcp_port=" + lmtp.port(), "lmtp_connect_timeout=3s"));
        DeliveryAgent agent = DeliveryAgent.builder(cfg).lmtp().build();
        bed.closed(agent::close);

        assertSent(deliver(agent, "inet:mailstore.test", "rcpt@dest.test"), "mailstore.test[127.0.0.2]:" + lmtp.port());
        assertEquals(0, dns.queryCount("mailstore.test", Type.MX), "no MX lookup for LMTP");
        assertEquals(0, mx.sessions());
        assertTrue(lmtp.commands().get(0).startsWith("LHLO "), lmtp.commands().toString());
    }

    @Test
    void dest8_aBadSmtpTcpPortStopsStartUpNamingTheParameter() throws Exception {
        TestDnsServer dns = dns();
        for (String bad : List.of("0", "65536", "25x", "postilion-nosuch", "")) {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> DeliveryAgent.builder(config(base(dns, "smtp_tcp_port=" + bad))).build(), bad);
            assertEquals(ConfigurationException.EX_CONFIG, e.exitStatus(), bad);
            assertTrue(e.getMessage().contains("smtp_tcp_port"), e.getMessage());
        }
        ConfigurationException lmtp = assertThrows(ConfigurationException.class,
                () -> DeliveryAgent.builder(config(base(dns, "lmtp_tcp_port=lmtp-nosuch"))).lmtp().build());
        assertTrue(lmtp.getMessage().contains("lmtp_tcp_port"), lmtp.getMessage());
    }

    @Test
    void dest7_aBadKnownTcpPortsStopsStartUpNamingTheParameter() throws Exception {
        TestDnsServer dns = dns();
        for (String bad : List.of("smtp", "smtp=0", "smtp=x25", "=25", "25=26")) {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> DeliveryAgent.builder(config(base(dns, "known_tcp_ports=" + bad))).build(), bad);
            assertEquals(ConfigurationException.EX_CONFIG, e.exitStatus(), bad);
            assertTrue(e.getMessage().contains("known_tcp_ports"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ LOOKUP-1, LOOKUP-15 (SRV)

    @Test
    void lookup15_useSrvLookupSendsMailForAListedServiceToTheSrvTargetOnTheSrvPort() throws Exception {
        FakeSmtpServer target = server("127.0.0.2");
        TestDnsServer dns = dns();
        dns.srv("_submission._tcp.dest.test", 0, 1, target.port(), "host.dest.test").a("host.dest.test", "127.0.0.2");
        DeliveryAgent agent = agent(config(base(dns, "use_srv_lookup=submission")), null);

        assertSent(deliver(agent, "dest.test:submission", "rcpt@dest.test"), "host.dest.test[127.0.0.2]:" + target.port());
        assertEquals(1, dns.queryCount("_submission._tcp.dest.test", Type.SRV));
        assertEquals(0, dns.queryCount("dest.test", Type.MX), "SRV, not MX");
    }

    @Test
    void lookup1_withoutUseSrvLookupTheSameDestinationGetsAnMxLookupAndNoSrvQuery() throws Exception {
        FakeSmtpServer target = server("127.0.0.2");
        TestDnsServer dns = dns();
        dns.srv("_submission._tcp.dest.test", 0, 1, target.port(), "host.dest.test").a("host.dest.test", "127.0.0.2");
        DeliveryAgent agent = agent(config(base(dns)), null);

        RecipientResult x = deliver(agent, "dest.test:submission", "rcpt@dest.test").results().get(0);
        assertEquals(Outcome.BOUNCED, x.outcome(), x.reason());
        assertEquals(0, dns.queryCount("_submission._tcp.dest.test", Type.SRV));
        assertEquals(0, target.sessions());
    }

    @Test
    void lookup1_theDefaultServiceFromSmtpTcpPortSelectsSrvLookup() throws Exception {
        FakeSmtpServer target = server("127.0.0.2");
        TestDnsServer dns = dns();
        dns.srv("_submission._tcp.dest.test", 0, 1, target.port(), "host.dest.test").a("host.dest.test", "127.0.0.2");
        DeliveryAgent agent = agent(config(base(dns, "use_srv_lookup=submission", "smtp_tcp_port=submission")), null);

        assertSent(deliver(agent, "dest.test", "rcpt@dest.test"), "host.dest.test[127.0.0.2]:" + target.port());
    }

    @Test
    void lookup15_allowSrvLookupFallbackFallsBackToMxWhenNoSrvRecordExists() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2");
        String port = String.valueOf(mx.port());
        DeliveryAgent strict = agent(config(base(dns, "use_srv_lookup=" + port)), null);
        RecipientResult x = deliver(strict, "dest.test:" + port, "rcpt@dest.test").results().get(0);
        assertEquals(Outcome.BOUNCED, x.outcome(), "not found without fallback is 5.4.4: " + x.reason());
        assertEquals("5.4.4", x.status().text());

        DeliveryAgent lenient = agent(config(base(dns, "use_srv_lookup=" + port, "allow_srv_lookup_fallback=yes")), null);
        assertSent(deliver(lenient, "dest.test:" + port, "rcpt@dest.test"), "mx.dest.test[127.0.0.2]:" + port);
    }

    @Test
    void lookup15_ignoreSrvLookupErrorFallsBackToMxWhenTheSrvLookupFails() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2");
        String port = String.valueOf(mx.port());
        dns.servfail("_" + port + "._tcp.dest.test", Type.SRV);
        DeliveryAgent strict = agent(config(base(dns, "use_srv_lookup=" + port)), null);
        RecipientResult x = deliver(strict, "dest.test:" + port, "rcpt@dest.test").results().get(0);
        assertEquals(Outcome.DEFERRED, x.outcome(), x.reason());

        DeliveryAgent lenient = agent(config(base(dns, "use_srv_lookup=" + port, "ignore_srv_lookup_error=yes")), null);
        assertSent(deliver(lenient, "dest.test:" + port, "rcpt@dest.test"), "mx.dest.test[127.0.0.2]:" + port);
    }

    // ------------------------------------------------------------------ LOOKUP-14

    @Test
    void lookup14_smtpCnameOverridesServernameNamesTheServerByItsCanonicalName() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        dns.mx("dest.test", 10, "alias.dest.test").cname("alias.dest.test", "real.dest.test").a("real.dest.test", "127.0.0.2");
        String port = "smtp_tcp_port=" + mx.port();

        assertSent(deliver(agent(config(base(dns, port)), null), "dest.test", "a@dest.test"),
                "alias.dest.test[127.0.0.2]:" + mx.port());
        assertSent(deliver(agent(config(base(dns, port, "smtp_cname_overrides_servername=yes")), null), "dest.test",
                "b@dest.test"), "real.dest.test[127.0.0.2]:" + mx.port());
    }

    // ------------------------------------------------------------------ SESS-5

    @Test
    void sess5_theClientSocketBindsToSmtpBindAddress() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        DeliveryAgent agent = agent(config(base(dns, "smtp_bind_address=127.0.0.7")), null);

        assertSent(deliver(agent, "[127.0.0.2]:" + mx.port(), "rcpt@dest.test"), "127.0.0.2[127.0.0.2]:" + mx.port());
        assertEquals("127.0.0.7", clientOf(mx));
    }

    @Test
    void sess5_aBracketedSmtpBindAddressIsAccepted() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        DeliveryAgent agent = agent(config(base(dns, "smtp_bind_address=[127.0.0.8]")), null);

        assertSent(deliver(agent, "[127.0.0.2]:" + mx.port(), "rcpt@dest.test"), "127.0.0.2[127.0.0.2]:" + mx.port());
        assertEquals("127.0.0.8", clientOf(mx));
    }

    @Test
    void sess5_smtpBindAddressIsNotUsedForAnIpv6ServerButSmtpBindAddress6Is() throws Exception {
        FakeSmtpServer mx;
        try {
            mx = server("::1");
        } catch (RuntimeException e) {
            Assumptions.abort("no IPv6 loopback here: " + e);
            return;
        }
        TestDnsServer dns = dns();
        // enforce: were 127.0.0.7 applied to the IPv6 socket, the bind would fail and so would the delivery
        List<String> o = base(dns, "smtp_bind_address=127.0.0.7", "smtp_bind_address6=[::1]", "smtp_bind_address_enforce=yes");
        o.set(1, "inet_protocols=all");
        DeliveryAgent agent = agent(config(o), null);

        RecipientResult x = deliver(agent, "[ipv6:::1]:" + mx.port(), "rcpt@dest.test").results().get(0);
        assertEquals(Outcome.SENT, x.outcome(), x.reason());
        assertEquals("::1[::1]:" + mx.port(), x.relay(), "IPv6 in inet_ntop form (LOG-1)");
        assertEquals("0:0:0:0:0:0:0:1", clientOf(mx), "bound to ::1 from smtp_bind_address6, not 127.0.0.7");
    }

    @Test
    void sess5_smtpBindAddress6IsNotUsedForAnIpv4Server() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        DeliveryAgent agent = agent(config(base(dns, "smtp_bind_address6=::1")), null);

        assertSent(deliver(agent, "[127.0.0.2]:" + mx.port(), "rcpt@dest.test"), "127.0.0.2[127.0.0.2]:" + mx.port());
        assertEquals("127.0.0.1", clientOf(mx), "the system's choice for 127.0.0.2");
    }

    @Test
    void sess5_lmtpBindAddressBindsLmtpConnections() throws Exception {
        FakeSmtpServer lmtp = server("127.0.0.2").lmtp(true);
        TestDnsServer dns = dns();
        DeliveryAgent agent = DeliveryAgent.builder(config(base(dns, "lmtp_bind_address=127.0.0.9",
                "smtp_bind_address=127.0.0.7"))).lmtp().build();
        bed.closed(agent::close);

        assertSent(deliver(agent, "inet:127.0.0.2:" + lmtp.port(), "rcpt@dest.test"), "127.0.0.2[127.0.0.2]:" + lmtp.port());
        assertEquals("127.0.0.9", clientOf(lmtp));
    }

    @Test
    void sess5_aFailedBindWithoutEnforcementWarnsAndConnectsUnbound() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        assumeNotLocal();
        DeliveryAgent agent = agent(config(base(dns, "smtp_bind_address=" + NOT_LOCAL)), null);

        assertSent(deliver(agent, "[127.0.0.2]:" + mx.port(), "rcpt@dest.test"), "127.0.0.2[127.0.0.2]:" + mx.port());
        assertEquals("127.0.0.1", clientOf(mx));
    }

    @Test
    void sess5_aFailedBindWithEnforcementDefersWith440ServerConfigurationError() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        assumeNotLocal();
        DeliveryAgent agent = agent(config(base(dns, "smtp_bind_address=" + NOT_LOCAL, "smtp_bind_address_enforce=yes")),
                null);

        RecipientResult x = deliver(agent, "[127.0.0.2]:" + mx.port(), "rcpt@dest.test").results().get(0);
        assertEquals(Outcome.DEFERRED, x.outcome(), x.reason());
        assertEquals("4.4.0", x.status().text());
        assertEquals("server configuration error", x.reason());
        assertEquals(0, mx.sessions(), "no connection was made");
    }

    @Test
    void sess5_theOnlyNonLoopbackInetInterfacesAddressIsTheSourceWhenSmtpBindAddressIsEmpty() throws Exception {
        InetAddress own = nonLoopbackIpv4();
        Assumptions.assumeTrue(own != null, "this machine has no non-loopback IPv4 address");
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        List<String> o = base(dns);
        o.set(0, "inet_interfaces=" + own.getHostAddress());
        DeliveryAgent agent = agent(config(o), null);

        assertSent(deliver(agent, "[127.0.0.2]:" + mx.port(), "rcpt@dest.test"), "127.0.0.2[127.0.0.2]:" + mx.port());
        assertEquals(own.getHostAddress(), clientOf(mx));
    }

    @Test
    void sess5_aRefusedConnectionFromABoundAddressIsAnOrdinaryConnectFailureEvenWithEnforcement() throws Exception {
        TestDnsServer dns = dns();
        int closed;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.2"))) {
            closed = probe.getLocalPort();
        }
        DeliveryAgent agent = agent(config(base(dns, "smtp_bind_address=127.0.0.7", "smtp_bind_address_enforce=yes")),
                null);

        RecipientResult x = deliver(agent, "[127.0.0.2]:" + closed, "rcpt@dest.test").results().get(0);
        assertEquals(Outcome.DEFERRED, x.outcome(), x.reason());
        assertEquals("4.4.1", x.status().text());
        assertTrue(x.reason().startsWith("connect to 127.0.0.2[127.0.0.2]:" + closed + ": Connection refused"), x.reason());
    }

    @Test
    void sess5_aSingleNonLoopbackInetInterfacesAddressIsNotBoundWhenItIsLoopback() throws Exception {
        // inet_interfaces=127.0.0.254 (base): loopback, so no implicit bind; the system picks 127.0.0.1
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        DeliveryAgent agent = agent(config(base(dns)), null);

        assertSent(deliver(agent, "[127.0.0.2]:" + mx.port(), "rcpt@dest.test"), "127.0.0.2[127.0.0.2]:" + mx.port());
        assertEquals("127.0.0.1", clientOf(mx));
    }

    @Test
    void sess5_aMalformedBindAddressStopsStartUpNamingTheParameter() throws Exception {
        TestDnsServer dns = dns();
        for (String setting : List.of("smtp_bind_address=mail.example", "smtp_bind_address=[127.0.0.7",
                "smtp_bind_address=::1", "smtp_bind_address6=127.0.0.1", "smtp_bind_address6=[::1]x")) {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> DeliveryAgent.builder(config(base(dns, setting))).build(), setting);
            assertEquals(ConfigurationException.EX_CONFIG, e.exitStatus(), setting);
            String name = setting.substring(0, setting.indexOf('='));
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
    }

    /** TEST-NET-2: assumed to be on no interface of this machine (checked), so bind(2) fails. */
    private static final String NOT_LOCAL = "198.51.100.77";

    private static void assumeNotLocal() throws Exception {
        Assumptions.assumeTrue(java.net.NetworkInterface.getByInetAddress(InetAddress.getByName(NOT_LOCAL)) == null,
                NOT_LOCAL + " is an address of this machine");
    }

    private static InetAddress nonLoopbackIpv4() throws Exception {
        for (var nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (!nif.isUp() || nif.isLoopback()) {
                continue;
            }
            for (InetAddress a : java.util.Collections.list(nif.getInetAddresses())) {
                if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return a;
                }
            }
        }
        return null;
    }

    private static String clientOf(FakeSmtpServer server) {
        List<InetSocketAddress> clients = server.clientAddresses();
        assertEquals(1, clients.size(), clients.toString());
        return clients.get(0).getAddress().getHostAddress();
    }

    // ------------------------------------------------------------------ DNS cache and meters

    @Test
    void theAgentTheRelayBuildsCountsDnsLookupsAndAnswersARepeatedNameFromItsCache() throws Exception {
        FakeSmtpServer mx = server("127.0.0.2");
        TestDnsServer dns = dns();
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.2");
        // as Relay.build does: DeliveryAgent.builder(cfg).clock(clock).meterRegistry(registry).build()
        var registry = io.postilion.engine.metrics.MetricsEndpoint.newRegistry();
        DeliveryAgent agent = agent(config(base(dns, "smtp_tcp_port=" + mx.port())), registry);

        assertSent(deliver(agent, "dest.test", "one@dest.test"), "mx.dest.test[127.0.0.2]:" + mx.port());
        assertSent(deliver(agent, "dest.test", "two@dest.test"), "mx.dest.test[127.0.0.2]:" + mx.port());

        assertEquals(1, dns.queryCount("dest.test", Type.MX), "the second MX lookup came from the cache");
        assertEquals(1, dns.queryCount("mx.dest.test", Type.A), "so did the second address lookup");
        double lookups = registry.find("postilion_dns_lookups_total").counters().stream().mapToDouble(Counter::count).sum();
        double hits = registry.find("postilion_dns_cache_hits_total").counters().stream().mapToDouble(Counter::count).sum();
        assertTrue(lookups >= 4, "two deliveries, each an MX and an A lookup: " + lookups);
        assertTrue(hits >= 2, "the second delivery's lookups were cache hits: " + hits);
        assertTrue(registry.find("postilion_dns_query_duration").timer().count() > 0);
        String scrape = registry.scrape();
        assertTrue(scrape.contains("postilion_dns_lookups_total{"), "what /metrics serves shows the DNS meters");
        assertTrue(scrape.contains("postilion_dns_cache_hits_total{"), scrape);
    }
}
