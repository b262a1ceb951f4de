package io.postilion.engine.relay;

import io.postilion.engine.maillog.MailLog;
import io.postilion.engine.maillog.MessageIds;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.postilion.engine.admin.AdminEndpoint;
import io.postilion.engine.admin.QueueAdministration;
import io.postilion.engine.agent.DeliveryAgent;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.listener.SmtpListener;
import io.postilion.engine.metrics.MetricsEndpoint;
import io.postilion.engine.scheduler.DeliveryScheduler;
import io.postilion.engine.scheduler.SchedulerSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * The relay service assembled: the SMTP listener hands messages to the durable queue, which
 * answers 250 once they are safe; the queue manager delivers them through one scheduler and agent
 * per transport; /metrics shows it all, and the admin endpoint (admin.sock in queue_directory)
 * serves the queue commands. {@link #start} binds every listener, then recovers what an earlier
 * run left before it takes anything new into the spool; {@link #stop} closes the listener, lets deliveries in progress finish
 * within shutdown_grace_time and leaves the rest queued for the next start.
 */
public final class Relay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Relay.class);
    private static final Duration BIND_WAIT = Duration.ofSeconds(30);

    private final RelayQueue queue;
    private final QueueManager qmgr;
    private final SmtpListener listener;
    private final MetricsEndpoint metrics;
    private final AdminEndpoint admin;
    private final DeliveryAgent smtp;
    private final DeliveryAgent lmtp;
    private final Duration graceTime;
    private final java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
    private final RelayIngress ingress;
    /** The extensions started on this relay (the fleet), in start order. */
    private final List<RelayExtension.Running> extensions = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Relay(RelayQueue queue, QueueManager qmgr, SmtpListener listener, MetricsEndpoint metrics,
            AdminEndpoint admin, DeliveryAgent smtp, DeliveryAgent lmtp, Duration graceTime, RelayIngress ingress) {
        this.ingress = ingress;
        this.admin = admin;
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
     * ports are bound and recovery has been handed to the queue manager. The relay owns
     * {@code queue} from here on: it is closed when the relay stops, or when it cannot start.
     *
     * @throws io.postilion.engine.config.ConfigurationException (78) for a value that cannot be used
     * @throws ListenerBindException (71) when a listener cannot be bound; nothing is left bound
     */
    public static Relay start(Configuration cfg, RelayQueue queue, Clock clock) {
        RelaySettings settings;
        try {
            settings = RelaySettings.from(cfg);
        } catch (RuntimeException e) {
            queue.close();
            throw e;
        }
        return start(settings, queue, clock);
    }

    /**
     * As {@link #start(Configuration, RelayQueue, Clock)} with the configuration already checked.
     * Order (CLARIFICATIONS 40): the admin socket and the listeners are bound first, then the
     * spool is recovered; the listener holds messages it receives meanwhile until recovery has
     * listed the spool, so none is delivered twice.
     */
    public static Relay start(RelaySettings settings, RelayQueue queue, Clock clock) {
        Relay relay = startParts(settings, queue, clock);
        startExtensions(relay, settings); // on a started relay, which stops again if one fails
        return relay;
    }

    /** Everything but the extensions; a failure closes whatever was opened, and the queue. */
    private static Relay startParts(RelaySettings settings, RelayQueue queue, Clock clock) {
        Objects.requireNonNull(queue, "queue");
        Configuration cfg = settings.cfg();
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
            DeliveryAgent smtp = DeliveryAgent.builder(cfg).clock(clock).meterRegistry(registry).build();
            opened.add(smtp::close);
            DeliveryAgent lmtp = DeliveryAgent.builder(cfg).lmtp().clock(clock).meterRegistry(registry).build();
            opened.add(lmtp::close);
            Map<String, DeliveryScheduler> schedulers = Map.of(
                    "smtp", new DeliveryScheduler(settings.smtpScheduler(), smtp),
                    "lmtp", new DeliveryScheduler(settings.lmtpScheduler(), lmtp));
            QueueManager qmgr = new QueueManager(queue, settings.routing(), settings.retry(), schedulers, queue,
                    settings.notices(), cfg.string("myhostname"), clock, Schedulers.parallel())
                    .activeLimit(cfg.integer("qmgr_message_active_limit"))
                    .logFormat(io.postilion.engine.maillog.InfoLogFormat.from(cfg))
                    .smtputf8(io.postilion.engine.config.Smtputf8Settings.from(cfg)).start();
            opened.add(qmgr::close);

            QueueAdministration admin = administration(queue, qmgr);
            AdminEndpoint socketOnly = bind("queue_directory", settings.admin().socket().toString(),
                    () -> AdminEndpoint.bindSocket(settings.admin(), admin));
            opened.add(socketOnly::close);
            AdminEndpoint adminEndpoint = bind("admin_listen", settings.admin().tcpName(),
                    () -> socketOnly.bindTcp(settings.admin(), admin));
            opened.set(opened.size() - 1, adminEndpoint::close);

            Counter accepted = Counter.builder("postilion_messages_accepted_total")
                    .description("messages accepted by the listener and made durable").register(registry);
            Sinks.Empty<Void> recovered = Sinks.empty();
            RelayIngress sink = new RelayIngress() {
                @Override
                public String newQueueId() {
                    return queue.newQueueId();
                }

                @Override
                public boolean hasRoomFor(long declaredSize) {
                    return queue.hasRoomFor(declaredSize);
                }

                @Override
                public int inFlight() {
                    return qmgr.inFlight();
                }

                @Override
                public Mono<Void> accept(ReceivedMessage message) {
                    return recovered.asMono().then(Mono.defer(() -> queue.accept(message))).then(Mono.fromRunnable(() -> {
                        accepted.increment();
                        MailLog mail = MailLog.current();
                        if (mail.enabled()) { // the header scan is not made for a log nobody writes
                            mail.log("cleanup", message.queueId() + ": message-id=<" + MessageIds.of(message.content()) + ">");
                        }
                        qmgr.submit(queue.queued(message));
                    }));
                }
            };
            SmtpListener listener = bind("smtpd_listen", cfg.string("smtpd_listen"),
                    () -> SmtpListener.start(settings.listener(), sink, clock, io.postilion.engine.listener.SmtpdLog.standard(),
                            new io.postilion.engine.listener.ListenerMeters(registry)).block(BIND_WAIT));
            opened.add(listener::close);
            MetricsEndpoint metrics = bind("metrics_listen", cfg.string("metrics_listen"),
                    () -> MetricsEndpoint.start(settings.metricsListen(), registry, settings.httpLimits(),
                            settings.listener().transport()).block(BIND_WAIT));
            opened.add(metrics::close);

            // Recovered mail goes in arrival order; deferred mail waits for the time its last attempt set.
            int count = queue.recover().doOnNext(m -> qmgr.submitAt(m, queue.nextAttempt(m.queueId())))
                    .count().block(Duration.ofMinutes(5)).intValue();
            recovered.tryEmitEmpty();
            if (count > 0) {
                log.info("recovered {} queued message(s) from the spool", count);
            }

            Gauge.builder("postilion_listener_sessions", listener, SmtpListener::sessions)
                    .description("SMTP sessions open on the listener").register(registry);
            Gauge.builder("postilion_queue_in_flight", qmgr, QueueManager::inFlight)
                    .description("messages being delivered, waiting for a retry, or waiting for room among the active ones")
                    .register(registry);
            Gauge.builder("postilion_qmgr_active_messages", qmgr, QueueManager::active)
                    .description("messages held in memory for delivery (at most qmgr_message_active_limit)").register(registry);
            Gauge.builder("postilion_qmgr_parked_messages", qmgr, QueueManager::parked)
                    .description("messages waiting in the spool, by id, for room among the active ones").register(registry);
            // Each deferred message holds one timer until its retry; after the queue empties this must read 0.
            Gauge.builder("postilion_qmgr_retry_timers", qmgr, QueueManager::retryTimers)
                    .description("retry timers armed by the queue manager (one per deferred message at most)")
                    .register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("postilion_results_dropped_total", qmgr,
                    QueueManager::droppedEvents)
                    .description("recipient result events dropped because a subscriber of the results fell behind")
                    .register(registry);
            for (String state : queue.counts().keySet()) {
                Gauge.builder("postilion_queue_messages", queue, q -> q.counts().getOrDefault(state, 0))
                        .tag("state", state).description("messages in the spool by state").register(registry);
            }
            log.info("relay listening on {} (SMTP), {} (metrics) and {} (admin{}); netty_transport = {}", listener.address(),
                    metrics.port(), adminEndpoint.socket(), adminEndpoint.tcpPort() < 0 ? "" : ", and TCP port " + adminEndpoint.tcpPort(),
                    settings.listener().transport());
            return new Relay(queue, qmgr, listener, metrics, adminEndpoint, smtp, lmtp, settings.graceTime(), sink);
        } catch (RuntimeException e) {
            closeAll(opened, queue);
            if (e instanceof IllegalArgumentException) {
                // A value the checks before start-up let through: still a configuration error, one line.
                throw ConfigurationException.badValue(null, String.valueOf(e.getMessage()), e);
            }
            throw e;
        }
    }

    /**
     * Starts the extensions these settings want (the fleet when kafka_bootstrap_servers is set);
     * none is looked for when no switch is set, so a single-node relay is as it was. When one
     * cannot start, the relay is stopped and the failure thrown.
     */
    private static void startExtensions(Relay relay, RelaySettings settings) {
        if (RelayExtension.SWITCHES.stream().allMatch(p -> settings.cfg().list(p).isEmpty())) {
            return;
        }
        try {
            for (RelayExtension e : RelayExtension.installed()) {
                if (e.wanted(settings)) {
                    relay.extensions.add(e.start(relay, settings));
                }
            }
        } catch (RuntimeException e) {
            relay.stop(Duration.ZERO);
            throw e;
        }
    }

    /**
     * The registry /metrics renders, for the meters of an extension (the fleet's Kafka ingress and
     * result publisher): registered here, they are scraped with the relay's own.
     */
    public io.micrometer.core.instrument.MeterRegistry meterRegistry() {
        return metrics.registry();
    }

    /**
     * The relay's way in for mail from elsewhere than its SMTP listener: stored, logged, counted and
     * delivered exactly like mail the listener received.
     */
    public RelayIngress ingress() {
        return ingress;
    }

    /**
     * Every recipient result from now on, once recorded in the store (see
     * {@link QueueManager#results()}): hot, multicast, each subscriber behind its own bounded
     * buffer, its overflow dropped and counted in postilion_results_dropped_total, so that a slow
     * subscriber never holds up delivery. Completes when the relay stops.
     */
    public Flux<RecipientEvent> results() {
        return qmgr.results();
    }

    /** Runs one bind, turning its failure into a {@link ListenerBindException} naming the parameter. */
    private static <T> T bind(String parameter, String address, java.util.function.Supplier<T> binder) {
        try {
            return binder.get();
        } catch (RuntimeException e) {
            throw new ListenerBindException(parameter, address, e);
        }
    }

    /** Closes what a failed start had opened, last first, then the queue. */
    private static void closeAll(List<AutoCloseable> opened, RelayQueue queue) {
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                log.warn("while closing after a failed start: {}", e.toString());
            }
        }
        queue.close();
    }

    /** What the admin endpoint may do, on this relay's queue and queue manager. */
    private static QueueAdministration administration(RelayQueue queue, QueueManager qmgr) {
        return new QueueAdministration() {
            @Override
            public Mono<String> listing(boolean json) {
                return queue.list().map(entries -> json ? QueueListing.json(entries)
                        : QueueListing.mailq(entries, java.time.ZoneId.systemDefault()));
            }

            @Override
            public Mono<Integer> flush() {
                return Mono.fromSupplier(qmgr::flush);
            }

            @Override
            public Mono<Boolean> delete(String queueId) {
                return qmgr.delete(queueId);
            }

            @Override
            public Mono<Long> deleteAll() {
                return queue.list().flatMapMany(Flux::fromIterable)
                        .concatMap(e -> qmgr.delete(e.queueId())).filter(Boolean::booleanValue).count();
            }
        };
    }

    public int smtpPort() {
        return listener.port();
    }

    public int metricsPort() {
        return metrics.port();
    }

    /** The admin endpoint's UNIX socket, admin.sock in queue_directory. */
    public java.nio.file.Path adminSocket() {
        return admin.socket();
    }

    /** The TCP admin listener's port, or -1 when admin_listen is not set. */
    public int adminPort() {
        return admin.tcpPort();
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
        admin.close();
        for (RelayExtension.Running e : extensions) {
            try {
                e.stopIntake();
            } catch (RuntimeException x) {
                log.warn("stopping: an extension's intake: {}", x.toString());
            }
        }
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
            qmgr.close(); // completes results(): an extension publishing them sees the end
            for (int i = extensions.size() - 1; i >= 0; i--) {
                try {
                    extensions.get(i).close();
                } catch (RuntimeException x) {
                    log.warn("stopping: closing an extension: {}", x.toString());
                }
            }
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
