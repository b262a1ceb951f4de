package io.postilion.transport.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** CR, LF or NUL in an envelope address never reaches the wire (CLARIFICATIONS 3). */
class EnvelopeAddressTest {

    @Test
    void recipientWithCarriageReturnIsRefusedWith513_CLARIFICATIONS3() {
        AddressCheck.Refused r = assertInstanceOf(AddressCheck.Refused.class,
                EnvelopeAddress.check("user\r@example.com", AddressRole.RECIPIENT));
        assertEquals("5.1.3", r.status());
        assertEquals(AddressRole.RECIPIENT, r.role());
        assertEquals(4, r.index());
        assertTrue(r.reason().contains("recipient"), r.reason());
        assertTrue(r.reason().contains("carriage return (CR"), r.reason());
    }

    @Test
    void senderWithLineFeedIsRefusedWith517_CLARIFICATIONS3() {
        AddressCheck.Refused r = assertInstanceOf(AddressCheck.Refused.class,
                EnvelopeAddress.check("a@b\nRCPT TO:<victim@example.com>", AddressRole.SENDER));
        assertEquals("5.1.7", r.status());
        assertEquals(3, r.index());
        assertTrue(r.reason().contains("sender"), r.reason());
        assertTrue(r.reason().contains("line feed (LF"), r.reason());
    }

    @Test
    void nulIsRefusedAndNamed_CLARIFICATIONS3() {
        AddressCheck.Refused r = assertInstanceOf(AddressCheck.Refused.class,
                EnvelopeAddress.check("a\0b@example.com", AddressRole.RECIPIENT));
        assertEquals("5.1.3", r.status());
        assertTrue(r.reason().contains("NUL"), r.reason());
    }

    @Test
    void ordinaryUtf8AndNullAddressesAreAccepted_CLARIFICATIONS3() {
        for (String a : new String[] {"user@example.com", "用户@example.com", "", "a b@example.com"}) {
            AddressCheck.Accepted ok = assertInstanceOf(AddressCheck.Accepted.class,
                    EnvelopeAddress.check(a, AddressRole.RECIPIENT), a);
            assertEquals(a, ok.address().value());
        }
        assertTrue(EnvelopeAddress.check("", AddressRole.SENDER).accepted());
        assertTrue(EnvelopeAddress.NULL_SENDER.isNull());
    }

    @Test
    void buildersRefuseBadAddressesBeforeTheWire_CLARIFICATIONS3() {
        assertThrows(IllegalArgumentException.class, () -> SenderEnvelope.of("a@b\r\nDATA"));
        assertThrows(IllegalArgumentException.class, () -> RecipientEnvelope.of("x\0@y"));
        assertThrows(IllegalArgumentException.class, () -> new EnvelopeAddress("x\n"));
    }

    @Test
    void commandLineWriterRefusesLineBreaksAndWritesNothing_CLARIFICATIONS3() {
        ByteBuf buf = Unpooled.buffer();
        try {
            assertThrows(IllegalArgumentException.class, () -> CommandLine.write(buf, "MAIL FROM:<a\r\n>"));
            assertEquals(0, buf.readableBytes());
        } finally {
            buf.release();
        }
    }
}
