package io.postilion.transport.cache;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Parked SMTP/LMTP sessions waiting for their next transaction (spec section 10). A session may be
 * filed under two keys at once (its request's next-hop and its endpoint); whichever lookup finds
 * it first takes it from both. A parked session is closed after smtp_connection_cache_time_limit
 * of idleness (CACHE-1); taking one sends a lone RSET first, and a session that fails it is closed
 * without a word and costs no message (CACHE-7).
 *
 * <p>Lock-free: deques per key and a compare-and-set per entry decide who gets a session. The
 * idle timer runs on the parked session's own event loop, where parking happens, so parking and
 * taking wake no other thread.
 */
public final class ConnectionCache implements AutoCloseable {

    private final Duration idleLimit;
    private final Map<CacheKey, ConcurrentLinkedDeque<Entry>> byKey = new ConcurrentHashMap<>();
    private final AtomicInteger parked = new AtomicInteger();
    private final AtomicInteger probesFailed = new AtomicInteger();

    public ConnectionCache(Duration idleLimit) {
        this.idleLimit = idleLimit;
    }

    /** Files a session under each key; it is closed when nobody takes it within the idle limit. */
    public void park(List<CacheKey> keys, ParkedSession session) {
        Entry e = new Entry(session, keys);
        parked.incrementAndGet();
        e.idleTimer = session.session().after(idleLimit, () -> {
            if (e.claim()) {
                forget(e);
                e.session.session().quit().subscribe();
            }
        });
        for (CacheKey k : keys) {
            byKey.computeIfAbsent(k, x -> new ConcurrentLinkedDeque<>()).addFirst(e);
        }
    }

    /**
     * A usable session filed under {@code key}, probed with RSET; empty when there is none. The
     * most recently parked one is tried first.
     */
    public Mono<ParkedSession> take(CacheKey key) {
        return Mono.defer(() -> {
            ConcurrentLinkedDeque<Entry> q = byKey.get(key);
            if (q == null) {
                return Mono.empty();
            }
            for (Entry e; (e = q.pollFirst()) != null; ) {
                if (!e.claim()) {
                    continue; // taken through its other key, or expired
                }
                forget(e);
                e.idleTimer.dispose();
                Entry got = e;
                if (!got.session.session().usable()) {
                    got.session.session().close(); // the server closed it while it was parked
                    return take(key);
                }
                return got.session.session().rsetProbe().flatMap(ok -> {
                    if (ok) {
                        return Mono.just(got.session);
                    }
                    probesFailed.incrementAndGet();
                    got.session.session().close();
                    return take(key);
                });
            }
            return Mono.empty();
        });
    }

    /** Sessions parked right now. */
    public int size() {
        return parked.get();
    }

    /** Parked sessions that failed their RSET probe (closed silently). */
    public int failedProbes() {
        return probesFailed.get();
    }

    private void forget(Entry e) {
        parked.decrementAndGet();
        for (CacheKey k : e.keys) {
            ConcurrentLinkedDeque<Entry> q = byKey.get(k);
            if (q != null) {
                q.remove(e);
            }
        }
    }

    /** Closes every parked session (QUIT). */
    @Override
    public void close() {
        for (ConcurrentLinkedDeque<Entry> q : byKey.values()) {
            for (Entry e; (e = q.pollFirst()) != null; ) {
                if (e.claim()) {
                    forget(e);
                    e.idleTimer.dispose();
                    e.session.session().quit().subscribe();
                }
            }
        }
    }

    private static final class Entry {
        final ParkedSession session;
        final List<CacheKey> keys;
        final AtomicBoolean taken = new AtomicBoolean();
        volatile Disposable idleTimer;

        Entry(ParkedSession session, List<CacheKey> keys) {
            this.session = session;
            this.keys = List.copyOf(keys);
        }

        boolean claim() {
            return taken.compareAndSet(false, true);
        }
    }
}
