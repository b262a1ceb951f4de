package io.postilion.engine.scheduler;

import io.postilion.engine.agent.CacheHint;
import io.postilion.engine.agent.DeliveryLog;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.VerdictSource;
import io.postilion.engine.scheduler.DestinationQueue.Batch;
import io.postilion.engine.scheduler.DestinationQueue.Origin;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.concurrent.Queues;

/**
 * One subscription's schedule: the destination queues, the round-robin ring, the counters that
 * bound memory, and the loop that moves work along. Every event (a request from the source, a
 * finished delivery, demand from downstream, a timer) is queued and run by a single drain loop
 * (work-in-progress counter, no lock), so the state below is only ever touched by one thread at a
 * time and never waits.
 */
final class SchedulerRun {

    private static final Logger log = LoggerFactory.getLogger(SchedulerRun.class);
    private static final String SUSPENDED = "delivery temporarily suspended: ";

    private final SchedulerSettings settings;
    private final io.postilion.engine.maillog.InfoLogFormat logFormat;
    private final BiFunction<DeliveryRequest, CacheHint, Mono<DeliveryReport>> deliver;
    private final Clock clock;
    private final Scheduler timer;
    private final FluxSink<DeliveryReport> sink;
    private final RecipientBatcher batcher;
    /** Shared limits, or null for the local ones: then a delivery starts without asking. */
    private final DestinationLimits limits;

    private final Queue<Runnable> events = Queues.<Runnable>unboundedMultiproducer().get();
    private final AtomicInteger wip = new AtomicInteger();

    // ---- state of the loop (touched only inside drain) ----
    private final Map<String, DestinationQueue> queues = new HashMap<>();
    private final ArrayDeque<DestinationQueue> ring = new ArrayDeque<>();
    private final ArrayDeque<DeliveryRequest> intake = new ArrayDeque<>();
    private final Disposable.Composite running = Disposables.composite();
    private final Source source = new Source();
    private boolean subscribed;
    /** Asked of the source and not yet received. */
    private long outstanding;
    /** Received from the source and not yet reported in full. */
    private int held;
    /** Deliveries in progress (one session each). */
    private int inFlight;
    /** Destinations currently dead. */
    private int deadQueues;
    private boolean sourceDone;
    private Throwable sourceError;
    private boolean over;

    /** The loop's own thread. */
    private final Scheduler.Worker loop;

    SchedulerRun(SchedulerSettings settings, BiFunction<DeliveryRequest, CacheHint, Mono<DeliveryReport>> deliver,
            Clock clock, Scheduler timer, Scheduler.Worker loop, FluxSink<DeliveryReport> sink,
            io.postilion.engine.maillog.InfoLogFormat logFormat) {
        this.logFormat = logFormat;
        this.loop = loop;
        this.settings = settings;
        this.deliver = deliver;
        this.clock = clock;
        this.timer = timer;
        this.sink = sink;
        this.batcher = new RecipientBatcher(settings.recipientLimit());
        this.limits = settings.limits().isLocal() ? null : settings.limits();
    }

    void start(Publisher<? extends DeliveryRequest> requests) {
        sink.onRequest(n -> signal(null));
        sink.onCancel(() -> signal(this::cancel));
        requests.subscribe(source);
    }

    // ------------------------------------------------------------ the loop

    /**
     * Every event becomes a step of the loop, and the loop runs on the scheduler's own thread, never
     * on the thread that signalled (an event loop finishing a delivery, the queue manager's thread):
     * each thread pool has one owner.
     */
    private void signal(Runnable event) {
        if (event != null) {
            events.offer(event);
        }
        if (wip.getAndIncrement() != 0) {
            return;
        }
        try {
            loop.schedule(this::drain);
        } catch (java.util.concurrent.RejectedExecutionException disposed) {
            drain(); // shutting down: the last events still run
        }
    }

