package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.DeliveryFlag;
import io.postilion.engine.delivery.QueueIds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Ret;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeliveryRequestTest {

    @Test
    void theBuilderFillsWhatAPlainSubmissionHas() {
        DeliveryRequest r = DeliveryRequest.builder("Q1", "s@x.test", "[127.0.0.1]:2525")
                .recipient("a@y.test").recipient(Recipient.of(1, "b@y.test"))
                .content(ContentSource.of(new byte[] {'x', '\r', '\n'})).build();
        assertEquals(2, r.recipients().size());
        assertEquals(BodyType.UNKNOWN, r.bodyType());
        assertEquals(Ret.NONE, r.ret());
        assertEquals("", r.envId());
        assertEquals(r.arrival(), r.active());
        assertTrue(r.flags().isEmpty());
        assertFalse(r.probe());
    }

    @Test
    void theBuilderKeepsFlagsTimesAndTheProbeMarker() {
        Instant arrived = Instant.parse("2026-01-01T00:00:00Z");
        DeliveryRequest r = DeliveryRequest.builder("Q2", "", "example.test").recipient("a@y.test")
                .content(ContentSource.of(new byte[0])).times(arrived, arrived.plusSeconds(3))
                .flags(EnumSet.of(DeliveryFlag.D, DeliveryFlag.R)).probe(true).build();
        assertEquals(Set.of(DeliveryFlag.D, DeliveryFlag.R), r.flags());
        assertEquals(arrived.plusSeconds(3), r.active());
        assertTrue(r.probe());
    }

    @Test
    void aRequestWithoutRecipientsOrContentIsRefusedByName() {
        var noRcpt = assertThrows(IllegalArgumentException.class,
                () -> DeliveryRequest.builder("Q3", "s@x.test", "x.test").content(ContentSource.of(new byte[0])).build());
        assertTrue(noRcpt.getMessage().contains("recipient"));
        var noContent = assertThrows(NullPointerException.class,
                () -> DeliveryRequest.builder("Q3", "s@x.test", "x.test").recipient("a@y.test").build());
        assertEquals("content", noContent.getMessage());
    }

    @Test
    void aCallerWithoutAQueueIdGetsOneFromTheLibrary() {
        DeliveryRequest a = DeliveryRequest.builder("s@x.test", "x.test").recipient("a@y.test")
                .content(ContentSource.of(new byte[0])).build();
        DeliveryRequest b = DeliveryRequest.builder(null, "s@x.test", "x.test").recipient("a@y.test")
                .content(ContentSource.of(new byte[0])).build();
        DeliveryRequest c = DeliveryRequest.builder(" ", "s@x.test", "x.test").recipient("a@y.test")
                .content(ContentSource.of(new byte[0])).build();
        for (DeliveryRequest r : new DeliveryRequest[] {a, b, c}) {
            assertTrue(QueueIds.looksLikeOne(r.queueId()), r.queueId());
        }
        assertEquals(3, Set.of(a.queueId(), b.queueId(), c.queueId()).size());
        assertTrue(a.queueId().compareTo(b.queueId()) < 0 && b.queueId().compareTo(c.queueId()) < 0);
        assertEquals("Q9", DeliveryRequest.builder("Q9", "s@x.test", "x.test").recipient("a@y.test")
                .content(ContentSource.of(new byte[0])).build().queueId());
    }

    @Test
    void theSpoolAndTheAgentDrawIdsFromOneGenerator() {
        String fromSpool = io.postilion.engine.spool.QueueId.next();
        String fromAgent = QueueIds.next();
        assertTrue(fromSpool.compareTo(fromAgent) < 0, fromSpool + " then " + fromAgent);
    }

    @Test
    void flagLettersParseAndAnUnknownLetterIsNamed() {
        assertEquals(EnumSet.allOf(DeliveryFlag.class), DeliveryFlag.parse("DORX"));
        assertEquals(Set.of(DeliveryFlag.R), DeliveryFlag.parse("r"));
        var bad = assertThrows(IllegalArgumentException.class, () -> DeliveryFlag.parse("DQ"));
        assertTrue(bad.getMessage().contains("'Q'"));
    }
}
