package io.postilion.engine.scheduler;

import io.postilion.engine.agent.CacheHint;
import io.postilion.engine.agent.DeliveryAgent;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import java.time.Clock;
import io.postilion.engine.maillog.InfoLogFormat;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue manager in front of the delivery agent (Postfix's qmgr(8) feeding smtp(8)): takes a
 * stream of delivery requests, one next-hop each, and returns a stream of delivery reports, one
 * per recipient batch, in the order deliveries end.
 *
 * <ul>
 * <li>A request with more recipients than {@code smtp_destination_recipient_limit} is delivered in
 *     batches; each batch gets its own report (same queue id, its share of the recipients).</li>
 * <li>Each destination has a concurrency window (initial 5, slow start up to the limit, feedback
 *     from how deliveries end); all destinations together stay under {@code default_process_limit}
 *     deliveries. Destinations take turns, so a slow one holds no more than its window.</li>
 * <li>With {@code smtp_destination_rate_delay} set, a destination's deliveries start at least the
 *     delay apart, one at a time (qmgr(8) caps a paced destination's concurrency at 1); the wait
 *     is a timer of the scheduler's own, so nothing sleeps and other destinations go on.</li>
 * <li>A destination whose deliveries keep failing at the site (the agent's throttle signal,
 *     REPLY-12) is dead after the failed cohort limit: its waiting mail, and mail arriving for it,
 *     is reported deferred at once with the agent's status and "delivery temporarily suspended:
 *     REASON", without a connection, until {@link SchedulerSettings#deadDestinationDelay()} has
 *     passed or a delivery still in progress ends well. Retrying deferred mail is the caller's (the
 *     spool's) business, as in Postfix.</li>
 * <li>Backpressure reaches the source: it is asked for more only while fewer than
 *     {@link SchedulerSettings#activeLimit()} of its requests are held, no delivery starts without
 *     demand for its report, and a request for a destination with a full queue pauses the source.</li>
 * <li>An error from the source is passed on after the reports of everything already taken;
 *     cancelling the reports cancels the source and the deliveries in progress.</li>
 * </ul>
 *
 * <p>Nothing blocks and no lock is taken: all scheduling state is touched by one serialized loop,
 * run by whichever thread brings an event (a new request, a finished delivery, more demand).
 */
public final class DeliveryScheduler {

    private static final Logger log = LoggerFactory.getLogger(DeliveryScheduler.class);

    private final SchedulerSettings settings;
    private final BiFunction<DeliveryRequest, CacheHint, Mono<DeliveryReport>> deliver;
    private final Clock clock;
    private final Scheduler timer;
    /** How the queue manager's deferral lines for dead destinations show addresses and times. */
    private final InfoLogFormat logFormat;

    /** Schedules deliveries through an agent; the deferrals it logs itself look like the agent's lines. */
    public DeliveryScheduler(SchedulerSettings settings, DeliveryAgent agent) {
        this(settings, agent::deliver, Clock.systemUTC(), Schedulers.parallel(), agent.logFormat());
    }

    /** As the five-argument form, logging with Postfix's default format. */
    public DeliveryScheduler(SchedulerSettings settings,
            BiFunction<DeliveryRequest, CacheHint, Mono<DeliveryReport>> deliver, Clock clock, Scheduler timer) {
        this(settings, deliver, clock, timer, InfoLogFormat.DEFAULTS);
    }

    /**
     * Schedules deliveries through any function with the agent's contract: one report per request,
     * never an error for a delivery problem.
     *
     * @param timer where dead destinations' revival timers and rate delays run
     * @param logFormat info_log_address_format and delay_logging_resolution_limit for the lines it writes
     */
    public DeliveryScheduler(SchedulerSettings settings,
            BiFunction<DeliveryRequest, CacheHint, Mono<DeliveryReport>> deliver, Clock clock, Scheduler timer,
            InfoLogFormat logFormat) {
        this.logFormat = Objects.requireNonNull(logFormat, "logFormat");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.deliver = Objects.requireNonNull(deliver, "deliver");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timer = Objects.requireNonNull(timer, "timer");
    }

    /**
     * The schedulers' own thread: every schedule's loop runs here, one at a time per schedule, so
     * deliveries are planned off the event loops and off the queue manager's thread.
     */
    private static final Scheduler LOOPS = Schedulers.newSingle("postilion-scheduler", true);

    public SchedulerSettings settings() {
        return settings;
    }

    /**
     * Delivers every request of {@code requests}. Cold: each subscription runs its own schedule
     * (its own destination queues and windows) over its own subscription to the source.
     */
    public Flux<DeliveryReport> schedule(Publisher<? extends DeliveryRequest> requests) {
        return schedule(requests, report -> { });
    }

    /**
     * As {@link #schedule(Publisher)}, telling {@code delivered} of each report on the thread that
     * completed the delivery, before the report waits for the scheduler's loop and its subscriber.
     * The queue manager records final results there, as Postfix's smtp(8) updates the queue file
     * the moment a server accepts: every thread hop between a server's 250 and the record is a
     * window in which a crash makes the next start send the message again. {@code delivered}
     * must not block (it may run on an event loop) and should not throw; if it does, the report
     * still goes on.
     */
    public Flux<DeliveryReport> schedule(Publisher<? extends DeliveryRequest> requests, Consumer<DeliveryReport> delivered) {
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(delivered, "delivered");
        BiFunction<DeliveryRequest, CacheHint, Mono<DeliveryReport>> told = (request, hint) ->
                deliver.apply(request, hint).doOnNext(report -> {
                    try {
                        delivered.accept(report);
                    } catch (RuntimeException e) {
                        log.error("{}: the delivery listener failed: {}", report.queueId(), e.toString(), e);
                    }
                });
        return Flux.create(sink -> new SchedulerRun(settings, told, clock, timer, LOOPS.createWorker(), sink, logFormat).start(requests),
                FluxSink.OverflowStrategy.BUFFER);
    }
}
