package io.postilion.engine.relay;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.postilion.engine.agent.DeliveryAgent;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.listener.ListenerConfiguration;
import io.postilion.engine.listener.ListenerSettings;
import io.postilion.engine.listener.MessageSink;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.listener.SmtpListener;
import io.postilion.engine.metrics.MetricsEndpoint;
import io.postilion.engine.scheduler.DeliveryScheduler;
import io.postilion.engine.scheduler.SchedulerSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRoutes;
import reactor.core.scheduler.Schedulers;

/**
 * The relay service assembled: the SMTP listener hands messages to the durable queue, which
 * answers 250 once they are safe; the queue manager delivers them through one scheduler and agent
 * per transport; /metrics shows it all. {@link #start} recovers what an earlier run left before
 * it accepts anything new; {@link #stop} closes the listener, lets deliveries in progress finish
 * within shutdown_grace_time and leaves the rest queued for the next start.
 */
public final class Relay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final RelayQueue queue;
    private final QueueManager qmgr;
    private final SmtpListener listener;
    private final MetricsEndpoint metrics;
    private final DeliveryAgent smtp;
    private final DeliveryAgent lmtp;
    private final Duration graceTime;
    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();

    private Relay(RelayQueue queue, QueueManager qmgr, SmtpListener listener, MetricsEndpoint metrics,
            DeliveryAgent smtp, DeliveryAgent lmtp, Duration graceTime) {
        this.queue = queue;
        this.qmgr = qmgr;
        this.listener = listener;
        this.metrics = metrics;
        this.smtp = smtp;
        this.lmtp = lmtp;
        this.graceTime = graceTime;
    }

    /**
     * Starts every part; blocks the calling thread (the command line's main thread) until the
     * ports are bound and recovery has been handed to the queue manager.
     */
    public static Relay start(Configuration cfg, RelayQueue queue, Clock clock) {
        Objects.requireNonNull(queue, "queue");
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        DeliveryAgent smtp = DeliveryAgent.builder(cfg).clock(clock).meterRegistry(registry).build();
        DeliveryAgent lmtp = DeliveryAgent.builder(cfg).lmtp().clock(clock).meterRegistry(registry).build();
        Map<String, DeliveryScheduler> schedulers = Map.of(
                "smtp", new DeliveryScheduler(SchedulerSettings.fromConfiguration(cfg.forSmtp()), smtp),
                "lmtp", new DeliveryScheduler(SchedulerSettings.fromConfiguration(cfg.forLmtp()), lmtp));
        String hostname = cfg.string("myhostname");
        QueueManager qmgr = new QueueManager(queue, Routing.from(cfg), RetryPolicy.from(cfg), schedulers, queue,
                NoticePolicy.from(cfg), hostname, clock, Schedulers.parallel()).start();

        int recovered = queue.recover().doOnNext(qmgr::submit).count().block(Duration.ofMinutes(5)).intValue();
        if (recovered > 0) {
            log.info("recovered {} queued message(s) from the spool", recovered);
        }

        Counter accepted = Counter.builder("postilion_messages_accepted_total")
                .description("messages accepted by the listener and made durable").register(registry);
        MessageSink sink = new MessageSink() {
            @Override
            public String newQueueId() {
                return queue.newQueueId();
            }

            @Override
            public Mono<Void> accept(ReceivedMessage message) {
                return queue.accept(message).then(Mono.fromRunnable(() -> {
                    accepted.increment();
                    qmgr.submit(queue.queued(message));
                }));
            }
        };
        ListenerSettings ls = ListenerConfiguration.settings(cfg);
        SmtpListener listener = SmtpListener.start(ls, sink, clock).block(Duration.ofSeconds(30));
        Gauge.builder("postilion_listener_sessions", listener, SmtpListener::sessions)
                .description("SMTP sessions open on the listener").register(registry);
        Gauge.builder("postilion_queue_in_flight", qmgr, QueueManager::inFlight)
                .description("messages being delivered or waiting for a retry").register(registry);
        for (String state : queue.counts().keySet()) {
            Gauge.builder("postilion_queue_messages", queue, q -> q.counts().getOrDefault(state, 0))
                    .tag("state", state).description("messages in the spool by state").register(registry);
        }
        MetricsEndpoint metrics = MetricsEndpoint.start(ListenerConfiguration.address("metrics_listen", cfg.string("metrics_listen")), registry,
                routes -> adminRoutes(routes, queue, qmgr)).block(Duration.ofSeconds(30));
        log.info("relay listening on {} (SMTP) and {} (metrics)", listener.address(), metrics.port());
        return new Relay(queue, qmgr, listener, metrics, smtp, lmtp, cfg.time("shutdown_grace_time"));
    }

    /**
     * The queue commands' API (CLARIFICATIONS 15), on the metrics listener, loopback by default:
     * GET /queue lists, POST /queue/flush retries deferred mail now, DELETE /queue/ID or
     * DELETE /queue (every message, in whatever state) removes.
     */
    private static void adminRoutes(HttpServerRoutes routes, RelayQueue queue, QueueManager qmgr) {
        routes.get("/queue", (req, res) -> res.header("Content-Type", "text/plain; charset=utf-8")
                .sendString(queue.list().map(entries -> {
                    StringBuilder sb = new StringBuilder();
                    entries.forEach(e -> sb.append(e.format()));
                    sb.append("-- ").append(entries.size()).append(" message(s) in the queue\n");
                    return sb.toString();
                })));
        routes.post("/queue/flush", (req, res) -> res.sendString(Mono.fromSupplier(
                () -> "flushed " + qmgr.flush() + " deferred message(s)\n")));
        routes.delete("/queue/{id}", (req, res) -> {
            String id = req.param("id");
            return qmgr.delete(id).flatMap(ok -> ok
                    ? res.sendString(Mono.just("deleted " + id + "\n")).then()
                    : res.status(404).sendString(Mono.just(id + ": not in this queue\n")).then());
        });
        routes.delete("/queue", (req, res) -> res.sendString(queue.list()
                .flatMapMany(reactor.core.publisher.Flux::fromIterable)
                .concatMap(e -> qmgr.delete(e.queueId())).filter(Boolean::booleanValue).count()
                .map(n -> "deleted " + n + " message(s)\n")));
    }

    public int smtpPort() {
        return listener.port();
    }

    public int metricsPort() {
        return metrics.port();
    }

    /** Stops gracefully within shutdown_grace_time; see {@link #stop(Duration)}. */
    public void stop() {
        stop(graceTime);
    }

    /**
     * Stops gracefully, blocking the calling thread (the shutdown hook's, or a test's): the
     * listener closes first, so new connections are refused; nothing new is delivered; deliveries
     * in progress get up to {@code grace} to finish and have their results recorded. Whatever
     * still runs then is cut off: its queue file is left as it is, so the next start delivers it
     * again, except to the recipients already recorded as sent or returned. Stopping twice does
     * nothing the second time.
     */
    public void stop(Duration grace) {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        listener.close();
        int busy = qmgr.delivering();
        if (busy > 0) {
            log.info("stopping: waiting up to {}s for {} deliver{} in progress", grace.toSeconds(), busy,
                    busy == 1 ? "y" : "ies");
        }
        try {
            qmgr.drain().timeout(grace, Mono.fromRunnable(() -> log.warn(
                    "stopping: shutdown_grace_time ({}s) is up with {} deliver{} still in progress; cutting off",
                    grace.toSeconds(), qmgr.delivering(), qmgr.delivering() == 1 ? "y" : "ies")))
                    .block();
        } finally {
            qmgr.close();
            smtp.close();
            lmtp.close();
            metrics.close();
            queue.close();
        }
        log.info("relay stopped");
    }

    /** The same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }
}
