package io.postilion.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.agent.AgentSettings;
import io.postilion.engine.agent.DeliveryAgent;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * The scheduler with the real delivery agent against scripted servers that count their open
 * sessions: the concurrency window, the global cap, recipient batches, dead destinations and
 * backpressure as a server sees them.
 */
class SchedulerAgainstServersTest {

    private TestDnsServer dns;
    private final List<FakeSmtpServer> servers = new ArrayList<>();

    @BeforeEach
    void startDns() throws Exception {
        dns = TestDnsServer.start();
    }

    @AfterEach
    void stopAll() {
        servers.forEach(FakeSmtpServer::close);
        dns.close();
    }

    private FakeSmtpServer server() {
        FakeSmtpServer s = FakeSmtpServer.start();
        servers.add(s);
        return s;
    }

    private DeliveryAgent agent() {
        LookupSettings lookup = LookupSettings.defaults(DeliveryProtocol.SMTP).self(SelfAddresses.of("127.0.0.254", ""))
                .inetProtocols(true, false).build();
        AsyncDnsResolver resolver = AsyncDnsResolver.create(DnsResolverConfig.parse(dns.dnsServers(), Duration.ofSeconds(2), 2));
        AgentSettings settings = AgentSettings.defaults(
                SessionSettings.smtp("client.test").withTimeouts(Timeouts.all(Duration.ofSeconds(3))), "client.test");
        return new DeliveryAgent(settings, new NextHopResolver(resolver, lookup), DestinationParser.smtp(), Clock.systemUTC());
    }

    private DeliveryScheduler scheduler(SchedulerSettings s) {
        return new DeliveryScheduler(s, agent());
    }

    private static String nexthop(FakeSmtpServer s) {
        return "[127.0.0.1]:" + s.port();
    }

    private static List<DeliveryRequest> requests(String prefix, String nexthop, int n, int recipients) {
        return IntStream.range(0, n).mapToObj(i -> RecipientBatcherTest.request(prefix + i, nexthop, recipients)).toList();
    }

    private static long count(List<DeliveryReport> reports, Outcome o) {
        return reports.stream().flatMap(r -> r.results().stream()).filter(x -> x.outcome() == o).count();
    }

    @Test
    void theWindowStartsAtFiveAndGrowsToTheLimitButNotBeyond_QMGR() {
        FakeSmtpServer s = server().delay(Stage.DOT, Duration.ofMillis(80));
        List<Integer> seenAtGreeting = Collections.synchronizedList(new ArrayList<>());
        s.reply(Stage.GREETING, (line, session) -> {
            seenAtGreeting.add(s.openSessions());
            return "220 fake.test ESMTP ready";
        });
        AtomicInteger peakAtFirstReport = new AtomicInteger(-1);
        SchedulerSettings settings = SchedulerSettings.builder().destinationConcurrencyLimit(8).build();
        List<DeliveryReport> reports = scheduler(settings).schedule(Flux.fromIterable(requests("W", nexthop(s), 90, 1)))
                .doOnNext(r -> peakAtFirstReport.compareAndSet(-1, s.peakOpenSessions()))
                .collectList().block(Duration.ofSeconds(30));
        assertEquals(90, count(reports, Outcome.SENT));
        assertEquals(5, peakAtFirstReport.get(), "initial_destination_concurrency before any feedback");
        assertEquals(8, s.peakOpenSessions(), "grown to the limit, never beyond");
        assertTrue(seenAtGreeting.stream().allMatch(n -> n <= 8), seenAtGreeting.toString());
    }

    @Test
    void theWindowShrinksWhenSessionsFailAtTheSite_QMGR() {
        FakeSmtpServer s = server().delay(Stage.GREETING, Duration.ofMillis(40)).reply(Stage.GREETING,
                "421 4.3.2 too busy");
        List<Integer> seenAtGreeting = Collections.synchronizedList(new ArrayList<>());
        s.reply(Stage.GREETING, (line, session) -> {
            seenAtGreeting.add(s.openSessions());
            return "421 4.3.2 too busy";
        });
        // never dead: only the window's negative feedback acts
        SchedulerSettings settings = SchedulerSettings.builder().failedCohortLimit(0).build();
        List<DeliveryReport> reports = scheduler(settings).schedule(Flux.fromIterable(requests("F", nexthop(s), 30, 1)))
                .collectList().block(Duration.ofSeconds(30));
        assertEquals(30, count(reports, Outcome.DEFERRED));
        assertTrue(reports.stream().allMatch(DeliveryReport::throttle), "every session failed at the site");
        assertEquals(5, seenAtGreeting.stream().mapToInt(Integer::intValue).max().orElse(0));
        List<Integer> last = seenAtGreeting.subList(seenAtGreeting.size() - 10, seenAtGreeting.size());
        assertEquals(Collections.nCopies(10, 1), last, "down to one session at a time: " + seenAtGreeting);
    }

