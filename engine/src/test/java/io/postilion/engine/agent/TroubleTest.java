package io.postilion.engine.agent;

import io.postilion.engine.delivery.DsnAction;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.reply.SmtpReply;
import org.junit.jupiter.api.Test;

class TroubleTest {

    @Test
    void softFailureAtANonFinalServerKeepsTheRecipient_SESS3() {
        Decision d = Trouble.decide(DsnStatus.parse("4.2.0"), false, false, false);
        assertTrue(d.keep());
    }

    @Test
    void softFailureAtTheFinalServerDefers_SESS3() {
        Decision d = Trouble.decide(DsnStatus.parse("4.2.0"), false, true, false);
        assertEquals(Outcome.DEFERRED, d.outcome());
        assertEquals("4.2.0", d.status().text());
    }

    @Test
    void hardFailureBouncesEvenAtANonFinalServer_REPLY11() {
        Decision d = Trouble.decide(DsnStatus.parse("5.1.1"), false, false, false);
        assertFalse(d.keep());
        assertEquals(Outcome.BOUNCED, d.outcome());
    }

    @Test
    void softUnlessFinalKeepsThenBouncesAtTheFinalServer_REPLY13() {
        assertTrue(Trouble.decide(DsnStatus.parse("5.6.7"), true, false, false).keep());
        assertEquals(Outcome.BOUNCED, Trouble.decide(DsnStatus.parse("5.6.7"), true, true, false).outcome());
    }

    @Test
    void softBounceKeepsHardFailuresThenDefersWithA4xxStatus_REPLY14() {
        assertTrue(Trouble.decide(DsnStatus.parse("5.1.1"), false, false, true).keep());
        Decision last = Trouble.decide(DsnStatus.parse("5.1.1"), false, true, true);
        assertEquals(Outcome.SOFTBOUNCE, last.outcome());
        assertEquals("4.1.1", last.status().text());
        assertEquals(DsnAction.DELAYED, last.outcome().dsnAction());
    }

    @Test
    void theEnhancedStatusNotTheCodeDecides_REPLY7() {
        Trouble.Failure f = Trouble.fromReply(SmtpReply.of(550, "4.7.1 mixed"), "x", "h");
        assertEquals(DsnStatus.parse("5.0.0"), f.status());
    }

    @Test
    void aSuccessReplyWhereAFailureIsHandledIsAProtocolError_REPLY8() {
        Trouble.Failure f = Trouble.fromReply(SmtpReply.of(250, "ok"), "host h[1.2.3.4] said: 250 ok (in reply to DATA command)", "h");
        assertEquals(DsnStatus.PROTOCOL_ERROR, f.status());
        assertTrue(f.reason().startsWith("Protocol error: host h[1.2.3.4] said"));
        assertTrue(f.protocolError());
        Trouble.Failure mail354 = Trouble.fromReply(SmtpReply.of(354, "go ahead"), "r", "h");
        assertEquals(DsnStatus.PROTOCOL_ERROR, mail354.status());
    }

    @Test
    void codes500To509And555FlagAProtocolError_REPLY6() {
        assertTrue(Trouble.fromReply(SmtpReply.of(502, "5.5.2 what"), "r", "h").protocolError());
        assertTrue(Trouble.fromReply(SmtpReply.of(555, "5.5.4 bad params"), "r", "h").protocolError());
        assertFalse(Trouble.fromReply(SmtpReply.of(550, "5.1.1 nope"), "r", "h").protocolError());
        assertFalse(Trouble.fromReply(SmtpReply.of(451, "4.3.0 later"), "r", "h").protocolError());
    }
}
