package io.postilion.engine.scheduler;

import io.postilion.engine.agent.CacheHint;
import java.util.ArrayDeque;
import reactor.core.Disposable;

/**
 * Everything the scheduler knows about one destination (qmgr(8)'s per-destination queue): the
 * batches waiting for it, how many deliveries to it are in progress, its concurrency window, its
 * caching advice, and, while it is dead, the status its waiting mail is deferred with.
 *
 * <p>Not thread-safe: owned by the scheduler's serialized loop.
 */
final class DestinationQueue {

    final String name;
    private final ArrayDeque<Batch> todo = new ArrayDeque<>();
    private final ConcurrencyWindow window;
    private final OnDemandCaching caching = new OnDemandCaching();
    private int busy;
    private io.postilion.engine.delivery.DsnStatus deadStatus;
    private String deadReason;
    private Disposable reviveTimer;
    /** Whether the queue sits in the scheduler's round-robin ring. */
    boolean inRing;
    /** Shared leases asked for and not yet answered; each stands for one waiting batch. */
    private int asking;
    /** A shared lease was refused: no more asking until the retry timer clears this. */
    private boolean refused;
    /**
     * The rate delay running since the last delivery started, null when none: no delivery starts
     * (nor is a shared lease asked for) until it ends. qmgr(8) calls such a queue suspended, and
     * never forgets one, or the next mail would start at once.
     */
    private Disposable paceTimer;

    DestinationQueue(String name, ConcurrencyWindow window) {
        this.name = name;
        this.window = window;
    }

    void add(Batch b) {
        todo.add(b);
    }

    int waiting() {
        return todo.size();
    }

    int busy() {
        return busy;
    }

    boolean dead() {
        return window.dead();
    }

    ConcurrencyWindow window() {
        return window;
    }

    /** Whether the round-robin loop has something to do here: mail to start or, when dead, to defer. */
    boolean runnable() {
        if (window.dead()) {
            return !todo.isEmpty(); // deferred without a lease, asked for or not
        }
        return todo.size() > asking && !refused && paceTimer == null && window.hasRoom(busy + asking);
    }

    /** Nothing waiting, nothing running, not dead: the queue may be forgotten (its window with it). */
    boolean idle() {
        return todo.isEmpty() && busy == 0 && asking == 0 && !refused && paceTimer == null && !window.dead();
    }

    /** A delivery started and {@code timer} will say when the rate delay after it is over. */
    void pacedBy(Disposable timer) {
        paceTimer = timer;
    }

    /** Whether {@code timer} is the rate delay still running here (not one cancelled or replaced). */
    boolean pacedOnlyBy(Disposable timer) {
        return paceTimer != null && paceTimer == timer;
    }

    /** The rate delay is over: the next delivery may start. */
    void paceOver() {
        paceTimer = null;
    }

    /** A shared lease is being asked for, on behalf of the next waiting batch. */
    void asking() {
        asking++;
    }

    /** The answer to one ask came; whether it was a refusal that holds the queue back. */
    void answered(boolean refusal) {
        asking--;
        if (refusal) {
            refused = true;
        }
    }

    /** The wait after a refusal is over: the queue may ask again. */
    void mayAskAgain() {
        refused = false;
    }

    /** Takes the next batch for delivery and returns the caching advice for it. */
    Batch start(long nowMillis) {
        Batch b = todo.poll();
        busy++;
        b.hint = caching.starting(nowMillis, busy);
        return b;
    }

    /** Takes the next batch to be deferred while the destination is dead. */
    Batch takeForDeferral() {
        return todo.poll();
    }

    /** A delivery ended; call after the window had its feedback (the window counts it as busy). */
    void finished(long nowMillis) {
        busy--;
        caching.done(nowMillis);
    }

    void markDead(io.postilion.engine.delivery.DsnStatus status, String reason, Disposable timer) {
        this.deadStatus = status;
        this.deadReason = reason;
        this.reviveTimer = timer;
    }

    /** Ends a dead spell: by its timer, or early by a delivery that went well. */
    void revived() {
        if (reviveTimer != null) {
            reviveTimer.dispose();
            reviveTimer = null;
        }
        deadStatus = null;
        deadReason = null;
    }

    void cancelTimer() {
        if (reviveTimer != null) {
            reviveTimer.dispose();
        }
        if (paceTimer != null) {
            paceTimer.dispose();
        }
    }

    io.postilion.engine.delivery.DsnStatus deadStatus() {
        return deadStatus;
    }

    String deadReason() {
        return deadReason;
    }

    /** One delivery's worth of recipients of one source request, and what it came from. */
    static final class Batch {
        final io.postilion.engine.delivery.DeliveryRequest request;
        final Origin origin;
        CacheHint hint = CacheHint.OFF;

        Batch(io.postilion.engine.delivery.DeliveryRequest request, Origin origin) {
            this.request = request;
            this.origin = origin;
        }
    }

    /** A source request, counted until each of its batches has been reported. */
    static final class Origin {
        int batchesLeft;

        Origin(int batches) {
            this.batchesLeft = batches;
        }
    }
}