    @Test
    void allDestinationsTogetherStayUnderTheProcessLimit_QMGR() {
        List<FakeSmtpServer> three = List.of(server(), server(), server());
        three.forEach(s -> s.delay(Stage.DOT, Duration.ofMillis(60)));
        List<DeliveryRequest> in = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            for (FakeSmtpServer s : three) {
                in.add(RecipientBatcherTest.request("G" + i, nexthop(s), 1));
            }
        }
        // counted around the agent: a session's whole life lies inside its delivery
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        DeliveryAgent agent = agent();
        DeliveryScheduler scheduler = new DeliveryScheduler(SchedulerSettings.builder().processLimit(7).build(),
                (r, h) -> agent.deliver(r, h)
                        .doOnSubscribe(x -> peak.accumulateAndGet(running.incrementAndGet(), Math::max))
                        .doOnNext(x -> running.decrementAndGet()),
                Clock.systemUTC(), Schedulers.parallel());
        List<DeliveryReport> reports = scheduler.schedule(Flux.fromIterable(in)).collectList().block(Duration.ofSeconds(30));
        assertEquals(60, count(reports, Outcome.SENT));
        assertEquals(7, peak.get());
        int sumOfPeaks = 0;
        for (FakeSmtpServer s : three) {
            assertTrue(s.peakOpenSessions() >= 2, "every destination had its share");
            assertTrue(s.peakOpenSessions() <= 5, "and no more than its window");
            sumOfPeaks += s.peakOpenSessions();
        }
        assertTrue(sumOfPeaks >= 7, "the servers saw the sessions: " + sumOfPeaks);
    }

    @Test
    void transactionsCarryAtMostTheRecipientLimit_QMGR() {
        FakeSmtpServer s = server();
        List<DeliveryReport> reports = scheduler(SchedulerSettings.defaults())
                .schedule(Flux.fromIterable(requests("R", nexthop(s), 1, 120)))
                .collectList().block(Duration.ofSeconds(30));
        assertEquals(120, count(reports, Outcome.SENT));
        List<Integer> perTransaction = new ArrayList<>();
        for (String c : s.commands()) {
            if (c.startsWith("MAIL FROM")) {
                perTransaction.add(0);
            } else if (c.startsWith("RCPT TO")) {
                perTransaction.set(perTransaction.size() - 1, perTransaction.get(perTransaction.size() - 1) + 1);
            }
        }
        Collections.sort(perTransaction);
        assertEquals(List.of(20, 50, 50), perTransaction);
    }

    @Test
    void aDeadDestinationIsDeferredWithoutStallingAHealthyOne_REPLY12() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closedPort = probe.getLocalPort();
        }
        FakeSmtpServer healthy = server().delay(Stage.DOT, Duration.ofMillis(100));
        List<DeliveryRequest> in = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            in.add(RecipientBatcherTest.request("D" + i, "[127.0.0.1]:" + closedPort, 1));
            in.add(RecipientBatcherTest.request("H" + i, nexthop(healthy), 1));
        }
        List<DeliveryReport> reports = scheduler(SchedulerSettings.defaults()).schedule(Flux.fromIterable(in))
                .collectList().block(Duration.ofSeconds(30));
        List<DeliveryReport> dead = reports.stream().filter(r -> r.queueId().startsWith("D")).toList();
        List<DeliveryReport> ok = reports.stream().filter(r -> r.queueId().startsWith("H")).toList();
        assertEquals(30, count(ok, Outcome.SENT));
        assertEquals(30, count(dead, Outcome.DEFERRED));
        List<RecipientResult> suspended = dead.stream().map(r -> r.results().get(0))
                .filter(x -> x.reason().startsWith("delivery temporarily suspended: ")).toList();
        assertTrue(suspended.size() >= 20, "most are deferred without a connection: " + suspended.size());
        suspended.forEach(x -> {
            assertEquals("4.4.1", x.status().text());
            assertEquals("none", x.relay());
        });
        int lastDead = reports.indexOf(dead.get(dead.size() - 1));
        int lastHealthy = reports.indexOf(ok.get(ok.size() - 1));
        long healthyBefore = reports.subList(0, lastDead).stream().filter(r -> r.queueId().startsWith("H")).count();
        assertTrue(healthyBefore <= 5, "the dead destination's mail does not wait for the healthy one's: "
                + healthyBefore);
        assertEquals(reports.size() - 1, lastHealthy);
    }

    @Test
    void aLargeSourceIsReadOnlyAsFastAsMailIsDelivered_QMGR() {
        FakeSmtpServer s = server();
        AtomicLong requested = new AtomicLong();
        String hop = nexthop(s);
        Flux<DeliveryRequest> source = Flux.range(0, 10_000)
                .map(i -> RecipientBatcherTest.request("B" + i, hop, 1))
                .doOnRequest(requested::addAndGet);
        SchedulerSettings settings = SchedulerSettings.builder().activeLimit(200).sourcePrefetch(64).build();
        List<DeliveryReport> reports = scheduler(settings).schedule(source).take(100, false)
                .collectList().block(Duration.ofSeconds(30));
        assertEquals(100, reports.size());
        assertTrue(requested.get() <= 100 + 200 + 64, "asked the source for " + requested.get());
        assertTrue(s.sessions() <= 100 + 20, "sessions " + s.sessions());
    }
}
