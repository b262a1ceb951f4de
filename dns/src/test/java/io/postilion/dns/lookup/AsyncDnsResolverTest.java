package io.postilion.dns.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.testserver.TestDnsServer;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.Type;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

class AsyncDnsResolverTest {

    /** Runs every continuation on a Reactor non-blocking thread, where BlockHound is watching. */
    static final Executor PARALLEL = r -> Schedulers.parallel().schedule(r);

    private TestDnsServer server;
    private AsyncDnsResolver resolver;

    @BeforeEach
    void start() throws Exception {
        server = TestDnsServer.start();
        resolver = AsyncDnsResolver.create(DnsResolverConfig.parse(server.dnsServers(), Duration.ofSeconds(1), 1), PARALLEL);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static <T> T onEventLoop(Mono<T> mono) {
        return mono.subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(20));
    }

    @Test
    void mxAnswerWithoutBlocking() {
        server.mx("example.test", 10, "mx1.example.test").mx("example.test", 20, "mx2.example.test");
        DnsAnswer a = onEventLoop(resolver.mx("example.test", false));
        assertEquals(DnsOutcome.OK, a.outcome());
        assertEquals(2, a.records(MXRecord.class).size());
        assertEquals(Rcode.NOERROR, a.rcode());
        assertFalse(a.authenticated());
    }

    @Test
    void allRecordTypes() {
        server.a("h.example.test", "192.0.2.1").aaaa("h.example.test", "2001:db8::1")
                .cname("alias.example.test", "h.example.test")
                .srv("_submission._tcp.example.test", 0, 1, 587, "h.example.test")
                .tlsa("_25._tcp.h.example.test", 3, 1, 1, new byte[32]);
        assertEquals(1, onEventLoop(resolver.a("h.example.test", false)).records(ARecord.class).size());
        assertTrue(onEventLoop(resolver.aaaa("h.example.test", false)).ok());
        assertEquals(1, onEventLoop(resolver.cname("alias.example.test", false)).records(CNAMERecord.class).size());
        assertEquals(587, onEventLoop(resolver.srv("_submission._tcp.example.test", false)).records(SRVRecord.class)
                .get(0).getPort());
        assertEquals(3, onEventLoop(resolver.tlsa("_25._tcp.h.example.test", false)).records(TLSARecord.class)
                .get(0).getCertificateUsage());
    }

    @Test
    void truncatedUdpAnswerIsRetriedOverTcp() {
        for (int i = 0; i < 120; i++) {
            server.a("big.example.test", "198.51." + (i / 100) + "." + (i % 100 + 1));
        }
        DnsAnswer a = onEventLoop(resolver.a("big.example.test", false));
        assertEquals(DnsOutcome.OK, a.outcome());
        assertEquals(120, a.records().size());
        assertTrue(server.queries().stream().anyMatch(q -> q.tcp()), "TCP retry happened");
        assertTrue(server.queries().stream().anyMatch(q -> !q.tcp()), "UDP first");
    }

    @Test
    void adBitIsCarriedAndDnssecQueriesSetDo_LOOKUP3() {
        server.mx("signed.example.test", 10, "mx.signed.example.test").authenticated("signed.example.test");
        DnsAnswer a = onEventLoop(resolver.mx("signed.example.test", true));
        assertTrue(a.authenticated());
        assertTrue(server.queries().get(0).dnssecOk());
        server.clearQueries();
        DnsAnswer plain = onEventLoop(resolver.mx("signed.example.test", false));
        assertFalse(server.queries().get(0).dnssecOk());
        assertTrue(plain.ok());
    }

    @Test
    void servfailIsTemporaryWithPostfixText_LOOKUP4() {
        server.servfail("broken.example.test", Type.MX);
        DnsAnswer a = onEventLoop(resolver.mx("broken.example.test", false));
        assertEquals(DnsOutcome.TEMPORARY, a.outcome());
        assertEquals("Host or domain name not found. Name service error for name=broken.example.test type=MX: "
                + "Host not found, try again", a.reason());
    }

    @Test
    void nxdomainAndNodataAreNotFound_LOOKUP4() {
        server.a("exists.example.test", "192.0.2.1");
        DnsAnswer nx = onEventLoop(resolver.mx("nx.example.test", false));
        assertEquals(DnsOutcome.NOT_FOUND, nx.outcome());
        assertEquals(Rcode.NXDOMAIN, nx.rcode());
        assertTrue(nx.reason().endsWith("type=MX: Host not found"), nx.reason());
        DnsAnswer nodata = onEventLoop(resolver.mx("exists.example.test", false));
        assertEquals(DnsOutcome.NOT_FOUND, nodata.outcome());
        assertEquals(Rcode.NOERROR, nodata.rcode());
    }

    @Test
    void refusedIsNonRecoverable_LOOKUP4() {
        server.rcode("refused.example.test", Type.ANY, Rcode.REFUSED);
        DnsAnswer a = onEventLoop(resolver.mx("refused.example.test", false));
        assertEquals(DnsOutcome.NON_RECOVERABLE, a.outcome());
        assertEquals("Name service error for name=refused.example.test type=MX: Non-recoverable error", a.reason());
    }

    @Test
    void timeoutIsTemporary_LOOKUP4() {
        server.silent("slow.example.test", Type.MX);
        DnsAnswer a = onEventLoop(resolver.mx("slow.example.test", false));
        assertEquals(DnsOutcome.TEMPORARY, a.outcome());
    }

    @Test
    void delayedAnswerStillArrives() {
        server.a("late.example.test", "192.0.2.9").delay("late.example.test", Type.A, Duration.ofMillis(300));
        assertTrue(onEventLoop(resolver.a("late.example.test", false)).ok());
    }

    @Test
    void cnameChainIsFollowed_LOOKUP3_LOOKUP14() {
        server.cname("www.example.test", "web.example.test").a("web.example.test", "192.0.2.80");
        DnsAnswer a = onEventLoop(resolver.a("www.example.test", false));
        assertTrue(a.ok());
        assertEquals("web.example.test.", a.canonicalName().toString());
        assertEquals("www.example.test.", a.queryName().toString());
    }

    @Test
    void cnameLoopCountsAsNotFound_LOOKUP3() {
        server.cname("loop1.example.test", "loop2.example.test").cname("loop2.example.test", "loop1.example.test");
        DnsAnswer a = onEventLoop(resolver.mx("loop1.example.test", false));
        assertEquals(DnsOutcome.NOT_FOUND, a.outcome());
        assertTrue(server.queries().size() <= AsyncDnsResolver.MAX_QUERIES);
    }

    @Test
    void dnsServersListParses() {
        DnsResolverConfig c = DnsResolverConfig.parse("127.0.0.1:5353, [::1]:53 192.0.2.1", Duration.ofSeconds(2), 2);
        assertEquals(3, c.servers().size());
        assertEquals(5353, c.servers().get(0).getPort());
        assertEquals(53, c.servers().get(2).getPort());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> DnsResolverConfig.parse("dns.example:53", Duration.ofSeconds(1), 1));
    }
}
