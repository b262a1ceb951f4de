package io.postilion.engine.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Recipient;
import io.postilion.transport.content.ContentSource;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Recipients per delivery: smtp_destination_recipient_limit. */
class RecipientBatcherTest {

    static DeliveryRequest request(String id, String nexthop, int recipients) {
        DeliveryRequest.Builder b = DeliveryRequest.builder(id, "sender@origin.test", nexthop)
                .content(ContentSource.of("Subject: t\r\n\r\nbody\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        IntStream.range(0, recipients).forEach(i -> b.recipient("r" + i + "@dest.test"));
        return b.build();
    }

    @Test
    void aRequestOverTheLimitIsSplitInQueueOrder_QMGR() {
        List<DeliveryRequest> parts = new RecipientBatcher(50).split(request("Q1", "dest.test", 120));
        assertEquals(List.of(50, 50, 20), parts.stream().map(p -> p.recipients().size()).toList());
        assertEquals("r0@dest.test", parts.get(0).recipients().get(0).address());
        assertEquals("r50@dest.test", parts.get(1).recipients().get(0).address());
        assertEquals("r119@dest.test", parts.get(2).recipients().get(19).address());
        parts.forEach(p -> assertEquals("Q1", p.queueId()));
    }

    @Test
    void aRequestWithinTheLimitIsDeliveredAsItIs_QMGR() {
        DeliveryRequest r = request("Q1", "dest.test", 50);
        assertSame(r, new RecipientBatcher(50).split(r).get(0));
        assertEquals(1, new RecipientBatcher(0).split(request("Q1", "dest.test", 500)).size(), "0: no limit");
    }

    @Test
    void withALimitOfOneTheQueueIsPerRecipient_QMGR() {
        RecipientBatcher one = new RecipientBatcher(1);
        List<DeliveryRequest> parts = one.split(request("Q1", "dest.test", 2));
        assertNotEquals(one.queueName(parts.get(0)), one.queueName(parts.get(1)));
        RecipientBatcher fifty = new RecipientBatcher(50);
        DeliveryRequest r = request("Q1", "dest.test", 2);
        assertEquals("dest.test", fifty.queueName(r));
        assertEquals(List.of(Recipient.of(0, "r0@dest.test"), Recipient.of(1, "r1@dest.test")), r.recipients());
    }
}
