package io.postilion.dns.interop;

import static io.postilion.dns.interop.DnsRig.KNOT_PORT;
import static io.postilion.dns.interop.DnsRig.UNBOUND_PORT;
import static io.postilion.dns.interop.DnsRig.resolve;
import static io.postilion.dns.interop.DnsRig.smtp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postilion.dns.AddressPreference;
import io.postilion.dns.DnsSupportLevel;
import io.postilion.dns.LookupSettings;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.Target;
import io.postilion.dns.TargetList;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.destination.KnownTcpPorts;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsAnswer;
import io.postilion.dns.lookup.DnsOutcome;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.Type;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Section 2 of the spec (LOOKUP-n) against real DNS servers on loopback: Knot DNS serving the rig's
 * zones (scripts/peers/dns.sh) for lookups and parsing, Unbound in front of it where the AD bit or a
 * validation failure matters. The zone data is the one written by dns.sh; names below match it.
 */
@Tag("interop")
class KnotUnboundInteropTest {

    private static final AsyncDnsResolver KNOT = DnsRig.resolver(KNOT_PORT);
    private static final AsyncDnsResolver UNBOUND = DnsRig.resolver(UNBOUND_PORT);

    @BeforeAll
    static void rigIsUp() {
        DnsRig.require("Knot DNS (authoritative)", KNOT_PORT);
        DnsRig.require("Unbound (validating resolver)", UNBOUND_PORT);
    }

    private static TargetList resolve(LookupSettings s, String nexthop) {
        return DnsRig.resolve(KNOT, s, nexthop, 1);
    }

