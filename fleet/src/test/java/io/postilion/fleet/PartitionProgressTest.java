package io.postilion.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Commits never pass a request that is not yet durable, whatever order the stores finish in. */
class PartitionProgressTest {

    @Test
    void theCommittableOffsetStopsAtTheOldestPendingRequest() {
        PartitionProgress p = new PartitionProgress();
        assertEquals(-1, p.committable());
        p.started(10);
        p.started(11);
        p.started(12);
        assertEquals(10, p.committable(), "nothing is durable: the commit stays at the first");
        p.finished(12);
        p.finished(11);
        assertEquals(10, p.committable(), "10 still pending: 11 and 12 are read again after a crash");
        p.committed(10);
        assertEquals(-1, p.committable(), "no progress since the last commit");
        p.finished(10);
        assertEquals(13, p.committable(), "all durable: the next to read is 13");
        p.committed(13);
        assertEquals(-1, p.committable());
        assertEquals(13, p.position());
        p.started(13);
        assertEquals(13, p.position());
        assertEquals(1, p.pending());
    }

    @Test
    void theReDeliveryWindowCountsWhatNoAcknowledgedCommitCoversDurableOrNot() {
        PartitionProgress p = new PartitionProgress();
        p.started(20);
        p.started(21);
        p.started(23); // a gap: offset 22 was a transaction marker, never a request
        assertEquals(3, p.uncommitted());
        p.finished(20);
        p.finished(21);
        p.finished(23);
        assertEquals(3, p.uncommitted(), "durable, but a crash now still has them read again");
        p.committed(24);
        assertEquals(3, p.uncommitted(), "a commit sent is not a commit acknowledged");
        p.acknowledged(22);
        assertEquals(1, p.uncommitted(), "23 is not covered by a commit of 22");
        p.acknowledged(24);
        assertEquals(0, p.uncommitted());
    }

    @Test
    void aFailedCommitIsAskedForAgainEvenWhenThePartitionIsQuiet() {
        PartitionProgress p = new PartitionProgress();
        p.started(0);
        p.finished(0);
        p.committed(1);
        p.acknowledged(1);
        p.started(1);
        p.finished(1);
        assertEquals(2, p.committable());
        p.committed(2); // sent asynchronously...
        assertEquals(-1, p.committable());
        p.commitFailed(2); // ...and refused (a rebalance): nothing new will arrive to move the position
        assertEquals(2, p.committable(), "asked for again");
        p.committed(2);
        p.started(2);
        p.finished(2);
        p.committed(3); // a later commit was sent meanwhile
        p.commitFailed(2); // the older failure does not undo it
        assertEquals(-1, p.committable());
    }
}
