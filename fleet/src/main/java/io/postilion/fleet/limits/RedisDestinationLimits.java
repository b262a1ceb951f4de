package io.postilion.fleet.limits;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.postilion.engine.scheduler.DestinationLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Destination limits shared by every relay node that points at the same Redis: each connection
 * slot is a lease, a member of the destination's sorted set scored by its expiry, taken by a Lua
 * script that drops expired leases, counts, and adds atomically ({@link LimitScripts#ACQUIRE}),
 * renewed while its delivery runs and removed when it ends; the same script takes a token from the
 * destination's bucket when a rate is set. Heartbeats tell the fleet's size.
 *
 * <p>When Redis cannot be reached (a command fails or times out), this node falls back to its share
 * of each limit ({@link LocalFallback}: the fleet's limit over the last known fleet size), logs
 * that once, and keeps delivering; the next heartbeat that gets through brings the shared limits
 * back, logged once too.
 *
 * <p>Nothing here blocks a loop: every call into Lettuce (a command's dispatch, a connect, the
 * close) runs on this instance's own dispatch thread, never on the scheduler's loop, Reactor's
 * parallel threads or Lettuce's event loops, because Lettuce's dispatch takes a lock of its
 * endpoint ({@code SharedLock}) that its event loop holds while it connects, reconnects or
 * closes, so a dispatch may park for that moment. Parked on a loop, that would stall it; and under
 * the tests' BlockHound the park throws inside Lettuce's writer count, which Lettuce then
 * decrements without having incremented, leaving the endpoint locked for good (every later
 * dispatch spinning, the close waiting forever: the hang seen after a Redis restart). Redis
 * answers on Lettuce's threads, timers run on Reactor's parallel scheduler, and the scheduler's
 * loop is only ever handed a finished answer.
 *
 * <p>{@link #close()} is bounded whatever state Redis or the connection is in: the caller waits
 * at most {@link #closeBound()} for the teardown on the dispatch thread, which is a daemon, so a
 * wedged client can neither hold up a test nor the relay's exit.
 */
public final class RedisDestinationLimits implements DestinationLimits, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisDestinationLimits.class);

    private final SharedLimitSettings settings;
    private final String nodeId;
    private final String where;
    private volatile boolean everShared;
    private final AtomicBoolean warnedAtStart = new AtomicBoolean();
    private final RedisURI uri;
    private final ClientResources resources;
    private final RedisClient client;
    private final LocalFallback fallback;
    private final Disposable.Composite timers = Disposables.composite();
    /** Leases held in Redis by this node, renewed until released. */
    private final Map<RedisLease, Boolean> held = new ConcurrentHashMap<>();
    private final AtomicLong leaseNumbers = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicBoolean connecting = new AtomicBoolean();
    private final AtomicBoolean fallingBack = new AtomicBoolean();
    /** Times this node fell back after having shared (each logged once). */
    private final AtomicLong fallbacks = new AtomicLong();
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile int fleetSize = 1;
    private volatile boolean closed;
    /** The one thread that calls into Lettuce (see the class comment); a daemon, allowed to block. */
    private final ExecutorService dispatchThread;
    private final Scheduler dispatch;
    /** The teardown, once started by close() or crash(). */
    private final CompletableFuture<Void> closing = new CompletableFuture<>();
    private final AtomicBoolean teardownStarted = new AtomicBoolean();

    /**
     * Connects (in the background) and starts the heartbeat and renewal timers. Until the first
     * answer from Redis, asks are answered from the local fallback as for a fleet of one.
     *
     * @param url redis://host:port
     * @param nodeId this node's name in the fleet, unique among the nodes
     */
    public RedisDestinationLimits(String url, String nodeId, SharedLimitSettings settings) {
        Objects.requireNonNull(url, "url");
        this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.uri = RedisURI.create(url);
        this.where = uri.getHost() + ":" + uri.getPort(); // for the log: never a password from the URL
        uri.setTimeout(settings.commandTimeout());
        Duration reconnect = settings.heartbeatEvery().compareTo(Duration.ofSeconds(1)) < 0
                ? settings.heartbeatEvery() : Duration.ofSeconds(1);
        this.resources = ClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                .reconnectDelay(Delay.constant(reconnect)).build();
        this.client = RedisClient.create(resources);
        String threadName = "postilion-shared-limits-" + nodeId;
        // A scheduled executor for its queue: handing it a command takes the DelayedWorkQueue's lock
        // for a moment, as Reactor's own schedulers do (and as Reactor's BlockHound rules allow); a
        // plain executor's LinkedBlockingQueue lock, contended by two loops at once, parked one.
        this.dispatchThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true); // a wedged client must not keep the JVM alive
            return t;
        });
        this.dispatch = Schedulers.fromExecutorService(dispatchThread, threadName);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // Fail at once while disconnected: a queued command would hold a delivery back
                // for the whole outage instead of letting the fallback answer.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                // Lettuce's own command timeouts schedule on its computation executor, whose queue
                // takes a lock (BlockHound caught a park on the scheduler's loop); each command here
                // has a Reactor timeout instead.
                .timeoutOptions(TimeoutOptions.builder().timeoutCommands(false).build())
                .socketOptions(SocketOptions.builder().connectTimeout(settings.commandTimeout()).build())
                .build());
        this.fallback = new LocalFallback(settings, () -> fleetSize);
        fallingBack.set(true); // until Redis first answers: quietly, nothing was shared yet
        dispatchThread.execute(this::connect);
        timers.add(Flux.interval(Duration.ZERO, settings.heartbeatEvery(), Schedulers.parallel())
                .onBackpressureDrop().concatMap(x -> heartbeat(), 1).subscribe());
        timers.add(Flux.interval(settings.renewEvery(), settings.renewEvery(), Schedulers.parallel())
                .onBackpressureDrop().concatMap(x -> renew(), 1).subscribe());
    }

    @Override
    public Mono<Lease> acquire(String destination) {
        StatefulRedisConnection<String, String> c = connection;
        if (c == null || fallingBack.get() || closed) {
            return Mono.justOrEmpty(fallback.acquire(destination));
        }
        String id = nodeId + ":" + leaseNumbers.incrementAndGet();
        String leases = leasesKey(destination);
        return c.reactive().<Long>eval(LimitScripts.ACQUIRE, ScriptOutputType.INTEGER,
                        new String[] {leases, bucketKey(destination)}, id, Integer.toString(settings.concurrencyLimit()),
                        Long.toString(settings.leaseExpiry().toMillis()), Double.toString(settings.ratePerSecond()),
                        Integer.toString(settings.burst()))
                .subscribeOn(dispatch)
                .next()
                .timeout(settings.commandTimeout().multipliedBy(2))
                .<Lease>flatMap(r -> {
                    if (r != 1L) {
                        return Mono.empty();
                    }
                    RedisLease lease = new RedisLease(leases, id);
                    held.put(lease, Boolean.TRUE);
                    return Mono.just(lease);
                })
                .onErrorResume(e -> {
                    unreachable(e);
                    return Mono.justOrEmpty(fallback.acquire(destination));
                });
    }

    @Override
    public Duration retryDelay() {
        return settings.retryDelay();
    }

    /** The fleet size last learned from the heartbeats (1 before the first). */
    public int fleetSize() {
        return fleetSize;
    }

    /** Whether the limits are shared now (false while falling back to the local share). */
    public boolean shared() {
        return !fallingBack.get();
    }

    /** Leases this node holds in Redis now. */
    public int heldInRedis() {
        return held.size();
    }

    /** Leases found expired at renewal since the start: slots another node may have taken meanwhile. */
    public long lostLeases() {
        return lost.get();
    }

    /** Times this node fell back to local limits after sharing them (each logged once). */
    public long fallbacks() {
        return fallbacks.get();
    }

    /** The concurrency limit this node keeps on its own while falling back. */
    public int fallbackConcurrencyLimit() {
        return fallback.localConcurrencyLimit();
    }

    private String leasesKey(String destination) {
        return settings.keyPrefix() + "{" + destination + "}:leases";
    }

    private String bucketKey(String destination) {
        return settings.keyPrefix() + "{" + destination + "}:bucket";
    }

    private String nodesKey() {
        return settings.keyPrefix() + "nodes";
    }

    /** Starts a connection; on the dispatch thread only (Lettuce's connect takes the same locks). */
    private void connect() {
        if (closed || !connecting.compareAndSet(false, true)) {
            return;
        }
        client.connectAsync(StringCodec.UTF8, uri).whenComplete((c, e) -> {
            connecting.set(false);
            if (e != null) {
                unreachable(e);
            } else if (closed) {
                c.closeAsync();
            } else {
                connection = c;
            }
        });
    }

    /** Announces this node and learns the fleet size; the first answer after an outage ends the fallback. */
    private Mono<Void> heartbeat() {
        StatefulRedisConnection<String, String> c = connection;
        if (c == null) {
            return Mono.fromRunnable(this::connect).subscribeOn(dispatch).onErrorResume(e -> Mono.empty()).then();
        }
        return c.reactive().<Long>eval(LimitScripts.HEARTBEAT, ScriptOutputType.INTEGER, new String[] {nodesKey()},
                        nodeId, Long.toString(settings.nodeExpiry().toMillis()))
                .subscribeOn(dispatch)
                .next()
                .timeout(settings.commandTimeout().multipliedBy(2))
                .doOnNext(n -> {
                    fleetSize = (int) Math.max(1, n);
                    if (fallingBack.compareAndSet(true, false)) {
                        log.info("shared limits: Redis at {} answers; destination limits are shared by a fleet of {}{}",
                                where, fleetSize, everShared ? " again" : "");
                        everShared = true;
                    }
                })
                .onErrorResume(e -> {
                    unreachable(e);
                    return Mono.empty();
                })
                .then();
    }

    /** Renews every held lease, one script per destination. */
    private Mono<Void> renew() {
        StatefulRedisConnection<String, String> c = connection;
        if (c == null || held.isEmpty() || fallingBack.get()) {
            return Mono.empty();
        }
        Map<String, List<String>> byKey = new HashMap<>();
        for (RedisLease l : held.keySet()) {
            byKey.computeIfAbsent(l.key, k -> new ArrayList<>()).add(l.id);
        }
        return Flux.fromIterable(byKey.entrySet())
                .concatMap(e -> {
                    List<String> args = new ArrayList<>(e.getValue().size() + 1);
                    args.add(Long.toString(settings.leaseExpiry().toMillis()));
                    args.addAll(e.getValue());
                    return c.reactive().<Long>eval(LimitScripts.RENEW, ScriptOutputType.INTEGER,
                                    new String[] {e.getKey()}, args.toArray(String[]::new))
                            .subscribeOn(dispatch)
                            .next()
                            .timeout(settings.commandTimeout().multipliedBy(2))
                            .doOnNext(n -> {
                                if (n > 0) {
                                    lost.addAndGet(n);
                                    log.warn("shared limits: {} lease(s) on {} expired before renewal", n, e.getKey());
                                }
                            });
                })
                .onErrorResume(e -> {
                    unreachable(e);
                    return Mono.empty();
                })
                .then();
    }

    private void unreachable(Throwable e) {
        if (closed) {
            return;
        }
        log.debug("shared limits: Redis at {}: {}", where, e.toString(), e);
        if (!everShared && warnedAtStart.compareAndSet(false, true)) {
            log.warn("shared limits: Redis at {} does not answer yet ({}); local limits of {} per destination until it does",
                    where, e.toString(), fallback.localConcurrencyLimit());
        }
        if (fallingBack.compareAndSet(false, true)) {
            fallbacks.incrementAndGet();
            log.warn("shared limits: Redis at {} unreachable ({}); falling back to local limits of {} per destination"
                            + " (the fleet's {} over the last known fleet size {}) until it answers again",
                    where, e.toString(), fallback.localConcurrencyLimit(), settings.concurrencyLimit(), fleetSize);
        }
    }

    /**
     * Stops as a killed node would: no more renewals or heartbeats, nothing given back. Its leases
     * free themselves at their expiry. For tests of the expiry.
     */
    void crash() {
        closed = true;
        timers.dispose();
        held.clear();
        awaitTeardown(teardown(false));
    }

    /**
     * Stops the timers, gives back this node's leases and heartbeat (best effort, within one
     * command timeout), and disconnects. Returns within {@link #closeBound()} whatever state Redis
     * or the connection is in; what is not done by then is left to the daemon dispatch thread, and
     * the leases left behind expire by themselves.
     */
    @Override
    public void close() {
        awaitTeardown(closeAsync());
    }

    /**
     * Starts the close without waiting: the teardown runs on the dispatch thread, and the future
     * completes when it is done (it may never complete if Lettuce is wedged: wait on it bounded).
     */
    CompletableFuture<Void> closeAsync() {
        closed = true;
        timers.dispose();
        return teardown(true);
    }

    /** How long {@link #close()} waits at most: the give-back's timeout and the client's shutdown. */
    Duration closeBound() {
        return settings.commandTimeout().plus(SHUTDOWN_WAIT).plusSeconds(1);
    }

    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(2);

    private void awaitTeardown(CompletableFuture<Void> f) {
        try {
            f.get(closeBound().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("shared limits: the Redis client at {} did not close within {}; left to close in the background"
                    + " (this node's leases expire by themselves)", where, closeBound());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.debug("shared limits: closing the Redis client at {}: {}", where, e.getCause().toString());
        }
    }

    /**
     * Queues the teardown on the dispatch thread (once) and lets that thread end after it. Every
     * wait inside is bounded, so the thread normally finishes; if Lettuce parks it for good, it is
     * a daemon and the caller has stopped waiting anyway.
     */
    private CompletableFuture<Void> teardown(boolean giveBack) {
        if (!teardownStarted.compareAndSet(false, true)) {
            return closing;
        }
        try {
            dispatchThread.execute(() -> {
                try {
                    StatefulRedisConnection<String, String> c = connection;
                    if (giveBack && c != null && !fallingBack.get()) {
                        giveBack(c);
                    }
                    held.clear();
                    if (c != null) {
                        c.closeAsync().get(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    }
                    client.shutdownAsync(0, SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                            .get(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    resources.shutdown(0, SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    closing.complete(null);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    closing.completeExceptionally(e);
                } catch (Exception e) {
                    closing.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            closing.completeExceptionally(e);
        }
        dispatchThread.shutdown(); // the teardown queued above still runs; nothing after it
        return closing;
    }

    /** Removes this node's leases and heartbeat, waiting at most one command timeout for the answers. */
    private void giveBack(StatefulRedisConnection<String, String> c) throws InterruptedException {
        List<CompletableFuture<Long>> removals = new ArrayList<>();
        for (RedisLease l : held.keySet()) {
            removals.add(c.async().zrem(l.key, l.id).toCompletableFuture());
        }
        removals.add(c.async().zrem(nodesKey(), nodeId).toCompletableFuture());
        try {
            CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new))
                    .get(settings.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.debug("shared limits: could not give back leases at close: {}", e.toString());
        }
    }

    /** A slot held in Redis: released once by removing it from the destination's set. */
    private final class RedisLease implements Lease {
        final String key;
        final String id;
        private final AtomicBoolean released = new AtomicBoolean();

        RedisLease(String key, String id) {
            this.key = key;
            this.id = id;
        }

        @Override
        public void release() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            held.remove(this);
            StatefulRedisConnection<String, String> c = connection;
            if (c == null || closed) {
                return; // it expires by itself
            }
            c.reactive().zrem(key, id).subscribeOn(dispatch).subscribe(n -> { }, e -> log.debug("shared limits: lease {} left to expire: {}", id, e.toString()));
        }
    }
}
