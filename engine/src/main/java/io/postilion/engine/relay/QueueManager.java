package io.postilion.engine.relay;

import io.postilion.engine.config.Smtputf8Settings;
import io.postilion.engine.maillog.InfoLogFormat;
import io.postilion.engine.maillog.MailLog;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.agent.DeliveryLog;
import io.postilion.engine.delivery.DsnAction;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Invariants;
import io.postilion.engine.delivery.Verdict;
import io.postilion.engine.delivery.VerdictSource;
import io.postilion.engine.listener.MessageSink;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.notice.DeliveryStatusNotice;
import io.postilion.engine.notice.NoticeKind;
import io.postilion.engine.notice.NoticeRecipient;
import io.postilion.engine.scheduler.DeliveryScheduler;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Ret;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The relay's queue manager: turns queued messages into delivery requests (one per route), feeds
 * them to a scheduler per transport, records every recipient's result in the store as it comes,
 * and when a message's attempt is over decides what follows: removal, a deferral with a retry
 * timer, returning mail that has been queued too long, and the notices the sender asked for or
 * must get (RFC 3464). A notice that fails becomes a double bounce to the postmaster, and a
 * failed double bounce is discarded ({@link NoticePolicy}).
 *
 * <p>The queue manager runs on a thread of its own ({@code postilion-qmgr}): new messages and
 * delivery reports are taken there, so the schedulers' sources are fed from one thread and never
 * contend. The spool's threads only do file work; what follows a store completes back here.
 *
 * <p>Results come back by each recipient's queue index. A result for a recipient that is already
 * decided, or an attempt that ends with a recipient nobody decided, breaks the delivery contract
 * ({@link Invariants}): it throws under test, and in production the recipient stays queued.
 *
 * <p>A bounce is never recorded before its notice is queued (as Postfix's qmgr keeps a recipient
 * until bounce(8) has logged it): when the notice cannot be queued the recipient is deferred, and
 * a crash between the two repeats the attempt rather than losing the sender's notice.
 *
 * <p>Shutting down is two steps: {@link #drain} stops taking work (new messages, retry timers
 * and notices stay queued for the next start) and completes once every delivery in progress has
 * been recorded; {@link #close} then cancels whatever is still running.
 */
public final class QueueManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueueManager.class);

    private final QueueStore store;
    private final Routing routing;
    private final RetryPolicy retry;
    private final MessageSink noticeSink;
    private final NoticePolicy notices;
    private final String myHostname;
    private final Clock clock;
    private final Scheduler timer;
    private final Map<String, Sinks.Many<DeliveryRequest>> sources = new LinkedHashMap<>();
    private final Map<String, DeliveryScheduler> schedulers;
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
    /**
     * Messages waiting for their retry, and how to get each back: from the store, when it can load
     * a message (the spool), so that deferred mail costs no heap; else the message itself.
     */
    private final Map<String, java.util.function.Supplier<Mono<QueuedMessage>>> waiting = new ConcurrentHashMap<>();
    private final Map<String, Disposable> timers = new ConcurrentHashMap<>();
    private final java.util.Set<String> warned = ConcurrentHashMap.newKeySet();
    private final Disposable.Composite running = Disposables.composite();
    /** The queue manager's own thread: intake, emission to the schedulers, the end of attempts. */
    private final Scheduler qmgr = Schedulers.newSingle("postilion-qmgr", true);
    private final AtomicLong noticeIds = new AtomicLong();
    /** Messages whose attempt has started and not yet been recorded to its end. */
    private final java.util.Set<String> delivering = ConcurrentHashMap.newKeySet();
    /** Messages deleted while their delivery was running: their reports are dropped. */
    private final java.util.Set<String> deletedInFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    private final Sinks.Empty<Void> drained = Sinks.empty();
    /**
     * qmgr_message_active_limit: messages held in memory for delivery at once. Beyond it, when
     * the store can load a message back, only the id waits here, in arrival order (Postfix leaves
     * such mail in its incoming queue), so a client that outruns delivery, or a restart with a
     * large backlog, does not fill the heap. Touched on the manager's thread only.
     */
    private int activeLimit = Integer.MAX_VALUE;
    /** info_log_address_format and delay_logging_resolution_limit for the qmgr lines. */
    private InfoLogFormat logFormat = InfoLogFormat.DEFAULTS;
    /** smtputf8_enable and the bounce and notify autodetect classes, for the mail the relay writes itself. */
    private Smtputf8Settings smtputf8 = Smtputf8Settings.DEFAULTS;
    private final java.util.ArrayDeque<String> parked = new java.util.ArrayDeque<>();
    private volatile int parkedCount;
    /** Parked messages being loaded back right now (each has its room among the active ones). */
    private int loading;
    /**
     * Recorded results for {@link #results()}. Best effort toward the sink itself: each subscriber
     * gets its own bounded buffer (see {@link #results()}), so no subscriber ever holds up the
     * thread that records a result.
     */
    private final Sinks.Many<RecipientEvent> events = Sinks.many().multicast().directBestEffort();
    /** Events a subscriber's full buffer dropped (all subscribers together). */
    private final AtomicLong droppedEvents = new AtomicLong();
    /** How many events a subscriber of {@link #results()} may lag behind before its events are dropped. */
    public static final int RESULTS_BUFFER = 65_536;

    /**
     * @param schedulers one scheduler per transport name ("smtp", "lmtp")
     * @param noticeSink where notices are queued (the spool, like any accepted message)
     * @param notices where notices that cannot be returned go
     */
    public QueueManager(QueueStore store, Routing routing, RetryPolicy retry, Map<String, DeliveryScheduler> schedulers,
            MessageSink noticeSink, NoticePolicy notices, String myHostname, Clock clock, Scheduler timer) {
        this.store = Objects.requireNonNull(store, "store");
        this.routing = Objects.requireNonNull(routing, "routing");
        this.retry = Objects.requireNonNull(retry, "retry");
        this.schedulers = Map.copyOf(schedulers);
        this.noticeSink = Objects.requireNonNull(noticeSink, "noticeSink");
        this.notices = Objects.requireNonNull(notices, "notices");
        this.myHostname = Objects.requireNonNull(myHostname, "myHostname");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timer = Objects.requireNonNull(timer, "timer");
    }

    /**
     * At most {@code limit} messages are held in memory for delivery at once
     * (qmgr_message_active_limit); more wait in the store, by id, and are loaded as others
     * finish. Only with a store that {@linkplain QueueStore#loads loads} messages back. Call
     * before {@link #start}.
     */
    public QueueManager activeLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("qmgr_message_active_limit must be at least 1: " + limit);
        }
        this.activeLimit = limit;
        return this;
    }

    /** How the qmgr lines show addresses and times (the relay's configuration). Call before {@link #start}. */
    public QueueManager logFormat(InfoLogFormat format) {
        this.logFormat = Objects.requireNonNull(format, "format");
        return this;
    }

    /** Whether the notices and transcripts the relay writes request SMTPUTF8. Call before {@link #start}. */
    public QueueManager smtputf8(Smtputf8Settings settings) {
        this.smtputf8 = Objects.requireNonNull(settings, "settings");
        return this;
    }

    /** Messages held in memory for delivery now (at most qmgr_message_active_limit). */
    public int active() {
        return inFlight.size();
    }

    /** Messages waiting in the store, by id, for room among the active ones. */
    public int parked() {
        return parkedCount;
    }

    /** Starts the schedulers; from now on submitted messages are delivered. */
    public QueueManager start() {
        schedulers.forEach((transport, scheduler) -> {
            Sinks.Many<DeliveryRequest> source = Sinks.many().unicast().onBackpressureBuffer();
            sources.put(transport, source);
            running.add(scheduler.schedule(source.asFlux(), this::recordAtOnce)
                    .publishOn(qmgr)
                    // Reports of different messages are recorded in parallel; each one's state is concurrent.
                    .flatMap(this::reported, 1024)
                    .subscribe(null, e -> log.error("the {} scheduler stopped: {}", transport, e.toString(), e)));
        });
        return this;
    }

    /**
     * Every recipient result from now on, as it is recorded in the store: sent and probe results
     * once written, bounces once their notice is queued and they are written, deferrals at the end
     * of their attempt once their reason is written. Hot and multicast: a subscriber sees what is
     * recorded after it subscribed. Each subscriber is served on a worker thread of its own behind
     * a buffer of {@link #RESULTS_BUFFER} events; when a slow subscriber lets its buffer fill, the
     * newest events are dropped for it and counted ({@link #droppedEvents()}): delivery never waits
     * for a subscriber.
     */
    public Flux<RecipientEvent> results() {
        return events.asFlux()
                .onBackpressureBuffer(RESULTS_BUFFER, dropped -> droppedEvents.incrementAndGet(),
                        reactor.core.publisher.BufferOverflowStrategy.DROP_LATEST)
                .publishOn(Schedulers.boundedElastic());
    }

    /** Events dropped because a subscriber of {@link #results()} fell too far behind. */
    public long droppedEvents() {
        return droppedEvents.get();
    }

    /** Publishes one recorded result; serialised, since results are recorded on several threads. */
    private void emit(InFlight f, RecipientResult res) {
        if (events.currentSubscriberCount() == 0) {
            return;
        }
        DeliveryReport.Timings t = f.timings.get(res.index());
        Instant now = clock.instant();
        RecipientEvent e = new RecipientEvent(f.message.queueId(), f.message.envId(), res, t != null ? t : zero(f.message, now), now);
        synchronized (events) {
            events.tryEmitNext(e);
        }
    }

    /** Messages being delivered, waiting for a retry timer, or parked for room among the active ones. */
    public int inFlight() {
        return inFlight.size() + waiting.size() + parkedCount;
    }

    /** Messages whose delivery attempt is running right now (not those waiting for a retry). */
    public int delivering() {
        return delivering.size();
    }

    /**
     * Queues a message: a new one from the listener, one recovered at start-up, or a retry. Once
     * {@link #drain} has begun, the message is left where it is in the store for the next start.
     */
    public void submit(QueuedMessage m) {
        delivering.add(m.queueId()); // before the check, so a drain that begins now waits for it or it stays out
        if (stopping) {
            log.info("{}: shutting down; the message stays queued for the next start", m.queueId());
            attemptOver(m.queueId());
            return;
        }
        qmgr.schedule(() -> start(m));
    }

    /** On the queue manager's thread: splits the message by route and hands it to the schedulers. */
    private void start(QueuedMessage m) {
        start(m, false);
    }

    /** @param admitted loaded back from the parked ones, into the room kept for it */
    private void start(QueuedMessage m, boolean admitted) {
        if (stopping) {
            log.info("{}: shutting down; the message stays queued for the next start", m.queueId());
            attemptOver(m.queueId());
            return;
        }
        if (!admitted && store.loads() && !inFlight.containsKey(m.queueId())
                && (inFlight.size() + loading >= activeLimit || !parked.isEmpty() || store.mustLoad(m.queueId()))) {
            // No room, or older mail waits for it first, or the store must check the message
            // before it goes out: the store keeps it, and only its id waits in memory, behind the others.
            parked.add(m.queueId());
            parkedCount = parked.size();
            store.parked(m.queueId());
            attemptOver(m.queueId()); // not being delivered: a drain does not wait for it
            admitParked();
            return;
        }
        InFlight f = new InFlight(m);
        inFlight.put(m.queueId(), f);
        MailLog mail = MailLog.current();
        if (mail.enabled()) { // the line is not built for a log nobody writes
            mail.log("qmgr", m.queueId() + ": from=<" + logFormat.address(m.sender()) + ">, size=" + m.content().size() + ", nrcpt="
                    + m.recipients().size() + " (queue active)");
        }
        Map<Route, List<Recipient>> byRoute = new LinkedHashMap<>();
        for (int i = 0; i < m.recipients().size(); i++) {
            if (m.done().get(i)) {
                continue;
            }
            Recipient r = m.recipients().get(i);
            f.open(r.index());
            if (notices.isLocalDoubleBounceAddress(r.address())) {
                // qmgr(8): mail to the local double-bounce address is discarded, so no loop can start.
                log.info("{}: to=<{}>, relay=none, dsn=2.0.0, status=sent (undeliverable postmaster notification discarded)",
                        m.queueId(), logFormat.address(r.address()));
                f.unroutable.add(new RecipientResult(r, Outcome.SENT, DsnStatus.of(2, 0, 0), DsnAction.DELIVERED,
                        Verdict.local(VerdictSource.LOCAL, "undeliverable postmaster notification discarded"),
                        "undeliverable postmaster notification discarded", "none", 0, false, ""));
                continue;
            }
            try {
                byRoute.computeIfAbsent(routing.route(r.address()), k -> new ArrayList<>()).add(r);
            } catch (IllegalArgumentException bad) {
                log.warn("{}: to=<{}>: {}", m.queueId(), logFormat.address(r.address()), bad.getMessage());
                f.unroutable.add(RecipientResult.local(r, Outcome.DEFERRED, DsnStatus.of(4, 3, 5), VerdictSource.LOCAL,
                        "mail system configuration error: " + bad.getMessage()));
            }
        }
        f.outstanding.set(byRoute.values().stream().mapToInt(List::size).sum());
        Mono<Void> recordUnroutable = Flux.fromIterable(List.copyOf(f.unroutable))
                .concatMap(res -> recordOne(f, res)).then();
        if (f.outstanding.get() == 0) {
            recordUnroutable.then(Mono.defer(() -> finish(f))).subscribe(null, e -> {
                log.error("{}: {}", m.queueId(), e.toString());
                attemptOver(m.queueId());
            });
            return;
        }
        recordUnroutable.subscribe(null, e -> log.error("{}: {}", m.queueId(), e.toString()));
        Instant now = clock.instant();
        byRoute.forEach((route, rcpts) -> {
            DeliveryRequest req = new DeliveryRequest(m.queueId(), m.sender(), rcpts, m.content(), m.bodyType(),
                    m.smtputf8(), m.headersUtf8(), route.nexthop(), m.envId(), m.ret(), m.arrival(), now, java.util.Set.of(), false,
                    m.origin(), m.tls());
            Sinks.Many<DeliveryRequest> source = sources.get(route.transport());
            if (source == null) {
                log.error("{}: no {} delivery agent is running", m.queueId(), route.transport());
                attemptOver(m.queueId());
                return;
            }
            // Only this thread emits, so an emission cannot meet another one.
            Sinks.EmitResult emitted = source.tryEmitNext(req);
            if (emitted.isFailure()) {
                log.error("{}: cannot hand the message to the {} scheduler ({}); it stays queued for the next start",
                        m.queueId(), route.transport(), emitted);
                attemptOver(m.queueId());
            }
        });
    }

    private Mono<Void> reported(DeliveryReport report) {
        InFlight f = inFlight.get(report.queueId());
        if (f == null && deletedInFlight.contains(report.queueId())) {
            log.info("{}: deleted during delivery; its results are not recorded", report.queueId());
            return Mono.empty();
        }
        if (f == null) {
            log.warn("{}: a report for a message not in flight", report.queueId());
            return Mono.empty();
        }
        int n = report.results().size();
        report.results().forEach(r -> f.timings.put(r.index(), report.timings()));
        return Flux.fromIterable(report.transcripts())
                .concatMap(this::postTranscript)
                .thenMany(Flux.fromIterable(report.results()))
                .concatMap(res -> recordOne(f, res))
                .publishOn(qmgr)
                .then(Mono.defer(() -> f.outstanding.addAndGet(-n) <= 0 ? finish(f) : Mono.empty()))
                .onErrorResume(e -> {
                    log.error("{}: cannot record delivery results: {}", report.queueId(), e.toString());
                    attemptOver(report.queueId());
                    return Mono.empty();
                });
    }

    /**
     * On the thread that completed the delivery (an event loop): sent recipients are written to
     * the store before the report makes its way to this manager's thread, so that a crash in
     * between repeats as few deliveries as it can. Nothing is claimed here; {@link #recordOne}
     * still checks each result on the manager's thread and waits for the write begun here.
     */
    private void recordAtOnce(DeliveryReport report) {
        InFlight f = inFlight.get(report.queueId());
        if (f == null || deletedInFlight.contains(report.queueId())) {
            return;
        }
        for (RecipientResult res : report.results()) {
            if (res.outcome() == Outcome.SENT && !f.done.contains(res.index())) {
                Mono<Void> write = store.record(report.queueId(), res.index(), res).cache();
                write.subscribe(null, e -> { }); // the error is reported where recordOne waits for it
                f.written.put(res.index(), write);
            }
        }
    }

    /**
     * Sent recipients are final and recorded at once; bounced ones wait for their notice and
     * deferred ones for the end of the attempt. Each result names its recipient by queue index.
     */
    private Mono<Void> recordOne(InFlight f, RecipientResult res) {
        int index = res.index();
        if (!f.claim(index)) {
            Invariants.violated(f.message.queueId() + ": a result for recipient " + index + " <"
                    + res.recipient().address() + "> that is not open (decided twice, or never handed out)");
            return Mono.empty(); // the first decision stands
        }
        if (res.outcome().staysQueued()) {
            f.deferred.add(res);
            return Mono.empty();
        }
        if (res.outcome() == Outcome.BOUNCED) {
            f.bounced.add(res); // recorded once its notice is queued (see finish)
            return Mono.empty();
        }
        if (res.outcome() == Outcome.SENT && res.successNotice()) {
            f.succeeded.add(res);
        }
        f.done.add(index);
        Mono<Void> written = res.outcome() == Outcome.SENT ? f.written.remove(index) : null;
        return (written != null ? written : store.record(f.message.queueId(), index, res))
                .then(Mono.fromRunnable(() -> emit(f, res)));
    }

    /** The attempt is over: notices, then removal or a deferral with its retry timer. */
    private Mono<Void> finish(InFlight f) {
        QueuedMessage m = f.message;
        if (deletedInFlight.contains(m.queueId())) {
            return Mono.empty(); // deleted by the administrator while it was being delivered
        }
        Instant now = clock.instant();
        List<RecipientResult> deferred = new ArrayList<>(f.deferred);
        List<Integer> undecided = f.stillOpen();
        if (!undecided.isEmpty()) {
            // An attempt ended with recipients no report decided: a bug; they stay queued.
            Invariants.violated(m.queueId() + ": the attempt ended with recipients " + undecided + " undecided");
            for (int i : undecided) {
                deferred.add(RecipientResult.local(m.recipients().get(i), Outcome.DEFERRED, DsnStatus.of(4, 3, 0),
                        VerdictSource.LOCAL, "internal error: the recipient was left undecided"));
            }
        }
        if (!deferred.isEmpty() && retry.expired(m.arrival(), now, m.sender().isEmpty())) {
            for (RecipientResult d : deferred) {
                String why = "message expired after " + Duration.between(m.arrival(), now).toHours()
                        + " hours in the queue: " + d.reason();
                // Postfix keeps the last deferral's status in the notice; the action is failed.
                f.bounced.add(d.recast(Outcome.BOUNCED, d.status(), why, DsnAction.FAILED));
            }
            deferred.clear();
        }
        List<RecipientResult> delayed = !deferred.isEmpty() && retry.delayWarningDue(m.arrival(), now,
                warned.contains(m.queueId())) ? List.copyOf(deferred) : List.of();
        if (!delayed.isEmpty()) {
            warned.add(m.queueId()); // one delay warning per message
        }
        List<RecipientResult> bounced = List.copyOf(f.bounced);
        // The failure notice first: only once it is queued are the bounces final.
        Mono<Void> bounces = notice(f, NoticeKind.FAILURE, bounced)
                .then(Mono.defer(() -> recordAll(m, bounced, f)))
                .onErrorResume(e -> {
                    log.warn("{}: cannot queue the non-delivery notice ({}); {} recipient(s) deferred", m.queueId(),
                            e.toString(), bounced.size());
                    for (RecipientResult b : bounced) {
                        RecipientResult held = b.recast(Outcome.DEFERRED, b.status().withClass(4),
                                "bounce or trace service failure", DsnAction.DELAYED);
                        DeliveryLog.write(new DeliveryReport(m.queueId(), List.of(held), false, zero(m, now)), "qmgr", logFormat);
                        deferred.add(held);
                    }
                    return Mono.empty();
                });
        // A success or delay notice that cannot be queued is logged and not sent: the mail itself
        // is not held back for it (a bounce is, above, since its notice is the sender's only news).
        Mono<Void> notices = Mono.when(bounces, optional(m, notice(f, NoticeKind.SUCCESS, List.copyOf(f.succeeded))),
                optional(m, notice(f, NoticeKind.DELAY, delayed)));
        return notices.publishOn(qmgr).then(Mono.defer(() -> {
            if (deletedInFlight.contains(m.queueId())) {
                return Mono.<Void>empty(); // deleted while its notices were being written
            }
            if (deferred.isEmpty()) {
                inFlight.remove(m.queueId());
                qmgr.schedule(this::admitParked);
                warned.remove(m.queueId());
                return store.remove(m.queueId())
                        .then(Mono.fromRunnable(() -> MailLog.current().log("qmgr", m.queueId() + ": removed")));
            }
            Instant next = retry.nextAttempt(m.arrival(), now);
            BitSet nowDone = new BitSet();
            f.done.forEach(nowDone::set);
            QueuedMessage again = m.withDone(nowDone);
            log.info("{}: {} recipient(s) deferred, next attempt at {}", m.queueId(), deferred.size(), next);
            // The deferral reasons go into the queue file too, so the listing (mailq) can show them.
            Mono<Void> reasons = Flux.fromIterable(deferred)
                    .concatMap(d -> store.record(m.queueId(), d.index(), d).then(Mono.fromRunnable(() -> emit(f, d)))).then();
            return reasons.then(store.defer(m.queueId(), next))
                    .onErrorResume(e -> {
                        // Not lost: the message stays stored where it was (the journal keeps it)
                        // and still gets its retry; the move is tried again after that attempt.
                        log.warn("{}: cannot move to the deferred queue ({}); it stays queued as it is, next attempt at {}",
                                m.queueId(), e.toString(), next);
                        return Mono.empty();
                    })
                    .then(Mono.fromRunnable(() -> {
                        inFlight.remove(m.queueId());
                        waitFor(again, Duration.between(now, next));
                        qmgr.schedule(this::admitParked); // this runs where the store completed, not on qmgr
                    }));
        })).doFinally(signal -> attemptOver(m.queueId()));
    }

    private static Mono<Void> optional(QueuedMessage m, Mono<Void> notice) {
        return notice.onErrorResume(e -> {
            log.warn("{}: cannot queue a notice ({}); it is not sent", m.queueId(), e.toString());
            return Mono.empty();
        });
    }

    /** Records final results (bounces whose notice is queued) and marks them done. */
    private Mono<Void> recordAll(QueuedMessage m, List<RecipientResult> results, InFlight f) {
        return Flux.fromIterable(results)
                .concatMap(r -> store.record(m.queueId(), r.index(), r).then(Mono.fromRunnable(() -> {
                    f.done.add(r.index());
                    emit(f, r);
                })))
                .then();
    }

    /** Timings for a line the queue manager logs itself (no delivery took place). */
    private static DeliveryReport.Timings zero(QueuedMessage m, Instant now) {
        Duration total = Duration.between(m.arrival(), now);
        return new DeliveryReport.Timings(total, total, Duration.ZERO, Duration.ZERO, Duration.ZERO);
    }

    /**
     * On the manager's thread only (the parked ids are that thread's): while there is room among
     * the active messages, the oldest parked one is loaded from the store and started. One that is
     * gone (delivered or deleted meanwhile) or cannot be read is passed over; the latter stays in
     * the store for the next start.
     */
    private void admitParked() {
        while (!stopping && !parked.isEmpty() && inFlight.size() + loading < activeLimit) {
            String id = parked.poll();
            parkedCount = parked.size();
            loading++;
            store.load(id).map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty()).publishOn(qmgr)
                    .subscribe(found -> {
                        loading--;
                        if (found.isPresent()) {
                            delivering.add(id);
                            start(found.get(), true);
                        } else {
                            admitParked(); // gone meanwhile (delivered or deleted): the room is free again
                        }
                    }, e -> {
                        loading--;
                        log.error("{}: cannot load the message for delivery ({}); it stays queued for the next start", id,
                                e.toString());
                        admitParked();
                    });
        }
    }

    /** The message's attempt is recorded to its end (or abandoned): a drain need not wait for it. */
    private void attemptOver(String queueId) {
        delivering.remove(queueId);
        if (stopping && delivering.isEmpty()) {
            drained.tryEmitEmpty();
        }
    }

    /**
     * Begins shutting down: from now on nothing new is delivered (submitted messages, retry
     * timers and flushes leave mail queued for the next start). Completes when every delivery in
     * progress has been recorded to its end; the caller bounds the wait and then calls
     * {@link #close}, which cuts off whatever is still running.
     */
    public Mono<Void> drain() {
        stopping = true;
        timers.values().forEach(Disposable::dispose);
        timers.clear();
        if (delivering.isEmpty()) {
            drained.tryEmitEmpty();
        }
        return drained.asMono();
    }

    /** Arms the retry timer of a deferred message (replacing any earlier one). */
    private void retryAfter(String queueId, Duration wait) {
        if (stopping) {
            return; // stays in deferred/ for the next start
        }
        // A timer lives only in the timers map: it leaves it when it fires or is replaced, so
        // retries and flushes leave nothing behind. Its slot is in the map before it is armed, and
        // a firing timer takes out only its own slot: a timer due at once (a flush) may fire
        // before subscribe returns, and must neither leave its slot behind nor leave the timer it
        // replaced armed, nor may a replaced timer that fires anyway take out its successor.
        Disposable.Swap slot = Disposables.swap();
        Disposable old = timers.put(queueId, slot);
        if (old != null) {
            old.dispose();
        }
        slot.update(Mono.delay(wait, timer)
                .then(Mono.defer(() -> {
                    if (stopping || !timers.remove(queueId, slot)) {
                        return Mono.<Void>empty();
                    }
                    var back = waiting.remove(queueId);
                    return back == null ? Mono.<Void>empty()
                            : store.activate(queueId).then(back.get()).doOnNext(this::submit).then();
                }))
                .subscribe(v -> { }, e -> log.error("{}: cannot reactivate: {}", queueId, e.toString())));
    }

    /**
     * A recovered message whose next attempt is due later (deferred before the restart): it
     * waits for its time, as it would have without the restart, instead of being tried at once.
     */
    public void submitAt(QueuedMessage m, Instant due) {
        Duration wait = Duration.between(clock.instant(), due);
        if (wait.isNegative() || wait.isZero() || stopping) {
            submit(m);
            return;
        }
        waitFor(m, wait);
    }

    /**
     * The message waits for its next attempt: only its id stays in memory when the store can load
     * it back, else the message itself.
     */
    private void waitFor(QueuedMessage m, Duration wait) {
        String id = m.queueId();
        waiting.put(id, store.loads() ? () -> store.load(id) : () -> Mono.just(m));
        retryAfter(id, wait);
    }

    /** Retry timers armed right now (one per deferred message at most). */
    public int retryTimers() {
        return timers.size();
    }

    /**
     * Long-lived tasks held right now: one subscription per scheduler plus the armed retry
     * timers. It must not grow with retries or flushes (a leak test reads it).
     */
    public int heldTasks() {
        return running.size() + timers.size();
    }

    /** Tries every deferred message now (postilion flush); returns how many. */
    public int flush() {
        if (stopping) {
            return 0;
        }
        List<String> due = new ArrayList<>(waiting.keySet());
        due.forEach(id -> retryAfter(id, Duration.ZERO));
        return due.size();
    }

    /**
     * Removes a message from the queue without delivering it any further (postilion delete),
     * whatever its state: waiting for a retry, being delivered right now (its delivery runs on,
     * and its results are dropped: no notice, no retry), or only in the store (a corrupt file, or
     * one left queued while shutting down). True when there was such a message.
     */
    public Mono<Boolean> delete(String queueId) {
        return Mono.defer(() -> {
            Disposable t = timers.remove(queueId);
            if (t != null) {
                t.dispose();
            }
            waiting.remove(queueId);
            if (inFlight.remove(queueId) != null && delivering.contains(queueId)) {
                deletedInFlight.add(queueId);
                attemptOver(queueId);
            }
            qmgr.schedule(() -> {
                parked.remove(queueId);
                parkedCount = parked.size();
                admitParked();
            });
            warned.remove(queueId);
            return store.delete(queueId).doOnNext(found -> {
                if (found) {
                    log.info("{}: removed by the administrator", queueId);
                }
            });
        });
    }

    /**
     * Writes and queues the notice that is due, as Postfix's bounce(8) chooses by the failed
     * message's sender: an ordinary sender gets the notice from the null sender; for a notice
     * (null sender) that failed, the postmaster gets a double bounce from the double-bounce sender
     * when notify_classes asks for it, else it is discarded; a failed double bounce is discarded.
     * Delay and success notices go to ordinary senders only.
     */
    private Mono<Void> notice(InFlight f, NoticeKind kind, List<RecipientResult> about) {
        QueuedMessage m = f.message;
        if (about.isEmpty()) {
            return Mono.empty();
        }
        if (notices.isDoubleBounceSender(m.sender())) {
            log.warn("{}: undeliverable postmaster notification discarded", m.queueId());
            return Mono.empty();
        }
        if (m.sender().isEmpty()) {
            if (kind != NoticeKind.FAILURE) {
                return Mono.empty();
            }
            if (!notices.doubleBounces()) {
                log.info("{}: undeliverable notice discarded: {} recipient(s) (notify_classes names neither 2bounce nor bounce)",
                        m.queueId(), about.size());
                return Mono.empty();
            }
            return queueNotice(m, kind, about, notices.doubleBounceSender(), notices.postmaster(), true)
                    .doOnNext(id -> {
                        log.info("{}: postmaster non-delivery notification: {}", m.queueId(), id);
                        MailLog.current().log("bounce", m.queueId() + ": postmaster non-delivery notification: " + id);
                    }).then();
        }
        return queueNotice(m, kind, about, "", m.sender(), false)
                .doOnNext(id -> {
                    String what = kind == NoticeKind.FAILURE ? "non-delivery" : kind == NoticeKind.DELAY ? "delay"
                            : "delivery status";
                    log.info("{}: sender {} notification: {}", m.queueId(), what, id);
                    MailLog.current().log("bounce", m.queueId() + ": sender " + what + " notification: " + id);
                }).then();
    }

    /** Writes one notice about {@code about}, queues it durably and submits it; gives its queue id. */
    private Mono<String> queueNotice(QueuedMessage m, NoticeKind kind, List<RecipientResult> about, String from,
            String to, boolean postmasterCopy) {
        List<NoticeRecipient> rcpts = about.stream().map(NoticeRecipient::of).toList();
        return readAll(m.content()).flatMap(original -> {
            Instant now = clock.instant();
            byte[] text = DeliveryStatusNotice.write(new DeliveryStatusNotice.Request(kind, myHostname, m.queueId(),
                    to, m.envId(), m.ret(), m.arrival(), rcpts, original, now,
                    m.queueId() + "." + noticeIds.incrementAndGet(), postmasterCopy));
            // bounce(8): a notice keeps the original's SMTPUTF8 request; the bounce class may autodetect it
            return queueLocal(from, to, text, now, Smtputf8Settings.Source.BOUNCE, m.smtputf8());
        });
    }

    /**
     * Queues mail the relay wrote itself (a notice, a transcript) durably, like any accepted
     * message, and submits it; gives its queue id. It has no client: XFORWARD counts it as local.
     */
    private Mono<String> queueLocal(String from, String to, byte[] text, Instant now, Smtputf8Settings.Source source,
            boolean smtputf8Declared) {
        String id = noticeSink.newQueueId();
        boolean utf8 = smtputf8.requested(source, smtputf8Declared, from, List.of(to), Smtputf8Settings.headersUtf8(text));
        ReceivedMessage m = new ReceivedMessage(id, from, List.of(new ReceivedMessage.Recipient(to, java.util.Set.of(), "")),
                hasEightBit(text) ? BodyType.EIGHT_BIT : BodyType.SEVEN_BIT, utf8, "", Ret.NONE, text,
                new ReceivedMessage.Client("", myHostname, false, ""), now);
        return noticeSink.accept(m).then(Mono.fromRunnable(() -> submit(noticeQueued(m)))).thenReturn(id);
    }

    /**
     * LOG-9: the postmaster's copy of a troubled session, queued like any notice, from the
     * double-bounce sender so that it can never come back as another notice.
     */
    private Mono<Void> postTranscript(io.postilion.engine.delivery.PostmasterTranscript t) {
        Instant now = clock.instant();
        String to = notices.qualified(t.recipient());
        byte[] text = io.postilion.engine.notice.TranscriptNotice.write(myHostname, to, t.subject(false), t.server(),
                t.lines(), now, t.queueId() + ".t" + noticeIds.incrementAndGet());
        // smtp(8)'s transcript is posted with no SMTPUTF8 request of its own; the notify class may autodetect one
        return queueLocal(notices.doubleBounceSender(), to, text, now, Smtputf8Settings.Source.NOTIFY, false)
                .doOnNext(id -> log.info("{}: postmaster transcript of the session with {}: {}", t.queueId(), t.server(), id))
                .then()
                .onErrorResume(e -> {
                    log.warn("{}: cannot queue the postmaster transcript: {}", t.queueId(), e.toString());
                    return Mono.empty();
                });
    }

    /** A message as the listener (or a notice writer) handed it to the sink, ready to deliver. */
    public static QueuedMessage fromReceived(ReceivedMessage r) {
        return QueuedMessage.of(r, new BitSet(), ContentSource.of(r.content()));
    }

    private QueuedMessage noticeQueued(ReceivedMessage notice) {
        return noticeSink instanceof RelayQueue q ? q.queued(notice) : fromReceived(notice);
    }

    private static Mono<byte[]> readAll(ContentSource content) {
        return content.open(UnpooledByteBufAllocator.DEFAULT)
                .collect(ByteArrayOutputStream::new, (out, buf) -> {
                    try {
                        byte[] b = new byte[buf.readableBytes()];
                        buf.readBytes(b);
                        out.writeBytes(b);
                    } finally {
                        buf.release();
                    }
                })
                .map(ByteArrayOutputStream::toByteArray)
                .subscribeOn(Schedulers.boundedElastic());
    }

    private static boolean hasEightBit(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return true;
            }
        }
        return false;
    }

    /** Stops at once: deliveries still running are cut off, and their mail stays queued as it is. */
    @Override
    public void close() {
        stopping = true;
        sources.values().forEach(Sinks.Many::tryEmitComplete);
        running.dispose();
        timers.values().forEach(Disposable::dispose);
        timers.clear();
        // The schedulers' loops may still hand over a signal or two while they learn of the
        // cancellation; the queue manager's thread goes a moment later, so none is refused.
        Schedulers.parallel().schedule(qmgr::dispose, 1, java.util.concurrent.TimeUnit.SECONDS);
        if (!delivering.isEmpty()) {
            log.info("cut off {} deliver{} in progress; the mail stays queued for the next start", delivering.size(),
                    delivering.size() == 1 ? "y" : "ies");
        }
        drained.tryEmitEmpty();
        synchronized (events) {
            events.tryEmitComplete(); // subscribers of results() learn that no more will come
        }
    }

    /**
     * One message's attempt: what is still outstanding and what came back. Reports of its batches
     * may be recorded at the same time, so everything here is concurrent; whoever brings the
     * outstanding count to zero finishes the attempt, once.
     */
    private static final class InFlight {
        final QueuedMessage message;
        final java.util.Set<Integer> done = ConcurrentHashMap.newKeySet();
        /** Queue indexes handed to the agents and not yet reported on. */
        private final java.util.BitSet open = new java.util.BitSet();
        final java.util.Queue<RecipientResult> deferred = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final java.util.Queue<RecipientResult> bounced = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final java.util.Queue<RecipientResult> succeeded = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final List<RecipientResult> unroutable = new ArrayList<>();
        final AtomicInteger outstanding = new AtomicInteger();
        /** Sent results whose record was begun on the delivering thread (see recordAtOnce), by queue index. */
        final Map<Integer, Mono<Void>> written = new ConcurrentHashMap<>();
        /** The timings of the report that decided each recipient, by queue index, for its event. */
        final Map<Integer, DeliveryReport.Timings> timings = new ConcurrentHashMap<>();

        InFlight(QueuedMessage message) {
            this.message = message;
            message.done().stream().forEach(done::add);
        }

        /** {@code index} is handed out in this attempt: exactly one result is due for it. */
        synchronized void open(int index) {
            open.set(index);
        }

        /** A result arrived for {@code index}: true when it was open, and now is not. */
        synchronized boolean claim(int index) {
            if (index < 0 || !open.get(index)) {
                return false;
            }
            open.clear(index);
            return true;
        }

        synchronized List<Integer> stillOpen() {
            return open.stream().boxed().toList();
        }
    }
}
