package io.postilion.fleet;

import java.util.ArrayDeque;
import java.util.TreeSet;

/**
 * What one partition's consumer may commit: the offset of its oldest request not yet durable in
 * the spool (nor passed over as bad), or one past the newest when none is pending. Committing
 * only that keeps the at-least-once promise: a node killed at any moment leaves every request it
 * had not made durable behind the committed offset, for the next owner to read again. Touched by
 * the consumer's thread only.
 */
final class PartitionProgress {

    private final TreeSet<Long> pending = new TreeSet<>();
    /**
     * Offsets read and not yet covered by an acknowledged commit, oldest first (a partition is read
     * in offset order): the partition's share of the re-delivery window.
     */
    private final ArrayDeque<Long> uncommitted = new ArrayDeque<>();
    /** One past the newest offset handed in; -1 before the first. */
    private long next = -1;
    /** The last offset committed (or found committed); -1 when none. */
    private long committed = -1;
    /** The last offset the broker acknowledged as committed; -1 when none. */
    private long acknowledgedUpTo = -1;

    /** A request at {@code offset} was read and is on its way to the spool. */
    void started(long offset) {
        pending.add(offset);
        uncommitted.addLast(offset);
        next = Math.max(next, offset + 1);
    }

    /** The request at {@code offset} is durable in the spool, or was passed over as bad. */
    void finished(long offset) {
        pending.remove(offset);
    }

    /** Requests read and not yet finished. */
    int pending() {
        return pending.size();
    }

    /** The offset to commit now (the next one to read after a restart), or -1 when that is not beyond the last commit. */
    long committable() {
        long c = pending.isEmpty() ? next : pending.first();
        return c > committed ? c : -1;
    }

    /** The offset that covers everything finished so far (what a final commit sends), or -1 before the first request. */
    long position() {
        return pending.isEmpty() ? next : pending.first();
    }

    /** A commit of {@code offset} was sent (it is not asked for again until the position moves). */
    void committed(long offset) {
        committed = Math.max(committed, offset);
    }

    /** The broker acknowledged a commit of {@code offset}: the requests before it will not be read again. */
    void acknowledged(long offset) {
        acknowledgedUpTo = Math.max(acknowledgedUpTo, offset);
        while (!uncommitted.isEmpty() && uncommitted.peekFirst() < offset) {
            uncommitted.removeFirst();
        }
    }

    /**
     * A commit of {@code offset} failed (a rebalance, a broker fail-over): unless a later commit was
     * sent since, the offset becomes committable again, so the next round asks for it once more
     * instead of waiting for the position to move, which on a quiet partition it never does.
     */
    void commitFailed(long offset) {
        if (committed == offset) {
            committed = acknowledgedUpTo;
        }
    }

    /** Requests read whose offsets no acknowledged commit covers yet. */
    int uncommitted() {
        return uncommitted.size();
    }
}