    private static DnsAnswer answer(Mono<DnsAnswer> m) {
        return m.subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(20));
    }

    private static List<String> hosts(TargetList t) {
        return t.targets().stream().map(Target::hostname).toList();
    }

    private static List<String> addrs(TargetList t) {
        return t.targets().stream().map(x -> x.address().getHostAddress()).toList();
    }

    private static List<Integer> prefs(TargetList t) {
        return t.targets().stream().map(Target::preference).toList();
    }

    private static void assertOk(TargetList t) {
        assertTrue(t.ok(), () -> t.nexthop() + ": " + t.failure() + " " + t.warnings());
    }

    private static void assertFails(TargetList t, String status, String text) {
        assertTrue(t.failure().isPresent(), () -> t.nexthop() + " should fail, got " + t.targets());
        assertEquals(status, t.failure().get().status(), t.failure().get().toString());
        assertTrue(t.failure().get().reason().contains(text), t.failure().get().reason());
        assertTrue(t.targets().isEmpty());
    }

    // ---- LOOKUP-3/5/9: MX order ----

    @Test
    void mxPreferenceOrder_LOOKUP5() {
        TargetList t = resolve(smtp().build(), "example.test");
        assertOk(t);
        assertEquals(List.of(10, 10, 20, 20, 30), prefs(t), t.targets().toString());
        assertEquals(Set.of("mx1.example.test"), Set.copyOf(hosts(t).subList(0, 2)));
        assertEquals(Set.of("mx2.example.test", "mx3.example.test"), Set.copyOf(hosts(t).subList(2, 4)));
        assertEquals("mx-down.example.test", hosts(t).get(4));
        assertEquals(List.of("127.0.0.2", "127.0.0.3"), addrs(t).subList(2, 4).stream().sorted().toList());
        assertEquals("127.0.0.9", addrs(t).get(4));
        assertTrue(t.targets().stream().allMatch(x -> x.port() == 25 && !x.dnssecValidated()));
        assertFalse(t.selfMx());
    }

    @Test
    void equalPreferencesInRandomOrder_LOOKUP9() {
        Set<List<String>> orders = new HashSet<>();
        for (long seed = 0; seed < 40; seed++) {
            TargetList t = DnsRig.resolve(KNOT, smtp().build(), "example.test", seed);
            assertOk(t);
            assertEquals(List.of(10, 10, 20, 20, 30), prefs(t));
            orders.add(hosts(t).subList(2, 4));
        }
        assertEquals(Set.of(List.of("mx2.example.test", "mx3.example.test"), List.of("mx3.example.test", "mx2.example.test")),
                orders, "both orders of the two preference-20 hosts occur across runs");
    }

    // ---- LOOKUP-5/11: addresses per MX host ----

    @Test
    void everyAddressOfAnMxHostCarriesItsPreference_LOOKUP5() {
        TargetList t = resolve(smtp().addressPreference(AddressPreference.IPV6).build(), "example.test");
        assertOk(t);
        assertEquals(List.of("mx1.example.test", "mx1.example.test"), hosts(t).subList(0, 2));
        assertEquals(List.of("0:0:0:0:0:0:0:1", "127.0.0.1"), addrs(t).subList(0, 2), "ipv6 first among preference 10");
        TargetList v4 = resolve(smtp().addressPreference(AddressPreference.IPV4).build(), "example.test");
        assertEquals(List.of("127.0.0.1", "0:0:0:0:0:0:0:1"), addrs(v4).subList(0, 2));
        TargetList only4 = resolve(smtp().inetProtocols(true, false).build(), "example.test");
        assertEquals(List.of("127.0.0.1"), addrs(only4).subList(0, 1));
        assertTrue(only4.targets().stream().noneMatch(Target::ipv6));
    }

    // ---- LOOKUP-4: null MX, no MX ----

    @Test
    void nullMxBouncesWithoutAddressLookup_LOOKUP4() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        AsyncDnsResolver counted = DnsRig.resolver(KNOT_PORT).withMeterRegistry(meters);
        TargetList t = DnsRig.resolve(counted, smtp().build(), "nullmx.example.test", 1);
        assertFails(t, "5.1.0", "Domain nullmx.example.test does not accept mail (nullMX)");
        double mx = meters.find("postilion_dns_lookups_total").tag("type", "MX").counters().stream()
                .mapToDouble(Counter::count).sum();
        double addr = meters.find("postilion_dns_lookups_total").counters().stream()
                .filter(c -> !"MX".equals(c.getId().getTag("type"))).mapToDouble(Counter::count).sum();
        assertEquals(1.0, mx, "one MX lookup");
        assertEquals(0.0, addr, "no A/AAAA lookup although nullmx.example.test has an A record");
    }

    @Test
    void noMxUsesTheDomainsOwnAddresses_LOOKUP4() {
        TargetList t = resolve(smtp().build(), "nomx.example.test");
        assertOk(t);
        assertEquals(Set.of("127.0.0.1", "0:0:0:0:0:0:0:1"), Set.copyOf(addrs(t)));
        assertTrue(t.targets().stream().allMatch(x -> x.preference() == 0 && x.hostname().equals("nomx.example.test")));
    }

    // ---- LOOKUP-3/14: CNAMEs ----

    @Test
    void cnameChasedForTheDomain_LOOKUP3_LOOKUP14() {
        // alias has no MX (its CNAME target mx1 has none): implicit MX, addresses via the CNAME.
        TargetList t = resolve(smtp().build(), "alias.example.test");
        assertOk(t);
        assertEquals(Set.of("127.0.0.1", "0:0:0:0:0:0:0:1"), Set.copyOf(addrs(t)));
        assertTrue(hosts(t).stream().allMatch("alias.example.test"::equals), "server name is the qname: " + hosts(t));
        DnsAnswer a = answer(KNOT.a("alias.example.test", false));
        assertTrue(a.ok());
        assertEquals("mx1.example.test.", a.canonicalName().toString());
        // cname-domain is an alias of example.test: its MX RRset is example.test's.
        TargetList cd = resolve(smtp().build(), "cname-domain.example.test");
        assertOk(cd);
        assertEquals(List.of(10, 10, 20, 20, 30), prefs(cd));
    }

    @Test
    void mxTargetThatIsACnameIsTolerated_LOOKUP14() {
        TargetList t = resolve(smtp().build(), "cnamemx.example.test");
        assertOk(t);
        assertEquals(Set.of("127.0.0.1", "0:0:0:0:0:0:0:1"), Set.copyOf(addrs(t)));
        assertTrue(t.targets().stream().allMatch(x -> x.preference() == 10 && x.hostname().equals("alias.example.test")));
        TargetList over = resolve(smtp().cnameOverridesServername(true).build(), "cnamemx.example.test");
        assertTrue(hosts(over).stream().allMatch("mx1.example.test"::equals), hosts(over).toString());
    }

    @Test
    void cnameLoopAndDanglingCnameAreNotFound_LOOKUP3() {
        assertEquals(DnsOutcome.NOT_FOUND, answer(KNOT.a("cname-loop-a.example.test", false)).outcome());
        assertEquals(DnsOutcome.NOT_FOUND, answer(KNOT.a("cname-dangling.example.test", false)).outcome());
    }

    // ---- LOOKUP-6/7: per-MX failures ----

    @Test
    void mxHostNxdomainBounces_LOOKUP7() {
        TargetList t = resolve(smtp().build(), "badmx.example.test");
        assertFails(t, "5.4.4", "nxhost.example.test");
        assertTrue(t.warnings().contains("no MX host for badmx.example.test has a valid address record"), t.warnings().toString());
        TargetList deferred = resolve(smtp().deferIfNoMxAddressFound(true).build(), "badmx.example.test");
        assertFails(deferred, "4.4.4", "nxhost.example.test");
    }

    @Test
    void mxHostWithoutAddressesBounces_LOOKUP7() {
        TargetList t = resolve(smtp().build(), "noaddrmx.example.test");
        assertFails(t, "5.4.4", "noaddr.example.test");
        assertTrue(t.warnings().contains("no MX host for noaddrmx.example.test has a valid address record"), t.warnings().toString());
    }

    @Test
    void partialResultsAreUsed_LOOKUP6() {
        TargetList t = resolve(smtp().build(), "partial.example.test");
        assertOk(t);
        assertEquals(Set.of("mx1.example.test"), Set.copyOf(hosts(t)));
        assertEquals(Set.of("127.0.0.1", "0:0:0:0:0:0:0:1"), Set.copyOf(addrs(t)));
        assertTrue(t.targets().stream().allMatch(x -> x.preference() == 20));
    }

    // ---- LOOKUP-10: smtp_mx_address_limit and balancing ----

    @Test
    void mxAddressLimitKeepsBothFamilies_LOOKUP10() {
        TargetList all = resolve(smtp().build(), "multi.example.test");
        assertOk(all);
        assertEquals(Set.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "0:0:0:0:0:0:0:1"), Set.copyOf(addrs(all)));
        for (int limit = 1; limit <= 4; limit++) {
            for (long seed = 0; seed < 5; seed++) {
                TargetList t = DnsRig.resolve(KNOT, smtp().mxAddressLimit(limit).build(), "multi.example.test", seed);
                assertOk(t);
                assertEquals(limit, t.targets().size(), t.targets().toString());
                if (limit >= 2) {
                    assertTrue(t.targets().stream().anyMatch(Target::ipv6), "the one AAAA survives: " + t.targets());
                    assertTrue(t.targets().stream().anyMatch(x -> !x.ipv6()), t.targets().toString());
                }
            }
        }
    }

    // ---- LOOKUP-3: truncation ----

    @Test
    void truncatedUdpAnswerRetriedOverTcp_LOOKUP3() throws Exception {
        Message udp = DnsRig.raw(KNOT_PORT, "bigmx.example.test", Type.MX, true);
        assertTrue(udp.getHeader().getFlag(Flags.TC), "Knot truncates the 40-MX answer over UDP");
        DnsAnswer ans = answer(KNOT.mx("bigmx.example.test", false));
        assertTrue(ans.ok(), ans.reason());
        List<MXRecord> mx = ans.records(MXRecord.class);
        assertEquals(40, mx.size());
        assertEquals(IntStream.rangeClosed(1, 40).boxed().toList(), mx.stream().map(MXRecord::getPriority).sorted().toList());
        TargetList t = resolve(smtp().mxAddressLimit(0).build(), "bigmx.example.test");
        assertOk(t);
        assertEquals(IntStream.rangeClosed(1, 40).boxed().toList(), prefs(t));
        assertEquals("mx01-a-rather-long-label-to-inflate-the-answer.example.test", t.targets().get(0).hostname());
    }

    // ---- LOOKUP-15: SRV ----

    @Test
    void srvSubmission_LOOKUP15() {
        TargetList t = resolve(smtp().useSrvLookup(Set.of("submission")).build(), "example.test:submission");
        assertOk(t);
        assertEquals(List.of("relay.example.test[127.0.0.1]:2587"), t.targets().stream().map(Target::toString).toList());
        assertEquals(0, t.targets().get(0).preference());
    }

    @Test
    void srvLmtpPriorityOrderAndPorts_LOOKUP15() {
        LookupSettings s = LookupSettings.defaults(DeliveryProtocol.LMTP).useSrvLookup(Set.of("lmtp")).build();
        TargetList t = DnsRig.resolve(KNOT, s, "inet:example.test:lmtp", 1);
        assertOk(t);
        assertEquals(List.of("lmtp.example.test[127.0.0.1]:2424", "mx2.example.test[127.0.0.2]:2425"),
                t.targets().stream().map(Target::toString).toList());
        assertEquals(List.of(10, 20), prefs(t));
    }

    @Test
    void nullSrvMeansNoService_LOOKUP15() {
        // imap is not in Postfix's default known_tcp_ports; the zone's _imap._tcp is "0 0 0 .".
        DestinationParser parser = new DestinationParser(DeliveryProtocol.SMTP,
                KnownTcpPorts.parse(KnownTcpPorts.DEFAULT_SETTING + ", imap=143"), "smtp", true, false);
        TargetList t = DnsRig.resolve(KNOT, smtp().useSrvLookup(Set.of("imap")).build(), parser, "example.test:imap", 1);
        assertFails(t, "5.1.0", "Domain example.test does not support SRV requests");
    }

    // ---- TLSA (read for DANE; TLS-8 lives in tls/, this is the lookup side) ----

    @Test
    void tlsaRecordsAndTlsaViaCname_TLS8() {
        DnsAnswer ee = answer(KNOT.tlsa("_25._tcp.mx1.example.test", false));
        assertTrue(ee.ok(), ee.reason());
        TLSARecord r = ee.records(TLSARecord.class).get(0);
        assertEquals(1, ee.records().size());
        assertEquals(3, r.getCertificateUsage());
        assertEquals(1, r.getSelector());
        assertEquals(1, r.getMatchingType());
        assertEquals(32, r.getCertificateAssociationData().length, "SHA-256 digest");
        DnsAnswer ta = answer(KNOT.tlsa("_25._tcp.mx2.example.test", false));
        assertEquals(2, ta.records(TLSARecord.class).get(0).getCertificateUsage());
        DnsAnswer viaCname = answer(KNOT.tlsa("_25._tcp.alias.example.test", false));
        assertTrue(viaCname.ok(), viaCname.reason());
        assertEquals("_25._tcp.mx1.example.test.", viaCname.canonicalName().toString());
        assertTrue(java.util.Arrays.equals(r.getCertificateAssociationData(),
                viaCname.records(TLSARecord.class).get(0).getCertificateAssociationData()));
        DnsAnswer validated = answer(UNBOUND.tlsa("_25._tcp.mx1.example.test", true));
        assertTrue(validated.ok() && validated.authenticated(), "TLSA through Unbound is secure: " + validated);
    }

    // ---- LOOKUP-3/16: DNSSEC status ----

    @Test
    void adBitFromValidatingResolverOnlyForSignedZone_LOOKUP3_LOOKUP16() {
        DnsAnswer secure = answer(UNBOUND.mx("example.test", true));
        assertTrue(secure.ok(), secure.reason());
        assertTrue(secure.authenticated(), "Unbound sets AD for the signed example.test");
        DnsAnswer insecure = answer(UNBOUND.mx("insecure.test", true));
        assertTrue(insecure.ok(), insecure.reason());
        assertFalse(insecure.authenticated(), "no AD for the unsigned insecure.test");
        DnsAnswer authoritative = answer(KNOT.mx("example.test", true));
        assertTrue(authoritative.ok());
        assertFalse(authoritative.authenticated(), "Knot is authoritative only and never sets AD");

        LookupSettings dnssec = smtp().dnsSupportLevel(DnsSupportLevel.DNSSEC).build();
        TargetList t = DnsRig.resolve(UNBOUND, dnssec, "example.test", 1);
        assertOk(t);
        assertTrue(t.targets().stream().allMatch(Target::dnssecValidated), t.targets().toString());
        TargetList i = DnsRig.resolve(UNBOUND, dnssec, "insecure.test", 1);
        assertOk(i);
        assertEquals(List.of("mx.insecure.test[127.0.0.1]:25"), i.targets().stream().map(Target::toString).toList());
        assertFalse(i.targets().get(0).dnssecValidated());
    }

    @Test
    void servfailForBogusZoneDefers_LOOKUP4() throws Exception {
        DnsAnswer bogus = answer(UNBOUND.mx("bogus.test", true));
        assertEquals(DnsOutcome.TEMPORARY, bogus.outcome(), bogus.toString());
        assertEquals(Rcode.SERVFAIL, bogus.rcode());
        TargetList t = DnsRig.resolve(UNBOUND, smtp().dnsSupportLevel(DnsSupportLevel.DNSSEC).build(), "bogus.test", 1);
        assertFails(t, "4.4.3", "name=bogus.test type=MX");
        assertFalse(t.failure().get().hard(), "a validation failure defers");
        // The same zone straight from Knot is fine: the failure is Unbound's validation.
        assertOk(resolve(smtp().build(), "bogus.test"));
        assertEquals(Rcode.NOERROR, DnsRig.raw(KNOT_PORT, "bogus.test", Type.MX, false).getRcode());
        assertFalse(DnsRig.raw(KNOT_PORT, "bogus.test", Type.MX, false).getSection(Section.ANSWER).isEmpty());
    }

    // ---- LOOKUP-8: self detection ----

    @Test
    void selfMxLoopsBackToMyself_LOOKUP8() {
        // CLARIFICATIONS 20: inet_interfaces names the address the MX resolves to.
        LookupSettings me = smtp().self(SelfAddresses.of("127.0.0.1", "")).build();
        TargetList t = DnsRig.resolve(KNOT, me, "selfmx.example.test", 1);
        assertFails(t, "5.4.6", "mail for selfmx.example.test loops back to myself");
        assertTrue(t.finalNexthop(), "a loop makes the destination final");
        // With inet_interfaces on an unused loopback address the same MX is an ordinary server.
        TargetList other = resolve(smtp().build(), "selfmx.example.test");
        assertOk(other);
        assertEquals(List.of("localhost.example.test[127.0.0.1]:25"), other.targets().stream().map(Target::toString).toList());
        // Loop detection is for port 25 only (LOOKUP-2).
        assertOk(DnsRig.resolve(KNOT, me, "selfmx.example.test:2525", 1));
    }

    @Test
    void selfAmongBetterMxTruncatesTheList_LOOKUP8() {
        // 127.0.0.3 is mx3 (preference 20): only the preference-10 mx1 addresses remain, and the
        // destination is final because this MTA is one of its MX hosts.
        TargetList t = DnsRig.resolve(KNOT, smtp().self(SelfAddresses.of("127.0.0.3", "")).build(), "example.test", 1);
        assertOk(t);
        assertTrue(t.selfMx());
        assertTrue(t.finalNexthop());
        assertEquals(List.of(10, 10), prefs(t));
    }
}
