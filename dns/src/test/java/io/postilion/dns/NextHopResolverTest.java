package io.postilion.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationList;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.destination.InetDestination;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.dns.testserver.TestDnsServer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

class NextHopResolverTest {

    static final Executor PARALLEL = r -> Schedulers.parallel().schedule(r);

    private TestDnsServer dns;
    private AsyncDnsResolver resolver;
    private final AtomicInteger nativeCalls = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        dns = TestDnsServer.start();
        resolver = AsyncDnsResolver.create(DnsResolverConfig.parse(dns.dnsServers(), Duration.ofSeconds(1), 1), PARALLEL);
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private static LookupSettings.Builder smtp() {
        return LookupSettings.defaults(DeliveryProtocol.SMTP).self(SelfAddresses.of("127.0.0.254", ""));
    }

    private NextHopResolver nextHop(LookupSettings settings, long seed) {
        NativeHostResolver fake = host -> {
            nativeCalls.incrementAndGet();
            if (host.equals("hosts-file.example.test")) {
                return Mono.just(List.of(ip("192.0.2.222")));
            }
            return Mono.error(new UnknownHostException(host + ": Name or service not known"));
        };
        return new NextHopResolver(resolver, settings, new SplittableRandom(seed), fake);
    }

    private TargetList resolve(LookupSettings settings, String nexthop) {
        return resolve(settings, nexthop, 1);
    }

