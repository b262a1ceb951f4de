package io.postilion.dns;

import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationList;
import io.postilion.dns.destination.HostNames;
import io.postilion.dns.destination.InetDestination;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsAnswer;
import io.postilion.dns.lookup.DnsOutcome;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SRVRecord;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Finds, without blocking, the ordered servers for one destination the way Postfix's smtp(8)/lmtp(8)
 * clients do (spec section 2): method choice, MX/SRV/host lookups, null MX, error classification, self
 * detection, shuffling, preference and family sort, IPv4/IPv6 balancing and the address limit.
 * Every outcome, failures included, is a {@link TargetList}; the Mono never errors.
 */
public final class NextHopResolver {

    /** MX/SRV target names resolved concurrently (results are still consumed in order). */
    private static final int TARGET_CONCURRENCY = 4;

    private final AsyncDnsResolver dns;
    private final LookupSettings settings;
    private final RandomGenerator random;
    private final NativeHostResolver nativeResolver;

    /**
     * @param random shuffles and SRV weights; it must be thread-safe if this resolver is shared (tests
     *     pass a seeded generator and use it from one subscription at a time)
     * @param nativeResolver used for {@code smtp_host_lookup = native} and with DNS disabled
     */
    public NextHopResolver(AsyncDnsResolver dns, LookupSettings settings, RandomGenerator random,
            NativeHostResolver nativeResolver) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.random = Objects.requireNonNull(random, "random");
        this.nativeResolver = Objects.requireNonNull(nativeResolver, "nativeResolver");
    }

    /** With thread-safe default randomness and the system resolver for {@code native} lookups. */
    public NextHopResolver(AsyncDnsResolver dns, LookupSettings settings) {
        this(dns, settings, threadLocalRandom(), NativeHostResolver.system());
    }

    /** The asynchronous resolver the lookups go through (also for TXT lookups such as MTA-STS's). */
    public AsyncDnsResolver dns() {
        return dns;
    }

    public LookupSettings settings() {
        return settings;
    }

    /** Resolves item {@code index} of a parsed list; finality accounts for its position (LOOKUP-20). */
    public Mono<TargetList> resolve(DestinationList list, int index) {
        if (!(list.destinations().get(index) instanceof InetDestination d)) {
            throw new IllegalArgumentException("not a TCP destination: " + list.destinations().get(index));
        }
        return resolve(d, list.isLast(index));
    }

    /**
     * Resolves one TCP destination.
     *
     * @param lastInList whether it is the last destination (fallback relays included)
     */
    public Mono<TargetList> resolve(InetDestination d, boolean lastInList) {
        if (!settings.ipv4() && !settings.ipv6()) {
            // LOOKUP-19: the whole request fails, fallback relays included, so this is final.
            return Mono.just(new TargetList(d.nexthop(), List.of(),
                    Optional.of(new LookupFailure("4.4.4", "all network protocols are disabled")), true, false, List.of()));
        }
        return Mono.defer(() -> {
            boolean loopCheck = settings.protocol() == DeliveryProtocol.SMTP && d.port() == 25;
            boolean dnsOn = settings.dnsSupportLevel() != DnsSupportLevel.DISABLED;
            if (!dnsOn || d.bracketed()) {
                return hostPath(d, loopCheck);
            }
            if (settings.useSrvLookup().contains(d.service())) {
                return srvPath(d, loopCheck);
            }
            if (settings.protocol() == DeliveryProtocol.SMTP) {
                return mxPath(d, loopCheck);
            }
            return hostPath(d, loopCheck);
        }).map(p -> {
            Optional<LookupFailure> failure = Optional.ofNullable(p.failure());
            boolean fin = lastInList || p.selfMx() || failure.map(LookupFailure::loop).orElse(false);
            return new TargetList(d.nexthop(), failure.isPresent() ? List.of() : p.targets(), failure, fin, p.selfMx(),
                    p.warnings());
        });
    }

    // ---- lookup methods ----

    /** Outcome of one method before it becomes a TargetList. */
    private record Partial(List<Target> targets, LookupFailure failure, boolean selfMx, List<String> warnings) {
        static Partial failed(LookupFailure f) {
            return new Partial(List.of(), f, false, List.of());
        }

        Partial warn(String warning) {
            List<String> w = new ArrayList<>(warnings);
            w.add(0, warning);
            return new Partial(targets, failure, selfMx, w);
        }
    }

    private boolean dnssecRequested() {
        return settings.dnsSupportLevel() == DnsSupportLevel.DNSSEC;
    }

    /** LOOKUP-11/12/13: the destination's host itself (bracketed, no MX, LMTP, numeric). */
    private Mono<Partial> hostPath(InetDestination d, boolean loopCheck) {
        return hostQuery(d.host(), d.queryName(), d.literal(), 0, d.port(), dnssecRequested()).map(raw -> {
            Why why = new Why();
            List<Target> found = raw.interpret(why);
            if (found.isEmpty()) {
                return Partial.failed(why.last());
            }
            if (loopCheck && found.stream().anyMatch(t -> settings.self().contains(t.address()))) {
                return new Partial(List.of(), new LookupFailure("5.4.6", "mail for " + d.host() + " loops back to myself"),
                        false, List.of());
            }
            List<Target> list = new ArrayList<>(found);
            if (list.size() > 1) {
                if (settings.randomizeAddresses()) {
                    AddressOrdering.shuffle(list, random);
                }
                AddressOrdering.sort(list, settings.addressPreference(), settings.ipv4() && settings.ipv6());
                list = AddressOrdering.balance(list, settings.mxAddressLimit());
            }
            return new Partial(limit(list), null, false, List.of());
        });
    }

    /** LOOKUP-3..9: MX lookup and its targets' addresses. */
    private Mono<Partial> mxPath(InetDestination d, boolean loopCheck) {
        if (d.literal().isPresent()) {
            return hostPath(d, loopCheck); // MX lookup of a numeric name finds nothing (DEST-5)
        }
        boolean dnssec = dnssecRequested();
        return dns.mx(d.queryName(), dnssec).flatMap(ans -> {
            switch (ans.outcome()) {
                case OK:
                    return mxAnswer(d, ans, loopCheck);
                case NOT_FOUND:
                    return hostPath(d, loopCheck);
                case POLICY:
                    return Mono.just(Partial.failed(new LookupFailure("4.7.0", ans.reason())));
                default:
                    if (settings.ignoreMxLookupError()) {
                        return hostPath(d, loopCheck);
                    }
                    return Mono.just(Partial.failed(new LookupFailure(dnsStatus(ans.outcome()), ans.reason())));
            }
        });
    }

    private Mono<Partial> mxAnswer(InetDestination d, DnsAnswer ans, boolean loopCheck) {
        List<MXRecord> records = ans.records(MXRecord.class);
        if (records.stream().anyMatch(r -> r.getTarget().equals(Name.root))) {
            return Mono.just(Partial.failed(new LookupFailure("5.1.0", "Domain " + d.host() + " does not accept mail (nullMX)")));
        }
        List<MXRecord> valid = new ArrayList<>(records.stream().filter(r -> validTarget(r.getTarget())).toList());
        if (valid.isEmpty()) {
            if (settings.ignoreMxLookupError()) {
                return hostPath(d, loopCheck);
            }
            return Mono.just(Partial.failed(new LookupFailure("5.4.4", malformed(ans))));
        }
        valid.sort(Comparator.comparingInt(MXRecord::getPriority));
        int minPublished = valid.get(0).getPriority();
        boolean targetDnssec = dnssecRequested() && (ans.authenticated()
                || settings.protocol() == DeliveryProtocol.SMTP && settings.dnssecForInsecureMxTargets());
        List<Wanted> wanted = valid.stream()
                .map(r -> new Wanted(printable(r.getTarget()), r.getPriority(), d.port())).toList();
        return resolveTargets(wanted, targetDnssec).map(c -> {
            if (c.targets().isEmpty()) {
                LookupFailure f = c.why().lastOr(new LookupFailure("5.4.4", "no MX host for " + d.host()
                        + " has a valid address record"));
                if (settings.deferIfNoMxAddressFound()) {
                    f = f.soft();
                }
                return Partial.failed(f).warn("no MX host for " + d.host() + " has a valid address record");
            }
            List<Target> list = new ArrayList<>(c.targets());
            boolean selfMx = loopCheck && dropSelfAndWorse(list);
            if (selfMx && list.isEmpty()) {
                return new Partial(List.of(), selfFailure(minPublished, c.targets(), d.host()), true, List.of());
            }
            if (list.size() > 1) {
                if (settings.randomizeAddresses()) {
                    AddressOrdering.shuffle(list, random);
                }
                AddressOrdering.sort(list, settings.addressPreference(), true);
                list = AddressOrdering.balance(list, settings.mxAddressLimit());
            }
            return new Partial(limit(list), null, selfMx, List.of());
        });
    }

    /** LOOKUP-15: SRV lookup, with the fallback rules of {@code allow_srv_lookup_fallback}/{@code ignore_srv_lookup_error}. */
    private Mono<Partial> srvPath(InetDestination d, boolean loopCheck) {
        String qname = "_" + d.service() + "._tcp." + d.queryName();
        boolean allow = settings.allowSrvLookupFallback();
        boolean ignore = settings.ignoreSrvLookupError();
        return dns.srv(qname, dnssecRequested()).flatMap(ans -> {
            switch (ans.outcome()) {
                case OK:
                    return srvAnswer(d, qname, ans, loopCheck);
                case NOT_FOUND:
                case POLICY:
                    return allow ? srvFallback(d, qname, ans.reason(), loopCheck)
                            : Mono.just(Partial.failed(new LookupFailure(dnsStatus(ans.outcome()), ans.reason())));
                default:
                    return allow || ignore ? srvFallback(d, qname, ans.reason(), loopCheck)
                            : Mono.just(Partial.failed(new LookupFailure(dnsStatus(ans.outcome()), ans.reason())));
            }
        });
    }

    private Mono<Partial> srvFallback(InetDestination d, String qname, String reason, boolean loopCheck) {
        Mono<Partial> next = settings.protocol() == DeliveryProtocol.SMTP && !d.bracketed()
                ? mxPath(d, loopCheck) : hostPath(d, loopCheck);
        return next.map(p -> p.warn("skipping SRV lookup for " + qname + ": " + reason));
    }

    private Mono<Partial> srvAnswer(InetDestination d, String qname, DnsAnswer ans, boolean loopCheck) {
        boolean allow = settings.allowSrvLookupFallback();
        List<SRVRecord> records = ans.records(SRVRecord.class);
        if (records.stream().anyMatch(r -> r.getTarget().equals(Name.root))) {
            String text = "Domain " + d.host() + " does not support SRV requests";
            return allow ? srvFallback(d, qname, text, loopCheck)
                    : Mono.just(Partial.failed(new LookupFailure("5.1.0", text)));
        }
        List<SRVRecord> valid = records.stream().filter(r -> validTarget(r.getTarget())).toList();
        if (valid.isEmpty()) {
            return allow || settings.ignoreSrvLookupError() ? srvFallback(d, qname, malformed(ans), loopCheck)
                    : Mono.just(Partial.failed(new LookupFailure("5.4.4", malformed(ans))));
        }
        List<SRVRecord> ordered = AddressOrdering.srvOrder(valid, random);
        int minPublished = ordered.get(0).getPriority();
        boolean targetDnssec = dnssecRequested() && (ans.authenticated()
                || settings.protocol() == DeliveryProtocol.SMTP && settings.dnssecForInsecureMxTargets());
        List<Wanted> wanted = ordered.stream()
                .map(r -> new Wanted(printable(r.getTarget()), r.getPriority(), r.getPort())).toList();
        return resolveTargets(wanted, targetDnssec).flatMap(c -> {
            if (c.targets().isEmpty()) {
                LookupFailure f = c.why().lastOr(new LookupFailure("5.4.4", "no SRV host for " + qname
                        + " has a valid address record"));
                return allow ? srvFallback(d, qname, f.reason(), loopCheck) : Mono.just(Partial.failed(f));
            }
            List<Target> list = new ArrayList<>(c.targets());
            boolean selfMx = loopCheck && dropSelfAndWorse(list);
            if (selfMx && list.isEmpty()) {
                LookupFailure f = selfFailure(minPublished, c.targets(), qname);
                return allow ? srvFallback(d, qname, f.reason(), loopCheck)
                        : Mono.just(new Partial(List.of(), f, true, List.of()));
            }
            list = AddressOrdering.balance(list, settings.mxAddressLimit());
            return Mono.just(new Partial(limit(list), null, selfMx, List.of()));
        });
    }

    /**
     * LOOKUP-8: when this MTA is among the servers, it and every server of its preference or
     * worse are dropped. Returns whether it was found; {@code list} is sorted by preference.
     */
    private boolean dropSelfAndWorse(List<Target> list) {
        Optional<Target> self = list.stream().filter(t -> settings.self().contains(t.address())).findFirst();
        if (self.isEmpty()) {
            return false;
        }
        int p = self.get().preference();
        list.removeIf(t -> t.preference() >= p);
        return true;
    }

    /** Nothing left after {@link #dropSelfAndWorse}: a loop, unless better servers were published but unusable. */
    private static LookupFailure selfFailure(int minPublished, List<Target> found, String name) {
        int minFound = found.get(0).preference();
        return minPublished < minFound
                ? new LookupFailure("4.4.4", "unable to find primary relay for " + name)
                : new LookupFailure("5.4.6", "mail for " + name + " loops back to myself");
    }

    // ---- target names to addresses ----

    private record Wanted(String name, int preference, int port) {}

    private record Collected(List<Target> targets, Why why) {}

    /**
     * Resolves MX/SRV target names in order, tolerating per-name failures (LOOKUP-6) and stopping once
     * {@link AddressOrdering#MAX_RECORDS} addresses are found (LOOKUP-5).
     */
    private Mono<Collected> resolveTargets(List<Wanted> wanted, boolean dnssec) {
        AtomicInteger count = new AtomicInteger();
        return Flux.fromIterable(wanted)
                .flatMapSequential(w -> hostQuery(w.name(), HostNames.toAscii(w.name()), Optional.empty(), w.preference(),
                        w.port(), dnssec), TARGET_CONCURRENCY)
                .doOnNext(raw -> count.addAndGet(raw.targets().size()))
                .takeUntil(raw -> count.get() >= AddressOrdering.MAX_RECORDS)
                .collectList()
                .map(raws -> {
                    Why why = new Why();
                    List<Target> all = new ArrayList<>();
                    for (RawHost raw : raws) {
                        all.addAll(raw.interpret(why));
                    }
                    return new Collected(all.size() > AddressOrdering.MAX_RECORDS
                            ? all.subList(0, AddressOrdering.MAX_RECORDS) : all, why);
                });
    }

    /** Addresses found for one host name, or the failures met on the way (in order). */
    private record RawHost(List<Target> targets, List<LookupFailure> failures) {
        List<Target> interpret(Why why) {
            if (targets.isEmpty()) {
                failures.forEach(why::record);
            }
            return targets;
        }
    }

    /** LOOKUP-11 for one name: literal, else DNS A/AAAA, else (not found) native. */
    private Mono<RawHost> hostQuery(String display, String queryName, Optional<InetAddress> literal, int pref, int port,
            boolean dnssec) {
        if (literal.isPresent()) {
            InetAddress addr = literal.get();
            if (familyEnabled(addr)) {
                return Mono.just(new RawHost(List.of(new Target(display, addr, port, pref, false)), List.of()));
            }
            return Mono.just(new RawHost(List.of(), List.of(new LookupFailure("5.4.4", display + ": host not found"))));
        }
        boolean useDns = settings.hostLookupDns() && settings.dnsSupportLevel() != DnsSupportLevel.DISABLED;
        boolean useNative = settings.hostLookupNative() || settings.dnsSupportLevel() == DnsSupportLevel.DISABLED;
        if (!useDns) {
            return nativeQuery(display, queryName, pref, port, List.of());
        }
        return dnsHostQuery(display, queryName, pref, port, dnssec, useNative);
    }

    /** DNS A and/or AAAA for one name, each type searched on its own (LOOKUP-11, LOOKUP-17). */
    private Mono<RawHost> dnsHostQuery(String display, String queryName, int pref, int port, boolean dnssec,
            boolean useNative) {
        List<String> candidates = settings.resolverOptions().candidates(queryName);
        Mono<Optional<DnsAnswer>> a = settings.ipv4()
                ? search(queryName, candidates, org.xbill.DNS.Type.A, dnssec).map(Optional::of) : Mono.just(Optional.empty());
        Mono<Optional<DnsAnswer>> aaaa = settings.ipv6()
                ? search(queryName, candidates, org.xbill.DNS.Type.AAAA, dnssec).map(Optional::of) : Mono.just(Optional.empty());
        return Mono.zip(a, aaaa).flatMap(pair -> {
            List<Target> targets = new ArrayList<>();
            List<DnsAnswer> answers = new ArrayList<>();
            pair.getT1().ifPresent(answers::add);
            pair.getT2().ifPresent(answers::add);
            for (DnsAnswer ans : answers) {
                if (!ans.ok()) {
                    continue;
                }
                String hostname = settings.cnameOverridesServername() ? printable(ans.canonicalName()) : display;
                for (ARecord r : ans.records(ARecord.class)) {
                    targets.add(new Target(hostname, r.getAddress(), port, pref, ans.authenticated()));
                }
                for (AAAARecord r : ans.records(AAAARecord.class)) {
                    targets.add(new Target(hostname, r.getAddress(), port, pref, ans.authenticated()));
                }
            }
            if (!targets.isEmpty()) {
                return Mono.just(new RawHost(targets, List.of()));
            }
            DnsAnswer worst = answers.stream().min(Comparator.comparingInt(NextHopResolver::priority)).orElseThrow();
            LookupFailure f = new LookupFailure(dnsStatus(worst.outcome()), worst.reason());
            if (worst.outcome() == DnsOutcome.NOT_FOUND && useNative) {
                return nativeQuery(display, queryName, pref, port, List.of(f));
            }
            return Mono.just(new RawHost(List.of(), List.of(f)));
        });
    }

    /**
     * LOOKUP-17: one record type looked up through the search-list candidates, as the C resolver's
     * {@code res_search} walks them (Postfix asks for A and AAAA separately, so each type walks on its
     * own). An answer ends the walk, and so does the reply filter's verdict on it. "Not found" and
     * SERVFAIL move on; another error ends the search-domain part, though the name as given is still
     * tried if it was not yet. When nothing is found the result is that of the name as given if it
     * was tried first, else a NODATA, else a SERVFAIL, else the last one.
     */
    private Mono<DnsAnswer> search(String name, List<String> candidates, int type, boolean dnssec) {
        if (candidates.size() == 1) {
            return dns.lookup(candidates.get(0), type, dnssec);
        }
        return Mono.defer(() -> walk(name, candidates, 0, type, dnssec, new ArrayList<>()));
    }

    private Mono<DnsAnswer> walk(String name, List<String> candidates, int index, int type, boolean dnssec,
            List<DnsAnswer> failed) {
        String candidate = candidates.get(index);
        return dns.lookup(candidate, type, dnssec).flatMap(ans -> {
            if (ans.ok() || ans.outcome() == DnsOutcome.POLICY) {
                return Mono.just(ans);
            }
            failed.add(ans);
            boolean onward = ans.outcome() == DnsOutcome.NOT_FOUND || servfail(ans);
            int next = index + 1;
            if (!onward) {
                // res_search gives up on the search domains but still tries the name as given, once.
                int asGiven = candidates.indexOf(name);
                next = asGiven > index ? asGiven : candidates.size();
            }
            if (next < candidates.size()) {
                return walk(name, candidates, next, type, dnssec, failed);
            }
            return Mono.just(searchFailure(name, candidates, failed));
        });
    }

    private static DnsAnswer searchFailure(String name, List<String> candidates, List<DnsAnswer> failed) {
        if (candidates.get(0).equals(name)) {
            return failed.get(0);
        }
        for (DnsAnswer a : failed) {
            if (a.outcome() == DnsOutcome.NOT_FOUND && a.rcode() == Rcode.NOERROR) {
                return a;
            }
        }
        for (DnsAnswer a : failed) {
            if (servfail(a)) {
                return a;
            }
        }
        return failed.get(failed.size() - 1);
    }

    private static boolean servfail(DnsAnswer a) {
        return a.outcome() == DnsOutcome.TEMPORARY && a.rcode() == Rcode.SERVFAIL;
    }

    private Mono<RawHost> nativeQuery(String display, String queryName, int pref, int port, List<LookupFailure> before) {
        return nativeResolver.lookup(queryName)
                .map(addrs -> {
                    List<Target> targets = addrs.stream().filter(this::familyEnabled)
                            .map(addr -> new Target(display, addr, port, pref, false)).toList();
                    if (targets.isEmpty()) {
                        return failed(before, new LookupFailure("5.4.4", display + ": host not found"));
                    }
                    return new RawHost(targets, List.of());
                })
                .onErrorResume(e -> {
                    String msg = e.getMessage() == null ? e.toString() : e.getMessage();
                    boolean soft = !(e instanceof UnknownHostException) || msg.contains("Temporary failure");
                    String status = e instanceof UnknownHostException ? (soft ? "4.4.4" : "5.4.4") : "4.3.0";
                    return Mono.just(failed(before, new LookupFailure(status, "unable to look up host " + display + ": " + msg)));
                });
    }

    private static RawHost failed(List<LookupFailure> before, LookupFailure f) {
        List<LookupFailure> all = new ArrayList<>(before);
        all.add(f);
        return new RawHost(List.of(), all);
    }

    // ---- helpers ----

    /** LOOKUP-11's precedence among failed A/AAAA answers: lower is more important. */
    private static int priority(DnsAnswer a) {
        return switch (a.outcome()) {
            case OK -> 0;
            case POLICY -> 1;
            case TEMPORARY -> 2;
            case MALFORMED -> 3;
            case NON_RECOVERABLE -> 4;
            case NOT_FOUND -> 5;
        };
    }

    private static String dnsStatus(DnsOutcome outcome) {
        return switch (outcome) {
            case TEMPORARY -> "4.4.3";
            case NON_RECOVERABLE -> "5.4.3";
            case MALFORMED, NOT_FOUND -> "5.4.4";
            case POLICY -> "4.7.0";
            case OK -> throw new IllegalArgumentException("not a failure");
        };
    }

    private static String malformed(DnsAnswer ans) {
        return "Name service error for name=" + ans.printableName() + " type="
                + org.xbill.DNS.Type.string(ans.type()) + ": Malformed or unexpected name server reply";
    }

    private boolean familyEnabled(InetAddress addr) {
        return addr instanceof Inet6Address ? settings.ipv6() : settings.ipv4();
    }

    private List<Target> limit(List<Target> list) {
        int limit = settings.mxAddressLimit();
        return limit > 0 && list.size() > limit ? List.copyOf(list.subList(0, limit)) : list;
    }

    private static boolean validTarget(Name target) {
        return HostNames.isValidHostname(printable(target));
    }

    private static String printable(Name name) {
        String s = name.toString();
        return s.length() > 1 && s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    private static RandomGenerator threadLocalRandom() {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return ThreadLocalRandom.current().nextLong();
            }
        };
    }

    /** Postfix's error aggregation: the latest error text, with class 4 once any soft error was seen (LOOKUP-6). */
    private static final class Why {
        private LookupFailure last;
        private boolean soft;

        void record(LookupFailure f) {
            LookupFailure g = soft ? f.soft() : f;
            if (!g.hard()) {
                soft = true;
            }
            last = g;
        }

        LookupFailure last() {
            return last != null ? last : new LookupFailure("5.4.4", "host not found");
        }

        LookupFailure lastOr(LookupFailure fallback) {
            return last != null ? last : fallback;
        }
    }
}