    private void drain() {
        int missed = 1;
        do {
            Runnable e;
            while ((e = events.poll()) != null) {
                if (!over || e instanceof Granted) {
                    e.run(); // a lease granted after the end must still be given back
                }
            }
            if (!over) {
                step();
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void step() {
        takeIntake();
        startWork();
        askSource();
        if (sourceDone && held == 0 && inFlight == 0) {
            over = true;
            queues.values().forEach(DestinationQueue::cancelTimer);
            if (sourceError != null) {
                sink.error(sourceError);
            } else {
                sink.complete();
            }
        }
    }

    /** Moves received requests into their queues, in source order, until one meets a full queue. */
    private void takeIntake() {
        while (!intake.isEmpty()) {
            List<DeliveryRequest> batches = batcher.split(intake.peek());
            DestinationQueue first = queue(batcher.queueName(batches.get(0)));
            if (first.waiting() >= settings.destinationQueueLimit()) {
                return; // the source stays paused until this destination has room
            }
            intake.poll();
            Origin origin = new Origin(batches.size());
            for (DeliveryRequest b : batches) {
                DestinationQueue q = queue(batcher.queueName(b));
                q.add(new Batch(b, origin));
                offer(q);
            }
        }
    }

    /** Starts deliveries and deferrals round-robin, one per destination per turn, while there is demand. */
    private void startWork() {
        boolean progress = true;
        while (progress && demand() > 0 && !ring.isEmpty()) {
            if (inFlight >= settings.processLimit() && deadQueues == 0) {
                return;
            }
            progress = false;
            for (int i = ring.size(); i > 0 && demand() > 0; i--) {
                if (inFlight >= settings.processLimit() && deadQueues == 0) {
                    return; // the queues keep their turns for the next free session
                }
                DestinationQueue q = ring.poll();
                q.inRing = false;
                if (q.dead()) {
                    Batch b = q.takeForDeferral();
                    if (b != null) {
                        DeliveryReport r = deferral(q, b.request);
                        reported(b, r);
                        progress = true;
                    }
                } else if (q.runnable() && inFlight < settings.processLimit()) {
                    if (limits == null) {
                        deliver(q, q.start(clock.millis()), null);
                    } else {
                        ask(q);
                    }
                    progress = true;
                }
                offer(q);
                forgetIfIdle(q);
            }
        }
    }

    private long demand() {
        return sink.requestedFromDownstream() - inFlight;
    }

    /**
     * Asks the shared limits for a slot on behalf of the next waiting batch. The ask counts as a
     * session in progress (for the process limit and demand) and as busy for the destination's
     * window until it is answered, so a destination never has more asks out than room.
     */
    private void ask(DestinationQueue q) {
        q.asking();
        inFlight++;
        Mono<DestinationLimits.Lease> asked;
        try {
            asked = limits.acquire(q.name);
        } catch (RuntimeException e) {
            asked = Mono.error(e);
        }
        asked.subscribe(new Granted(q));
    }

    /**
     * The answer to one ask, brought back into the loop as an event. A lease that arrives after the
     * schedule was cancelled, or for a destination that no longer has mail for it (deferred while
     * dead), is released at once.
     */
    private final class Granted extends BaseSubscriber<DestinationLimits.Lease> implements Runnable {
        private final DestinationQueue q;
        private DestinationLimits.Lease lease;
        private boolean answered;

        Granted(DestinationQueue q) {
            this.q = q;
        }

        @Override
        protected void hookOnNext(DestinationLimits.Lease l) {
            lease = l;
            answered = true;
            signal(this);
        }

        @Override
        protected void hookOnComplete() {
            if (!answered) {
                answered = true;
                signal(this);
            }
        }

        @Override
        protected void hookOnError(Throwable e) {
            log.warn("destination {}: shared limits failed, waiting {}: {}", q.name, limits.retryDelay(), e.toString());
            if (!answered) {
                answered = true;
                signal(this);
            }
        }

        @Override
        public void run() {
            if (over) {
                if (lease != null) {
                    lease.release();
                }
                return;
            }
            inFlight--;
            q.answered(lease == null);
            if (lease == null) {
                Disposable[] self = new Disposable[1];
                Disposable t = Mono.delay(limits.retryDelay(), timer).subscribe(x -> signal(() -> {
                    running.remove(self[0]);
                    q.mayAskAgain();
                    offer(q);
                    forgetIfIdle(q);
                }));
                self[0] = t;
                running.add(t);
            } else if (q.dead() || q.waiting() == 0) { // its mail was deferred while asking
                lease.release();
            } else {
                deliver(q, q.start(clock.millis()), lease);
            }
            offer(q);
            forgetIfIdle(q);
        }
    }

    /**
     * Starts one delivery; a shared lease, if any, is released exactly once when it ends, however.
     * A delivery under a lease keeps no connection beyond itself ({@link CacheHint#NEVER}): its
     * slot at the destination is free again when the lease is.
     */
    private void deliver(DestinationQueue q, Batch b, DestinationLimits.Lease lease) {
        inFlight++;
        if (settings.rateDelayed()) {
            pace(q);
        }
        Disposable[] self = new Disposable[1];
        CacheHint hint = lease != null ? CacheHint.NEVER : b.hint;
        Mono<DeliveryReport> delivery = Mono.defer(() -> deliver.apply(b.request, hint));
        if (lease != null) {
            delivery = delivery.doFinally(signal -> lease.release());
        }
        Disposable d = delivery
                .map(r -> new Ended(r, false))
                .switchIfEmpty(Mono.fromSupplier(() -> crashed(b, null)))
                .onErrorResume(e -> Mono.just(crashed(b, e)))
                .subscribe(ended -> signal(() -> ended(q, b, ended, self[0]))); // runs after self[0] is set: inside this loop
        self[0] = d;
        running.add(d);
    }

    /**
     * *_destination_rate_delay: the destination starts nothing more until the delay has passed
     * since this start. A timer of the run's own ends the wait (an event of the loop, like every
     * other); nothing sleeps. With the window at 1 the next start also waits for this delivery to
     * end, so starts are at least the delay apart and never overlap.
     */
    private void pace(DestinationQueue q) {
        Disposable[] self = new Disposable[1];
        Disposable t = Mono.delay(settings.destinationRateDelay(), timer)
                .subscribe(x -> signal(() -> paceEnded(q, self[0]))); // runs in the loop, after self[0] is set
        self[0] = t;
        q.pacedBy(t);
    }

    private void paceEnded(DestinationQueue q, Disposable t) {
        if (!q.pacedOnlyBy(t)) {
            return; // the run ended and the timer with it
        }
        q.paceOver();
        offer(q);
        forgetIfIdle(q);
    }

    /** What a delivery came back with; {@code crashed} when the function broke its contract. */
    private record Ended(DeliveryReport report, boolean crashed) {
    }

    private Ended crashed(Batch b, Throwable e) {
        log.warn("{}: delivery failed unexpectedly: {}", b.request.queueId(), e == null ? "no report" : e.toString());
        return new Ended(everyoneDeferred(b.request, DsnStatus.of(4, 3, 0), "unknown mail transport error"), true);
    }

    private void ended(DestinationQueue q, Batch b, Ended ended, Disposable d) {
        inFlight--;
        if (d != null) {
            running.remove(d);
        }
        DeliveryReport r = ended.report();
        if (!ended.crashed()) {
            feedback(q, r);
        }
        q.finished(clock.millis());
        reported(b, r);
        offer(q);
        forgetIfIdle(q);
    }

    /** qmgr(8): site trouble is negative feedback and may kill the destination; anything else is positive. */
    private void feedback(DestinationQueue q, DeliveryReport r) {
        ConcurrencyWindow w = q.window();
        if (r.throttle()) {
            if (w.failure()) {
                dead(q, r);
            }
        } else {
            boolean wasDead = w.dead();
            w.success(q.busy());
            if (wasDead && !w.dead()) {
                q.revived();
                deadQueues--;
                log.info("destination {}: delivery resumed", q.name);
            }
        }
        if (log.isDebugEnabled()) {
            log.debug("destination {}: busy {} {}", q.name, q.busy(), w);
        }
    }

    private void dead(DestinationQueue q, DeliveryReport r) {
        DsnStatus status = DsnStatus.of(4, 4, 1);
        String reason = "delivery failed";
        for (RecipientResult x : r.results()) {
            if (x.outcome().staysQueued()) {
                status = x.status();
                reason = x.reason();
                break;
            }
        }
        if (!reason.startsWith(SUSPENDED)) {
            reason = SUSPENDED + reason;
        }
        Disposable t = Mono.delay(settings.deadDestinationDelay(), timer).subscribe(x -> signal(() -> timerEnded(q)));
        q.markDead(status, reason, t);
        deadQueues++;
        log.info("destination {}: dead for {} ({})", q.name, settings.deadDestinationDelay(), reason);
    }

    private void timerEnded(DestinationQueue q) {
        if (!q.dead()) {
            return;
        }
        q.window().revive(q.busy());
        q.revived();
        deadQueues--;
        offer(q);
        forgetIfIdle(q);
    }

    private void reported(Batch b, DeliveryReport r) {
        sink.next(r);
        if (--b.origin.batchesLeft == 0) {
            held--;
        }
    }

    private DeliveryReport deferral(DestinationQueue q, DeliveryRequest request) {
        DeliveryReport r = everyoneDeferred(request, q.deadStatus(), q.deadReason());
        DeliveryLog.write(r, "qmgr", logFormat); // a dead destination's deferral is the queue manager's, as in Postfix
        return r;
    }

    private DeliveryReport everyoneDeferred(DeliveryRequest request, DsnStatus status, String reason) {
        Instant now = clock.instant();
        List<RecipientResult> results = new ArrayList<>(request.recipients().size());
        for (var rcpt : request.recipients()) {
            results.add(RecipientResult.local(rcpt, Outcome.DEFERRED, status, VerdictSource.LOCAL, reason));
        }
        DeliveryReport.Timings t = new DeliveryReport.Timings(Duration.between(request.arrival(), now),
                Duration.between(request.arrival(), request.active()), Duration.between(request.active(), now),
                Duration.ZERO, Duration.ZERO);
        return new DeliveryReport(request.queueId(), results, false, t);
    }

    /** Asks the source for more while the held requests stay under the active limit. */
    private void askSource() {
        if (!subscribed || sourceDone || !intake.isEmpty()) {
            return;
        }
        long room = settings.activeLimit() - held - outstanding;
        long want = Math.min(room, settings.sourcePrefetch() - outstanding);
        long worth = Math.max(1, Math.min(settings.sourcePrefetch(), settings.activeLimit()) / 4);
        if (want >= worth || want > 0 && held == 0 && outstanding == 0) {
            outstanding += want;
            source.request(want);
        }
    }

    private DestinationQueue queue(String name) {
        return queues.computeIfAbsent(name, n -> new DestinationQueue(n, new ConcurrencyWindow(
                settings.effectiveConcurrencyLimit(), settings.initialDestinationConcurrency(),
                settings.positiveFeedback(), settings.negativeFeedback(), settings.failedCohortLimit())));
    }

    private void offer(DestinationQueue q) {
        if (!q.inRing && q.runnable()) {
            q.inRing = true;
            ring.add(q);
        }
    }

    /** qmgr(8) forgets an empty, healthy queue, window and all; the next mail starts afresh. */
    private void forgetIfIdle(DestinationQueue q) {
        if (q.idle() && !q.inRing && queues.get(q.name) == q) {
            queues.remove(q.name);
        }
    }

    private void cancel() {
        over = true;
        loop.dispose();
        source.cancel();
        running.dispose();
        queues.values().forEach(DestinationQueue::cancelTimer);
        queues.clear();
        ring.clear();
        intake.clear();
    }

    /** The subscription to the source; each signal becomes an event for the loop. */
    private final class Source extends BaseSubscriber<DeliveryRequest> {
        @Override
        protected void hookOnSubscribe(Subscription s) {
            signal(() -> subscribed = true);
        }

        @Override
        protected void hookOnNext(DeliveryRequest r) {
            signal(() -> {
                outstanding--;
                held++;
                intake.add(r);
            });
        }

        @Override
        protected void hookOnComplete() {
            signal(() -> sourceDone = true);
        }

        @Override
        protected void hookOnError(Throwable e) {
            signal(() -> {
                sourceDone = true;
                sourceError = e;
            });
        }
    }
}
