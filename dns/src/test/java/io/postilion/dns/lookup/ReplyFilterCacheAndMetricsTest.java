package io.postilion.dns.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postilion.dns.testserver.TestDnsServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;
import reactor.core.scheduler.Schedulers;

class ReplyFilterCacheAndMetricsTest {

    private TestDnsServer server;
    private AsyncDnsResolver base;

    @BeforeEach
    void start() throws Exception {
        server = TestDnsServer.start();
        base = AsyncDnsResolver.create(DnsResolverConfig.parse(server.dnsServers(), Duration.ofSeconds(1), 1),
                AsyncDnsResolverTest.PARALLEL);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static DnsAnswer run(reactor.core.publisher.Mono<DnsAnswer> m) {
        return m.subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10));
    }

    @Test
    void filterSeesPostfixRenderingAndDropsIgnored_LOOKUP18() {
        server.mx("example.test", 10, "mx1.example.test").mx("example.test", 20, "mx2.example.test")
                .aaaa("v6.example.test", "2001:db8::1");
        List<String> seen = new ArrayList<>();
        AsyncDnsResolver r = base.withReplyFilter(rr -> {
            seen.add(rr);
            return rr.endsWith("20 mx2.example.test.") ? Optional.of("ignore") : Optional.empty();
        });
        DnsAnswer a = run(r.mx("example.test", false));
        assertEquals(1, a.records().size());
        assertTrue(seen.contains("example.test. 300 IN MX 10 mx1.example.test."), seen.toString());
        run(r.aaaa("v6.example.test", false));
        assertTrue(seen.contains("v6.example.test. 300 IN AAAA 2001:db8::1"), seen.toString());
    }

    @Test
    void filterDroppingEverythingIsPolicyFailure_LOOKUP18() {
        server.aaaa("v6.example.test", "2001:db8::1");
        AsyncDnsResolver r = base.withReplyFilter(rr -> rr.contains(" AAAA ") ? Optional.of("IGNORE") : Optional.empty());
        DnsAnswer a = run(r.aaaa("v6.example.test", false));
        assertEquals(DnsOutcome.POLICY, a.outcome());
    }

    @Test
    void unknownFilterActionOrTableErrorIsTemporary_LOOKUP18() {
        server.a("h.example.test", "192.0.2.1");
        assertEquals(DnsOutcome.TEMPORARY, run(base.withReplyFilter(rr -> Optional.of("REJECT")).a("h.example.test", false))
                .outcome());
        assertEquals(DnsOutcome.TEMPORARY, run(base.withReplyFilter(rr -> {
            throw new IllegalStateException("table unavailable");
        }).a("h.example.test", false)).outcome());
    }

    @Test
    void onlyTheFirstWordOfTheResultIsTheAction_LOOKUP18() {
        server.a("h.example.test", "192.0.2.1").a("h.example.test", "192.0.2.2");
        AsyncDnsResolver r = base.withReplyFilter(rr -> rr.endsWith(" 192.0.2.1") ? Optional.of("Ignore this one")
                : Optional.empty());
        DnsAnswer a = run(r.a("h.example.test", false));
        assertEquals(DnsOutcome.OK, a.outcome());
        assertEquals(1, a.records().size());
        DnsAnswer bad = run(base.withReplyFilter(rr -> Optional.of("IGNOREX")).a("h.example.test", false));
        assertEquals(DnsOutcome.TEMPORARY, bad.outcome());
        assertEquals("Error looking up name=h.example.test type=A: Invalid DNS reply filter syntax", bad.reason());
        DnsAnswer none = run(base.withReplyFilter(rr -> Optional.of("IGNORE")).a("h.example.test", false));
        assertEquals("Error looking up name=h.example.test type=A: DNS reply filter drops all results", none.reason());
    }

    @Test
    void aNullMxIsJudgedBeforeTheFilterAndInvalidTargetsAreNeverSeen_LOOKUP18() {
        server.mx("null.example.test", 0, ".").mx("mixed.example.test", 10, "-bad.example.test")
                .mx("mixed.example.test", 20, "mx.example.test");
        List<String> seen = new ArrayList<>();
        AsyncDnsResolver r = base.withReplyFilter(rr -> {
            seen.add(rr);
            return Optional.of("IGNORE");
        });
        DnsAnswer nullMx = run(r.mx("null.example.test", false));
        assertEquals(DnsOutcome.OK, nullMx.outcome(), "left for the null MX rule (5.1.0)");
        assertEquals(List.of(), seen);
        DnsAnswer mixed = run(r.mx("mixed.example.test", false));
        assertEquals(DnsOutcome.POLICY, mixed.outcome());
        assertEquals(List.of("mixed.example.test. 300 IN MX 20 mx.example.test."), seen);
    }

    @Test
    void tlsaDataIsRenderedInLowerCaseHex_LOOKUP18() {
        server.tlsa("_25._tcp.mx.example.test", 3, 1, 1, new byte[] {(byte) 0xAB, 0x01, (byte) 0xFF});
        List<String> seen = new ArrayList<>();
        run(base.withReplyFilter(rr -> {
            seen.add(rr);
            return Optional.empty();
        }).tlsa("_25._tcp.mx.example.test", false));
        assertEquals(List.of("_25._tcp.mx.example.test. 300 IN TLSA 3 1 1 ab01ff"), seen);
    }

    @Test
    void successfulAnswersAreCachedForTheirTtl() {
        server.a("h.example.test", "192.0.2.1").servfail("bad.example.test", Type.A);
        MutableClock clock = new MutableClock();
        AsyncDnsResolver r = base.withCache(100, Duration.ofHours(1), clock);
        run(r.a("h.example.test", false));
        run(r.a("h.example.test", false));
        assertEquals(1, server.queryCount("h.example.test", Type.A));
        clock.now = clock.now.plusSeconds(301);
        run(r.a("h.example.test", false));
        assertEquals(2, server.queryCount("h.example.test", Type.A));
        run(r.a("bad.example.test", false));
        run(r.a("bad.example.test", false));
        assertEquals(2, server.queryCount("bad.example.test", Type.A), "failures are not cached");
    }

    @Test
    void theTlsaCacheKeepsAnswersBetweenOneAndOneHundredSeconds_TLS8() {
        server.add(new org.xbill.DNS.TLSARecord(name("_25._tcp.zero.example.test"), org.xbill.DNS.DClass.IN, 0, 3, 1, 1,
                new byte[32]));
        server.add(new org.xbill.DNS.TLSARecord(name("_25._tcp.day.example.test"), org.xbill.DNS.DClass.IN, 86400, 3, 1, 1,
                new byte[32]));
        MutableClock clock = new MutableClock();
        AsyncDnsResolver r = base.withCache(100, Duration.ofSeconds(1), Duration.ofSeconds(100), clock);
        run(r.tlsa("_25._tcp.zero.example.test", true));
        run(r.tlsa("_25._tcp.zero.example.test", true));
        assertEquals(1, server.queryCount("_25._tcp.zero.example.test", Type.TLSA), "a TTL of 0 is kept one second");
        clock.now = clock.now.plusSeconds(1);
        run(r.tlsa("_25._tcp.zero.example.test", true));
        assertEquals(2, server.queryCount("_25._tcp.zero.example.test", Type.TLSA));
        run(r.tlsa("_25._tcp.day.example.test", true));
        clock.now = clock.now.plusSeconds(99);
        run(r.tlsa("_25._tcp.day.example.test", true));
        assertEquals(1, server.queryCount("_25._tcp.day.example.test", Type.TLSA));
        clock.now = clock.now.plusSeconds(1);
        run(r.tlsa("_25._tcp.day.example.test", true));
        assertEquals(2, server.queryCount("_25._tcp.day.example.test", Type.TLSA), "a day's TTL is cut to 100 s");
    }

    private static org.xbill.DNS.Name name(String s) {
        return org.xbill.DNS.Name.fromConstantString(s + ".");
    }

    @Test
    void lookupsAreCounted() {
        server.a("h.example.test", "192.0.2.1");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AsyncDnsResolver r = base.withMeterRegistry(registry);
        run(r.a("h.example.test", false));
        run(r.a("nx.example.test", false));
        assertEquals(1.0, registry.counter("postilion_dns_lookups_total", "type", "A", "outcome", "ok", "cached", "false").count());
        assertEquals(1.0, registry.counter("postilion_dns_lookups_total", "type", "A", "outcome", "not_found", "cached", "false")
                .count());
    }

    @Test
    void nxdomainIsCachedForTheSoaMinimum() {
        server.soa("example.test", 600, 60).a("h.example.test", "192.0.2.1");
        MutableClock clock = new MutableClock();
        AsyncDnsResolver r = base.withCache(100, Duration.ofHours(1), clock);
        assertEquals(DnsOutcome.NOT_FOUND, run(r.a("nx.example.test", false)).outcome());
        assertEquals(DnsOutcome.NOT_FOUND, run(r.a("nx.example.test", false)).outcome());
        assertEquals(1, server.queryCount("nx.example.test", Type.A));
        clock.now = clock.now.plusSeconds(61);
        run(r.a("nx.example.test", false));
        assertEquals(2, server.queryCount("nx.example.test", Type.A));
    }

    @Test
    void nodataIsCached() {
        server.soa("example.test", 30, 300).a("h.example.test", "192.0.2.1");
        MutableClock clock = new MutableClock();
        AsyncDnsResolver r = base.withCache(100, Duration.ofHours(1), clock);
        DnsAnswer a = run(r.aaaa("h.example.test", false));
        assertEquals(DnsOutcome.NOT_FOUND, a.outcome());
        assertEquals(0, a.rcode());
        run(r.aaaa("h.example.test", false));
        assertEquals(1, server.queryCount("h.example.test", Type.AAAA));
        clock.now = clock.now.plusSeconds(31);
        run(r.aaaa("h.example.test", false));
        assertEquals(2, server.queryCount("h.example.test", Type.AAAA), "SOA TTL 30 < MINIMUM 300");
    }

    @Test
    void negativeAnswerWithoutSoaIsNotCached() {
        AsyncDnsResolver r = base.withCache(100, Duration.ofHours(1), new MutableClock());
        run(r.a("nx.example.test", false));
        run(r.a("nx.example.test", false));
        assertEquals(2, server.queryCount("nx.example.test", Type.A));
    }

    @Test
    void servfailIsNotCached() {
        server.soa("example.test", 600, 600).servfail("bad.example.test", Type.A);
        AsyncDnsResolver r = base.withCache(100, Duration.ofHours(1), new MutableClock());
        assertEquals(DnsOutcome.TEMPORARY, run(r.a("bad.example.test", false)).outcome());
        run(r.a("bad.example.test", false));
        assertEquals(2, server.queryCount("bad.example.test", Type.A));
    }

    @Test
    void concurrentLookupsOfOneNameShareOneQuery() {
        server.a("slow.example.test", "192.0.2.7").delay("slow.example.test", Type.A, Duration.ofMillis(300));
        AsyncDnsResolver r = base.withCache(100, Duration.ofHours(1), new MutableClock());
        List<DnsAnswer> answers = reactor.core.publisher.Flux.range(0, 8)
                .flatMap(i -> r.a("slow.example.test", false).subscribeOn(Schedulers.parallel()))
                .collectList().block(Duration.ofSeconds(10));
        assertEquals(8, answers.size());
        answers.forEach(a -> assertEquals(DnsOutcome.OK, a.outcome()));
        assertEquals(1, server.queryCount("slow.example.test", Type.A));
    }

    @Test
    void hitAndMissMetersCount() {
        server.soa("example.test", 600, 600).a("h.example.test", "192.0.2.1");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AsyncDnsResolver r = base.withCache(100, Duration.ofHours(1), new MutableClock()).withMeterRegistry(registry);
        run(r.a("h.example.test", false));
        run(r.a("h.example.test", false));
        run(r.a("nx.example.test", false));
        run(r.a("nx.example.test", false));
        assertEquals(1.0, registry.counter("postilion_dns_cache_misses_total", "type", "A", "outcome", "ok").count());
        assertEquals(1.0, registry.counter("postilion_dns_cache_hits_total", "type", "A", "outcome", "ok").count());
        assertEquals(1.0, registry.counter("postilion_dns_cache_misses_total", "type", "A", "outcome", "not_found").count());
        assertEquals(1.0, registry.counter("postilion_dns_cache_hits_total", "type", "A", "outcome", "not_found").count());
        assertEquals(1, registry.timer("postilion_dns_query_duration", "type", "A", "outcome", "ok").count());
        assertEquals(1, registry.timer("postilion_dns_query_duration", "type", "A", "outcome", "not_found").count());
    }

    @Test
    void ipv6TextIsCompressed() {
        assertEquals("2001:db8::1", RecordText.compress(io.postilion.dns.destination.HostNames.parseNumeric("2001:db8:0:0:0:0:0:1").get()));
        assertEquals("2001:0:0:1::1", RecordText.compress(io.postilion.dns.destination.HostNames.parseNumeric("2001:0:0:1:0:0:0:1").get()));
        assertEquals("::1", RecordText.compress(io.postilion.dns.destination.HostNames.parseNumeric("::1").get()));
        assertEquals("1::", RecordText.compress(io.postilion.dns.destination.HostNames.parseNumeric("1::").get()));
    }

    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
