package io.postilion.bench;

import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.TargetList;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.destination.InetDestination;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsAnswer;
import io.postilion.dns.lookup.DnsResolverConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import reactor.core.scheduler.Schedulers;

/**
 * DNS resolutions per second against an in-JVM responder on 127.0.0.1 (UDP, ephemeral port):
 * single MX lookups through {@link AsyncDnsResolver} and whole next-hop resolutions through
 * {@link NextHopResolver} (MX, then A and AAAA for each of two MX hosts: 5 queries, 4 addresses), each uncached
 * (every query goes over loopback UDP) and with the resolver's answer cache (after the first round
 * no query leaves the JVM). Answers complete on Reactor's parallel scheduler, as in the engine; the
 * benchmark thread waits with block().
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DnsResolutionBenchmark {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Executor PARALLEL = r -> Schedulers.parallel().schedule(r);

    private LoopbackDnsResponder server;
    private AsyncDnsResolver uncached;
    private AsyncDnsResolver cached;
    private NextHopResolver nextHopUncached;
    private NextHopResolver nextHopCached;
    private InetDestination destination;
    private InetDestination nodataDestination;

    @Setup(Level.Trial)
    public void start() throws Exception {
        server = LoopbackDnsResponder.start()
                .mx("example.bench", 10, "mx1.example.bench")
                .mx("example.bench", 20, "mx2.example.bench")
                .a("mx1.example.bench", "127.0.0.1").aaaa("mx1.example.bench", "::1")
                .a("mx2.example.bench", "127.0.0.2").aaaa("mx2.example.bench", "::2")
                .mx("nodata.bench", 10, "mx1.example.bench")
                .mx("nodata.bench", 20, "v4only.example.bench")
                .a("v4only.example.bench", "127.0.0.3");
        DnsResolverConfig config = DnsResolverConfig.parse(server.dnsServers(), Duration.ofSeconds(2), 2);
        uncached = AsyncDnsResolver.create(config, PARALLEL);
        cached = AsyncDnsResolver.create(config, PARALLEL).withCache(1024, Duration.ofHours(1), Clock.systemUTC());
        LookupSettings settings = LookupSettings.defaults(DeliveryProtocol.SMTP)
                .self(SelfAddresses.of("127.0.0.254", "")).build();
        nextHopUncached = new NextHopResolver(uncached, settings);
        nextHopCached = new NextHopResolver(cached, settings);
        destination = parse("example.bench");
        nodataDestination = parse("nodata.bench");
        // Fail fast (and fill the cache) rather than measure errors.
        check(nextHopCached.resolve(destination, true).block(WAIT), 4);
        check(nextHopCached.resolve(nodataDestination, true).block(WAIT), 3);
    }

    private static InetDestination parse(String nexthop) {
        return (InetDestination) DestinationParser.smtp().parse(nexthop, "").destinations().get(0);
    }

    private static void check(TargetList t, int targets) {
        if (t == null || !t.ok() || t.targets().size() != targets) {
            throw new IllegalStateException("loopback DNS responder gave " + t);
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        server.close();
    }

    @Benchmark
    public void mxUncached(Blackhole bh) {
        DnsAnswer a = uncached.mx("example.bench", false).block(WAIT);
        bh.consume(a);
    }

    @Benchmark
    public void mxCached(Blackhole bh) {
        DnsAnswer a = cached.mx("example.bench", false).block(WAIT);
        bh.consume(a);
    }

    @Benchmark
    public void nextHopUncached(Blackhole bh) {
        bh.consume(nextHopUncached.resolve(destination, true).block(WAIT));
    }

    @Benchmark
    public void nextHopCached(Blackhole bh) {
        bh.consume(nextHopCached.resolve(destination, true).block(WAIT));
    }

    /**
     * As {@link #nextHopCached}, but one MX host has no AAAA record: the resolver's cache keeps no
     * negative answers (dns/README.md, "Left for later"), so that NODATA query goes over UDP every time.
     */
    @Benchmark
    public void nextHopCachedOneNodata(Blackhole bh) {
        bh.consume(nextHopCached.resolve(nodataDestination, true).block(WAIT));
    }
}
