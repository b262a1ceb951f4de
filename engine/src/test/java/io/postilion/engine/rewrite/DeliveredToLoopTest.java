package io.postilion.engine.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** DATA-24: the Delivered-To comparison. */
class DeliveredToLoopTest {

    @Test
    void theComparisonIgnoresCaseInLocalPartAndDomain_DATA24() {
        String value = DeliveredToLoop.value("Delivered-To: Joe@Example.TEST");
        assertTrue(DeliveredToLoop.loops(List.of(value), "joe@example.test"));
        assertTrue(DeliveredToLoop.loops(List.of(DeliveredToLoop.value("delivered-to:JOE@example.test")), "Joe@EXAMPLE.test"));
        assertFalse(DeliveredToLoop.loops(List.of(value), "joe2@example.test"));
    }

    @Test
    void otherHeadersAreNotDeliveredToHeaders_DATA24() {
        assertNull(DeliveredToLoop.value("X-Delivered-To: joe@example.test"));
        assertNull(DeliveredToLoop.value("To: joe@example.test"));
    }

    @Test
    void theRecipientIsComparedInItsQuotedForm_DATA24() {
        assertTrue(DeliveredToLoop.loops(List.of(DeliveredToLoop.value("Delivered-To: \"john doe\"@example.test")),
                "john doe@example.test"));
        assertEquals("mail forwarding loop for joe@example.test", DeliveredToLoop.reason("joe@example.test"));
    }
}
