package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Invariants;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.Verdict;
import io.postilion.engine.delivery.VerdictSource;
import io.postilion.transport.content.ContentSource;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The delivery contract's invariants as smtp_rcpt.c states them: a recipient is decided once, and
 * a request never ends with one undecided. Under test they throw (Surefire runs with assertions).
 */
class AttemptInvariantsTest {

    private static Attempt attempt() {
        DeliveryRequest r = DeliveryRequest.builder("Q1", "s@x.test", "dest.test")
                .recipient(Recipient.of(7, "a@dest.test")).recipient(Recipient.of(3, "b@dest.test"))
                .content(ContentSource.of("x\r\n".getBytes(StandardCharsets.US_ASCII))).build();
        return new Attempt(r);
    }

    private static final Verdict MINE = Verdict.local(VerdictSource.LOCAL, "test");

    @Test
    void testsRunStrict() {
        assertTrue(Invariants.strict(), "Surefire runs with assertions on, so a broken invariant throws");
    }

    @Test
    void aRecipientDecidedTwiceIsABug() {
        Attempt a = attempt();
        a.apply(0, Decision.drop(Outcome.BOUNCED, DsnStatus.of(5, 1, 1)), "no", MINE, "none", 0);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> a.apply(0, Decision.drop(Outcome.DEFERRED, DsnStatus.of(4, 2, 0)), "later", MINE, "none", 0));
        assertTrue(e.getMessage().contains("recipient 7 <a@dest.test> decided twice"), e.getMessage());
    }

    @Test
    void aKeepDecisionLeavesTheRecipientOpen() {
        Attempt a = attempt();
        a.apply(1, Decision.keep(DsnStatus.of(4, 2, 0)), "next server", MINE, "none", 0);
        assertEquals(List.of(0, 1), a.undecided());
    }

    @Test
    void aRequestEndingWithAnUndecidedRecipientIsABug() {
        Attempt a = attempt();
        a.apply(0, Decision.drop(Outcome.BOUNCED, DsnStatus.of(5, 1, 1)), "no", MINE, "none", 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, a::results);
        assertTrue(e.getMessage().contains("recipient 3 <b@dest.test> left undecided"), e.getMessage());
    }

    @Test
    void resultsCarryTheQueueIndexNotThePositionInTheRequest() {
        Attempt a = attempt();
        a.apply(0, Decision.drop(Outcome.BOUNCED, DsnStatus.of(5, 1, 1)), "no", MINE, "none", 0);
        a.apply(1, Decision.drop(Outcome.DEFERRED, DsnStatus.of(4, 2, 0)), "later", MINE, "none", 0);
        assertEquals(List.of(7, 3), a.results().stream().map(r -> r.index()).toList());
    }

    @Test
    void aRequestCannotGiveOneQueueIndexToTwoRecipients() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeliveryRequest.builder("Q1", "s@x.test", "dest.test").recipient(Recipient.of(0, "a@dest.test"))
                        .recipient(Recipient.of(0, "b@dest.test"))
                        .content(ContentSource.of(new byte[0])).build());
        assertTrue(e.getMessage().contains("queue index 0"), e.getMessage());
    }
}
