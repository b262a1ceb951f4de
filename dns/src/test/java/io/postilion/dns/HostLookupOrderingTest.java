package io.postilion.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.destination.InetDestination;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.dns.testserver.TestDnsServer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;

/** LOOKUP-13: the order of a host's addresses: shuffled when asked, sorted by family only when both are on. */
class HostLookupOrderingTest {

    private TestDnsServer dns;
    private AsyncDnsResolver resolver;

    @BeforeEach
    void start() throws Exception {
        dns = TestDnsServer.start();
        dns.a("multi.example.test", "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
                .aaaa("multi.example.test", "::1");
        resolver = AsyncDnsResolver.create(DnsResolverConfig.parse(dns.dnsServers(), Duration.ofSeconds(1), 1));
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private List<String> addresses(LookupSettings settings, long seed) {
        InetDestination d = (InetDestination) DestinationParser.smtp().parse("[multi.example.test]:2525", "")
                .destinations().get(0);
        TargetList t = new NextHopResolver(resolver, settings, new SplittableRandom(seed), NativeHostResolver.system())
                .resolve(d, true).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(20));
        return t.targets().stream().map(x -> x.address().getHostAddress()).toList();
    }

    private static LookupSettings.Builder settings() {
        return LookupSettings.defaults(DeliveryProtocol.SMTP).self(SelfAddresses.of("127.0.0.254", "")).mxAddressLimit(0);
    }

    @Test
    void withoutRandomizationTheAnswerOrderIsKept_LOOKUP13() {
        List<String> first = addresses(settings().randomizeAddresses(false).inetProtocols(true, false).build(), 1);
        assertEquals(List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"), first);
        assertEquals(first, addresses(settings().randomizeAddresses(false).inetProtocols(true, false).build(), 2));
    }

    @Test
    void withRandomizationTheAddressesAreShuffled_LOOKUP13() {
        Set<List<String>> orders = new HashSet<>();
        for (long seed = 1; seed <= 12; seed++) {
            List<String> a = addresses(settings().randomizeAddresses(true).inetProtocols(true, false).build(), seed);
            assertEquals(4, a.size());
            orders.add(a);
        }
        assertTrue(orders.size() > 1, "twelve seeds gave one order: " + orders);
    }

    @Test
    void familyPreferenceSortsOnlyWhenBothFamiliesAreOn_LOOKUP13() {
        List<String> v6first = addresses(settings().randomizeAddresses(false).inetProtocols(true, true)
                .addressPreference(AddressPreference.IPV6).balanceInetProtocols(false).build(), 1);
        assertEquals("0:0:0:0:0:0:0:1", v6first.get(0));
        List<String> v4first = addresses(settings().randomizeAddresses(false).inetProtocols(true, true)
                .addressPreference(AddressPreference.IPV4).balanceInetProtocols(false).build(), 1);
        assertEquals("0:0:0:0:0:0:0:1", v4first.get(v4first.size() - 1));
    }
}