    /** Resolves on a Reactor non-blocking thread, so BlockHound would report any blocking call. */
    private TargetList resolve(LookupSettings settings, String nexthop, long seed) {
        DestinationParser parser = settings.protocol() == DeliveryProtocol.SMTP ? DestinationParser.smtp()
                : DestinationParser.lmtp();
        DestinationList list = parser.parse(nexthop, "");
        assertTrue(list.isValid(), () -> list.error().toString());
        return nextHop(settings, seed).resolve((InetDestination) list.destinations().get(0), false)
                .subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(20));
    }

    private static InetAddress ip(String literal) {
        return io.postilion.dns.destination.HostNames.parseNumeric(literal).orElseThrow();
    }

    private static List<String> hosts(TargetList t) {
        return t.targets().stream().map(Target::hostname).toList();
    }

    private static List<String> addrs(TargetList t) {
        return t.targets().stream().map(x -> x.address().getHostAddress()).toList();
    }

    // ---- LOOKUP-3..7: MX ----

    @Test
    void lowerPreferenceFirst_LOOKUP5() {
        dns.mx("example.test", 20, "mx20.example.test").mx("example.test", 10, "mx10.example.test")
                .a("mx20.example.test", "192.0.2.20").a("mx10.example.test", "192.0.2.10");
        TargetList t = resolve(smtp().build(), "example.test");
        assertTrue(t.ok());
        assertEquals(List.of("mx10.example.test", "mx20.example.test"), hosts(t));
        assertEquals(10, t.targets().get(0).preference());
        assertEquals(25, t.targets().get(0).port());
        assertEquals("example.test", t.nexthop());
    }

    @Test
    void equalPreferencesShuffledAndLimitApplied_LOOKUP9_SESS1() {
        dns.mx("example.test", 10, "a.example.test").mx("example.test", 10, "b.example.test")
                .mx("example.test", 20, "c.example.test")
                .a("a.example.test", "192.0.2.1").a("b.example.test", "192.0.2.2").a("c.example.test", "192.0.2.3");
        LookupSettings s = smtp().mxAddressLimit(2).build();
        Set<List<String>> orders = new HashSet<>();
        for (long seed = 0; seed < 40; seed++) {
            TargetList t = resolve(s, "example.test", seed);
            assertEquals(Set.of("a.example.test", "b.example.test"), Set.copyOf(hosts(t)));
            orders.add(hosts(t));
        }
        assertEquals(2, orders.size(), "both orders occur across runs");
    }

    @Test
    void withoutRandomizationDnsOrderIsKept_LOOKUP9() {
        dns.mx("example.test", 10, "a.example.test").mx("example.test", 10, "b.example.test")
                .mx("example.test", 10, "c.example.test")
                .a("a.example.test", "192.0.2.1").a("b.example.test", "192.0.2.2").a("c.example.test", "192.0.2.3");
        LookupSettings s = smtp().randomizeAddresses(false).build();
        for (long seed = 0; seed < 5; seed++) {
            assertEquals(List.of("a.example.test", "b.example.test", "c.example.test"), hosts(resolve(s, "example.test", seed)));
        }
    }

    @Test
    void noMxFallsBackToDomainAddresses_LOOKUP4() {
        dns.a("example.test", "192.0.2.5").aaaa("example.test", "2001:db8::5");
        TargetList t = resolve(smtp().randomizeAddresses(false).build(), "example.test");
        assertTrue(t.ok());
        assertEquals(Set.of("192.0.2.5", "2001:db8:0:0:0:0:0:5"), Set.copyOf(addrs(t)));
        assertTrue(t.targets().stream().allMatch(x -> x.preference() == 0 && x.hostname().equals("example.test")));
    }

    @Test
    void nxdomainForMxAndAddressBounces_LOOKUP4_LOOKUP11() {
        TargetList t = resolve(smtp().build(), "nowhere.example.test");
        LookupFailure f = t.failure().orElseThrow();
        assertEquals("5.4.4", f.status());
        assertTrue(f.reason().startsWith("Host or domain name not found. Name service error for name=nowhere.example.test type=A"),
                f.reason());
        assertFalse(t.finalNexthop(), "a later item would be tried (LOOKUP-21)");
    }

    @Test
    void mxServfailDefersWithPostfixText_LOOKUP4() {
        dns.servfail("example.test", Type.MX).a("example.test", "192.0.2.9");
        TargetList t = resolve(smtp().build(), "example.test");
        assertEquals(new LookupFailure("4.4.3", "Host or domain name not found. Name service error for "
                + "name=example.test type=MX: Host not found, try again"), t.failure().orElseThrow());
    }

    @Test
    void ignoreMxLookupErrorFallsBackToAddress_LOOKUP4() {
        dns.servfail("example.test", Type.MX).a("example.test", "192.0.2.9");
        TargetList t = resolve(smtp().ignoreMxLookupError(true).build(), "example.test");
        assertEquals(List.of("192.0.2.9"), addrs(t));
    }

    @Test
    void mxRefusedIsNonRecoverable_LOOKUP4() {
        dns.rcode("example.test", Type.MX, org.xbill.DNS.Rcode.REFUSED);
        assertEquals("5.4.3", resolve(smtp().build(), "example.test").failure().orElseThrow().status());
    }

    @Test
    void nullMxBouncesWithoutAddressLookup_LOOKUP4() {
        dns.mx("nomail.example.test", 0, ".").a("nomail.example.test", "192.0.2.1");
        TargetList t = resolve(smtp().build(), "nomail.example.test");
        assertEquals(new LookupFailure("5.1.0", "Domain nomail.example.test does not accept mail (nullMX)"),
                t.failure().orElseThrow());
        assertEquals(0, dns.queryCount("nomail.example.test", Type.A));
        assertEquals(0, dns.queryCount("nomail.example.test", Type.AAAA));
        assertFalse(t.finalNexthop(), "a fallback relay is still tried (LOOKUP-21)");
    }

    @Test
    void nullMxAmongOtherRecordsPoisonsTheAnswer_LOOKUP4() {
        dns.mx("nomail.example.test", 0, ".").mx("nomail.example.test", 10, "mx.example.test").a("mx.example.test", "192.0.2.1");
        assertEquals("5.1.0", resolve(smtp().build(), "nomail.example.test").failure().orElseThrow().status());
    }

    @Test
    void invalidMxTargetsAreDroppedOrMalformed_LOOKUP4() {
        dns.mx("example.test", 10, "-bad.example.test").mx("example.test", 20, "good.example.test")
                .a("good.example.test", "192.0.2.7");
        assertEquals(List.of("good.example.test"), hosts(resolve(smtp().build(), "example.test")));
        dns.mx("allbad.example.test", 10, "-bad.example.test");
        TargetList t = resolve(smtp().build(), "allbad.example.test");
        assertEquals("5.4.4", t.failure().orElseThrow().status());
        assertTrue(t.failure().get().reason().contains("Malformed"), t.failure().get().reason());
    }

    @Test
    void mxTargetNxdomainBouncesOrDefers_LOOKUP7() {
        dns.mx("example.test", 10, "gone.example.test");
        TargetList t = resolve(smtp().build(), "example.test");
        assertEquals("5.4.4", t.failure().orElseThrow().status());
        assertTrue(t.failure().get().reason().contains("name=gone.example.test"), t.failure().get().reason());
        assertTrue(t.warnings().contains("no MX host for example.test has a valid address record"));
        TargetList deferred = resolve(smtp().deferIfNoMxAddressFound(true).build(), "example.test");
        assertEquals("4.4.4", deferred.failure().orElseThrow().status());
    }

    @Test
    void oneFailingMxTargetIsTolerated_LOOKUP6() {
        dns.mx("example.test", 10, "gone.example.test").mx("example.test", 20, "ok.example.test")
                .a("ok.example.test", "192.0.2.30");
        TargetList t = resolve(smtp().build(), "example.test");
        assertTrue(t.ok());
        assertEquals(List.of("ok.example.test"), hosts(t));
        assertTrue(t.warnings().isEmpty());
    }

    @Test
    void softErrorDominatesAcrossMxTargets_LOOKUP6() {
        dns.mx("example.test", 10, "broken.example.test").mx("example.test", 20, "gone.example.test")
                .servfail("broken.example.test", Type.ANY);
        TargetList t = resolve(smtp().build(), "example.test");
        LookupFailure f = t.failure().orElseThrow();
        assertFalse(f.hard(), f.toString());
        assertEquals("4.4.4", f.status(), "the later NXDOMAIN keeps class 4");
    }

    // ---- LOOKUP-8, LOOKUP-12, LOOKUP-2, LOOKUP-20: self detection and finality ----

    @Test
    void selfAtWorsePreferenceTruncatesAndIsFinal_LOOKUP8_LOOKUP20() {
        dns.mx("example.test", 10, "primary.example.test").mx("example.test", 20, "me.example.test")
                .mx("example.test", 30, "backup.example.test")
                .a("primary.example.test", "192.0.2.10").a("me.example.test", "127.0.0.254")
                .a("backup.example.test", "192.0.2.30");
        TargetList t = resolve(smtp().build(), "example.test");
        assertEquals(List.of("primary.example.test"), hosts(t));
        assertTrue(t.selfMx());
        assertTrue(t.finalNexthop());
    }

    @Test
    void selfAtBestPreferenceLoopsBack_LOOKUP8() {
        dns.mx("example.test", 10, "me.example.test").mx("example.test", 20, "backup.example.test")
                .a("me.example.test", "127.0.0.254").a("backup.example.test", "192.0.2.30");
        TargetList t = resolve(smtp().build(), "example.test");
        assertEquals(new LookupFailure("5.4.6", "mail for example.test loops back to myself"), t.failure().orElseThrow());
        assertTrue(t.finalNexthop());
    }

    @Test
    void selfBestFoundButBetterMxUnresolvable_LOOKUP8() {
        dns.mx("example.test", 5, "gone.example.test").mx("example.test", 10, "me.example.test")
                .a("me.example.test", "127.0.0.254");
        TargetList t = resolve(smtp().build(), "example.test");
        assertEquals(new LookupFailure("4.4.4", "unable to find primary relay for example.test"), t.failure().orElseThrow());
        assertTrue(t.finalNexthop());
    }

    @Test
    void bracketedSelfOnPort25Loops_LOOKUP12_LOOKUP2() {
        TargetList t = resolve(smtp().build(), "[127.0.0.254]");
        assertEquals("5.4.6", t.failure().orElseThrow().status());
        assertTrue(t.finalNexthop());
        TargetList filter = resolve(smtp().build(), "[127.0.0.254]:10025");
        assertTrue(filter.ok(), "no loop check off port 25");
        assertEquals(10025, filter.targets().get(0).port());
    }

    @Test
    void noMxHostLookupFindsSelf_LOOKUP12() {
        dns.a("example.test", "192.0.2.1", "127.0.0.254");
        assertEquals("5.4.6", resolve(smtp().build(), "example.test").failure().orElseThrow().status());
    }

    @Test
    void lmtpNeverDetectsLoops_LOOKUP2() {
        TargetList t = resolve(LookupSettings.defaults(DeliveryProtocol.LMTP).self(SelfAddresses.of("127.0.0.254", ""))
                .build(), "inet:[127.0.0.254]:25");
        assertTrue(t.ok());
    }

    @Test
    void lastItemIsFinal_LOOKUP20() {
        dns.a("example.test", "192.0.2.1");
        DestinationList list = DestinationParser.smtp().parse("[example.test]", "[relay.example.test]");
        NextHopResolver r = nextHop(smtp().build(), 1);
        assertFalse(r.resolve(list, 0).block(Duration.ofSeconds(10)).finalNexthop());
        TargetList relay = r.resolve(list, 1).block(Duration.ofSeconds(10));
        assertTrue(relay.finalNexthop());
        assertEquals("5.4.4", relay.failure().orElseThrow().status());
    }

    // ---- LOOKUP-1, LOOKUP-9..11, LOOKUP-13..14 ----

    @Test
    void bracketsSkipMx_LOOKUP1() {
        dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "192.0.2.10").a("example.test", "192.0.2.1");
        TargetList t = resolve(smtp().build(), "[example.test]");
        assertEquals(List.of("192.0.2.1"), addrs(t));
        assertEquals(0, dns.queryCount("example.test", Type.MX));
    }

    @Test
    void lmtpNeverQueriesMx_LOOKUP1() {
        dns.mx("mx.example.test", 10, "other.example.test").a("mx.example.test", "192.0.2.24");
        TargetList t = resolve(LookupSettings.defaults(DeliveryProtocol.LMTP).build(), "inet:mx.example.test");
        assertEquals(List.of("192.0.2.24"), addrs(t));
        assertEquals(24, t.targets().get(0).port());
        assertEquals(0, dns.queryCount("mx.example.test", Type.MX));
    }

    @Test
    void unbracketedNumericSkipsDns_DEST5() {
        TargetList t = resolve(smtp().build(), "192.0.2.44:2525");
        assertEquals(List.of("192.0.2.44"), addrs(t));
        assertTrue(dns.queries().isEmpty());
    }

    @Test
    void addressPreferenceIpv4PutsAFirst_LOOKUP9() {
        dns.mx("example.test", 10, "a.example.test").mx("example.test", 10, "b.example.test")
                .aaaa("a.example.test", "2001:db8::1").a("b.example.test", "192.0.2.2");
        for (long seed = 0; seed < 10; seed++) {
            TargetList t = resolve(smtp().addressPreference(AddressPreference.IPV4).build(), "example.test", seed);
            assertEquals("192.0.2.2", addrs(t).get(0));
            TargetList t6 = resolve(smtp().addressPreference(AddressPreference.IPV6).build(), "example.test", seed);
            assertTrue(t6.targets().get(0).ipv6());
        }
    }

    @Test
    void aSucceedsAaaaServfailIsIgnored_LOOKUP11() {
        dns.a("host.example.test", "192.0.2.8").servfail("host.example.test", Type.AAAA);
        TargetList t = resolve(smtp().build(), "[host.example.test]");
        assertEquals(List.of("192.0.2.8"), addrs(t));
    }

    @Test
    void temporaryOutranksNotFoundForHost_LOOKUP11() {
        dns.servfail("host.example.test", Type.AAAA).exists("host.example.test");
        assertEquals("4.4.3", resolve(smtp().build(), "[host.example.test]").failure().orElseThrow().status());
    }

    @Test
    void inetProtocolsLimitQueries_LOOKUP11() {
        dns.a("host.example.test", "192.0.2.8").aaaa("host.example.test", "2001:db8::8");
        TargetList t = resolve(smtp().inetProtocols(true, false).build(), "[host.example.test]");
        assertEquals(List.of("192.0.2.8"), addrs(t));
        assertEquals(0, dns.queryCount("host.example.test", Type.AAAA));
    }

    @Test
    void noProtocolsEnabledDefers_LOOKUP19() {
        TargetList t = resolve(smtp().inetProtocols(false, false).build(), "example.test");
        assertEquals(new LookupFailure("4.4.4", "all network protocols are disabled"), t.failure().orElseThrow());
        assertTrue(t.finalNexthop(), "fallback relays are not tried either");
        assertTrue(dns.queries().isEmpty());
    }

    @Test
    void dnsThenNativeWhenDnsSaysNotFound_LOOKUP11() {
        TargetList t = resolve(smtp().hostLookup(true, true).build(), "[hosts-file.example.test]");
        assertEquals(List.of("192.0.2.222"), addrs(t));
        assertEquals(1, nativeCalls.get());
        assertEquals(1, dns.queryCount("hosts-file.example.test", Type.A));
    }

    @Test
    void dnsDisabledUsesNativeOnlyAndNoMxQuery_LOOKUP16() {
        TargetList t = resolve(smtp().dnsSupportLevel(DnsSupportLevel.DISABLED).build(), "hosts-file.example.test");
        assertEquals(List.of("192.0.2.222"), addrs(t));
        assertTrue(dns.queries().isEmpty());
        TargetList missing = resolve(smtp().dnsSupportLevel(DnsSupportLevel.DISABLED).build(), "missing.example.test");
        assertEquals("5.4.4", missing.failure().orElseThrow().status());
    }

    @Test
    void dnssecLevelCarriesAdPerAddress_LOOKUP16() {
        dns.mx("signed.example.test", 10, "mx.signed.example.test").authenticated("signed.example.test")
                .a("mx.signed.example.test", "192.0.2.50").authenticated("mx.signed.example.test")
                .mx("plain.example.test", 10, "mx.plain.example.test").a("mx.plain.example.test", "192.0.2.51");
        LookupSettings s = smtp().dnsSupportLevel(DnsSupportLevel.DNSSEC).build();
        assertTrue(resolve(s, "signed.example.test").targets().get(0).dnssecValidated());
        assertFalse(resolve(s, "plain.example.test").targets().get(0).dnssecValidated());
        assertTrue(dns.queries().stream().allMatch(TestDnsServer.Query::dnssecOk));
        dns.clearQueries();
        resolve(smtp().build(), "plain.example.test");
        assertTrue(dns.queries().stream().noneMatch(TestDnsServer.Query::dnssecOk));
    }

    @Test
    void serverNameIsQnameUnlessCnameOverrides_LOOKUP14() {
        dns.mx("example.test", 10, "alias.example.test").cname("alias.example.test", "real.example.test")
                .a("real.example.test", "192.0.2.60");
        assertEquals(List.of("alias.example.test"), hosts(resolve(smtp().build(), "example.test")));
        assertEquals(List.of("real.example.test"),
                hosts(resolve(smtp().cnameOverridesServername(true).build(), "example.test")));
    }

    @Test
    void idnDomainIsQueriedAsALabel_DEST16() {
        dns.mx("xn--bcher-kva.example", 10, "mx.xn--bcher-kva.example").a("mx.xn--bcher-kva.example", "192.0.2.70");
        TargetList t = resolve(smtp().build(), "bücher.example");
        assertEquals(List.of("192.0.2.70"), addrs(t));
        assertEquals(1, dns.queryCount("xn--bcher-kva.example", Type.MX));
    }

    @Test
    void balancingKeepsBothFamiliesWithinLimit_LOOKUP10() {
        dns.mx("example.test", 10, "mx.example.test");
        for (int i = 1; i <= 10; i++) {
            dns.a("mx.example.test", "192.0.2." + i);
        }
        dns.aaaa("mx.example.test", "2001:db8::1");
        TargetList t = resolve(smtp().build(), "example.test");
        assertEquals(5, t.targets().size());
        assertEquals(1, t.targets().stream().filter(Target::ipv6).count());
    }

    // ---- LOOKUP-15: SRV ----

    @Test
    void srvLookupUsesTargetAndPort_LOOKUP15() {
        dns.srv("_submission._tcp.example.test", 0, 1, 2587, "smtp.example.test").a("smtp.example.test", "192.0.2.87");
        TargetList t = resolve(smtp().useSrvLookup(Set.of("submission")).build(), "example.test:submission");
        assertEquals(List.of("192.0.2.87"), addrs(t));
        assertEquals(2587, t.targets().get(0).port());
        assertEquals(0, dns.queryCount("example.test", Type.MX));
    }

    @Test
    void numericPortDoesNotMatchSrvService_LOOKUP1() {
        dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "192.0.2.10");
        resolve(smtp().useSrvLookup(Set.of("submission")).build(), "example.test:587");
        assertEquals(0, dns.queryCount("_submission._tcp.example.test", Type.SRV));
        assertEquals(1, dns.queryCount("example.test", Type.MX));
    }

    @Test
    void srvNotFoundBouncesUnlessFallbackAllowed_LOOKUP15() {
        dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "192.0.2.10");
        LookupSettings s = smtp().useSrvLookup(Set.of("submission")).build();
        assertEquals("5.4.4", resolve(s, "example.test:submission").failure().orElseThrow().status());
        TargetList fb = resolve(s.toBuilder().allowSrvLookupFallback(true).build(), "example.test:submission");
        assertEquals(List.of("mx.example.test"), hosts(fb));
        assertEquals(587, fb.targets().get(0).port());
        assertTrue(fb.warnings().get(0).startsWith("skipping SRV lookup for _submission._tcp.example.test"));
    }

    @Test
    void srvServfailFallsBackWithIgnoreError_LOOKUP15() {
        dns.servfail("_submission._tcp.example.test", Type.SRV).mx("example.test", 10, "mx.example.test")
                .a("mx.example.test", "192.0.2.10");
        LookupSettings s = smtp().useSrvLookup(Set.of("submission")).build();
        assertEquals("4.4.3", resolve(s, "example.test:submission").failure().orElseThrow().status());
        assertTrue(resolve(s.toBuilder().ignoreSrvLookupError(true).build(), "example.test:submission").ok());
    }

    @Test
    void nullSrvIsNotCoveredByIgnoreError_LOOKUP15() {
        dns.srv("_submission._tcp.example.test", 0, 0, 0, ".");
        LookupSettings s = smtp().useSrvLookup(Set.of("submission")).ignoreSrvLookupError(true).build();
        assertEquals(new LookupFailure("5.1.0", "Domain example.test does not support SRV requests"),
                resolve(s, "example.test:submission").failure().orElseThrow());
    }

    @Test
    void srvWeightsAndPriorities_LOOKUP15() {
        dns.srv("_submission._tcp.example.test", 10, 0, 587, "light.example.test")
                .srv("_submission._tcp.example.test", 10, 100, 587, "heavy.example.test")
                .srv("_submission._tcp.example.test", 5, 0, 587, "first.example.test")
                .a("light.example.test", "192.0.2.1").a("heavy.example.test", "192.0.2.2").a("first.example.test", "192.0.2.3");
        LookupSettings s = smtp().useSrvLookup(Set.of("submission")).build();
        int heavyFirst = 0;
        for (long seed = 0; seed < 30; seed++) {
            List<String> h = hosts(resolve(s, "example.test:submission", seed));
            assertEquals("first.example.test", h.get(0));
            if (h.get(1).equals("heavy.example.test")) {
                heavyFirst++;
            }
        }
        assertTrue(heavyFirst >= 25, "weight 100 wins most draws: " + heavyFirst);
    }

    @Test
    void replyFilterEmptyingAaaaOnlyHostIsPolicy_LOOKUP18() {
        dns.aaaa("v6only.example.test", "2001:db8::6");
        resolver = resolver.withReplyFilter(rr -> rr.contains(" AAAA ") ? java.util.Optional.of("IGNORE") : java.util.Optional.empty());
        TargetList t = resolve(smtp().build(), "[v6only.example.test]");
        assertEquals("4.7.0", t.failure().orElseThrow().status());
    }

    @Test
    void searchListAppliesToHostLookupsOnly_LOOKUP17() {
        dns.a("mail.corp.example.test", "192.0.2.77").mx("corp.example.test", 10, "mx.corp.example.test");
        LookupSettings s = smtp().resolverOptions(SearchList.parse("res_defnames", List.of("corp.example.test"), 1)).build();
        TargetList t = resolve(s, "[mail]");
        assertEquals(List.of("192.0.2.77"), addrs(t));
        assertEquals("mail", t.targets().get(0).hostname());
        resolve(s, "mail");
        assertEquals(1, dns.queryCount("mail", Type.MX), "MX queries are never expanded");
        assertEquals(0, dns.queryCount("mail.corp.example.test", Type.MX));
    }

    @Test
    void eachAddressTypeWalksTheSearchListOnItsOwn_LOOKUP17() {
        dns.a("mail.corp.example.test", "192.0.2.77").aaaa("mail", "2001:db8::77");
        LookupSettings s = smtp().resolverOptions(SearchList.parse("res_defnames", List.of("corp.example.test"), 1))
                .randomizeAddresses(false).build();
        TargetList t = resolve(s, "[mail]");
        assertEquals(2, t.targets().size(), t.toString());
        assertEquals(1, dns.queryCount("mail", Type.AAAA), "AAAA went on to the name as given");
        assertEquals(0, dns.queryCount("mail", Type.A), "A stopped at the search domain that answered");
    }

    @Test
    void aServfailMovesOnButARefusalEndsTheSearchDomains_LOOKUP17() {
        dns.servfail("mail.one.example.test", Type.A).a("mail.two.example.test", "192.0.2.78");
        LookupSettings s = smtp().inetProtocols(true, false)
                .resolverOptions(SearchList.parse("res_defnames, res_dnsrch", List.of("one.example.test", "two.example.test"), 1))
                .build();
        assertEquals(List.of("192.0.2.78"), addrs(resolve(s, "[mail]")));
        dns.rcode("box.one.example.test", Type.A, org.xbill.DNS.Rcode.REFUSED).a("box.two.example.test", "192.0.2.79");
        TargetList t = resolve(s, "[box]");
        assertEquals(0, dns.queryCount("box.two.example.test", Type.A), "REFUSED ends the search domains");
        assertEquals(1, dns.queryCount("box", Type.A), "the name as given is still tried");
        assertTrue(t.failure().isPresent());
    }

    @Test
    void targetsKnowHowDnssecVouchedForThem_TLS8() {
        dns.cname("alias.test", "dest.test").mx("dest.test", 10, "mail.dest.test").cname("mail.dest.test", "mx.dest.test")
                .a("mx.dest.test", "192.0.2.1").authenticated("alias.test").authenticated("mail.dest.test")
                .a("plain.test", "192.0.2.2").mx("open.test", 10, "mx.open.test").a("mx.open.test", "192.0.2.3");
        LookupSettings dnssec = smtp().dnsSupportLevel(DnsSupportLevel.DNSSEC).build();
        TargetList viaAlias = resolve(dnssec, "alias.test");
        assertEquals(new ServerRrset(true, "dest.test"), viaAlias.rrset(), "validated, owner after the CNAME");
        Target t = viaAlias.targets().get(0);
        assertEquals("mail.dest.test", t.queryName());
        assertEquals("mx.dest.test", t.canonicalName());
        assertTrue(t.alias());
        assertTrue(t.dnssecValidated());
        TargetList unsigned = resolve(dnssec, "open.test");
        assertFalse(unsigned.rrset().validated());
        assertFalse(unsigned.targets().get(0).dnssecValidated());
        assertFalse(unsigned.targets().get(0).alias());
        assertEquals(ServerRrset.NONE, resolve(dnssec, "[plain.test]").rrset(), "a bracketed host counts as validated");
        assertEquals(ServerRrset.NONE, resolve(dnssec, "plain.test").rrset(), "so does the no-MX fallback");
    }
}
