package io.postilion.fleet;

import io.postilion.engine.listener.ReceivedMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.protocol.Notify;
import io.postilion.transport.protocol.Ret;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The request topic's wire format: what it carries back, and each way a record is refused. */
class RequestCodecTest {

    static DeliveryRequestRecord sample() {
        return new DeliveryRequestRecord("app@client.test",
                List.of(new ReceivedMessage.Recipient("a@dest.test", Set.of(), ""),
                        new ReceivedMessage.Recipient("b@dest.test", Set.of(Notify.SUCCESS, Notify.FAILURE), "rfc822;b@dest.test")),
                false, false, "env-1", Ret.HDRS, "Subject: hi\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void whatIsEncodedIsParsedBackFieldByField() throws Exception {
        DeliveryRequestRecord r = sample();
        DeliveryRequestRecord back = RequestCodec.parse(RequestCodec.encode(r));
        assertEquals(r.sender(), back.sender());
        assertEquals(r.recipients(), back.recipients());
        assertEquals(r.envId(), back.envId());
        assertEquals(Ret.HDRS, back.ret());
        assertArrayEquals(r.content(), back.content());
        assertArrayEquals(RequestCodec.encode(r), RequestCodec.encode(back));
    }

    @Test
    void theNullSenderAndUtf8AddressesWithSmtputf8Pass() throws Exception {
        DeliveryRequestRecord r = new DeliveryRequestRecord("", List.of(new ReceivedMessage.Recipient("jörg@bücher.test",
                Set.of(Notify.NEVER), "")), true, true, "", Ret.NONE, "Subject: ü\r\n\r\nx\r\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("jörg@bücher.test", RequestCodec.parse(RequestCodec.encode(r)).recipients().get(0).address());
    }

    private static void refused(byte[] value, String why) {
        BadRequestException e = assertThrows(BadRequestException.class, () -> RequestCodec.parse(value));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    private static DeliveryRequestRecord with(String sender, String rcpt, String content, boolean utf8) {
        return new DeliveryRequestRecord(sender, List.of(new ReceivedMessage.Recipient(rcpt, Set.of(), "")), false, utf8, "",
                Ret.NONE, content.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyBreachIsRefusedSayingWhat() {
        byte[] good = RequestCodec.encode(sample());
        refused(null, "tombstone");
        refused(new byte[0], "PSTR");
        refused("XSTR".getBytes(StandardCharsets.US_ASCII), "PSTR");
        byte[] v2 = good.clone();
        v2[4] = 2;
        refused(v2, "version 2");
        byte[] flags = good.clone();
        flags[5] = 4;
        refused(flags, "flag");
        byte[] ret = good.clone();
        ret[6] = 3;
        refused(ret, "ret 3");
        for (int cut = 0; cut < good.length; cut++) {
            byte[] shorter = Arrays.copyOf(good, cut);
            assertThrows(BadRequestException.class, () -> RequestCodec.parse(shorter), "cut at " + cut);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        refused(longer, "follow");
        refused(RequestCodec.encode(with("app@client.test", "nodomain", "x\r\n", false)), "recipient 0 is not local@domain");
        refused(RequestCodec.encode(with("app@client.test", "a b@dest.test", "x\r\n", false)), "space");
        refused(RequestCodec.encode(with("app@client.test", "<a@dest.test>", "x\r\n", false)), "angle");
        refused(RequestCodec.encode(with("app@client.test", "a\r\n@dest.test", "x\r\n", false)), "control");
        refused(RequestCodec.encode(with("ä@client.test", "a@dest.test", "x\r\n", false)), "SMTPUTF8");
        refused(RequestCodec.encode(with("app@client.test", "a@dest.test", "x\n", false)), "CRLF");
        refused(RequestCodec.encode(with("app@client.test", "a@dest.test", "x\ny\r\n", false)), "bare LF");
        refused(RequestCodec.encode(with("app@client.test", "a@dest.test", "x\ry\r\n", false)), "bare CR");
        refused(RequestCodec.encode(with("app@client.test", "a@dest.test", "x\0y\r\n", false)), "NUL");
        refused(RequestCodec.encode(with("app@client.test", "a@dest.test", "ü\r\n", false)), "8-bit");
        refused(RequestCodec.encode(new DeliveryRequestRecord("", List.of(), false, false, "", Ret.NONE,
                "x\r\n".getBytes(StandardCharsets.US_ASCII))), "recipient count 0");
        refused(RequestCodec.encode(new DeliveryRequestRecord("", List.of(new ReceivedMessage.Recipient("a@b.test",
                Set.of(Notify.NEVER, Notify.SUCCESS), "")), false, false, "", Ret.NONE,
                "x\r\n".getBytes(StandardCharsets.US_ASCII))), "NEVER alone");
        refused(RequestCodec.encode(new DeliveryRequestRecord("", List.of(new ReceivedMessage.Recipient("a@b.test",
                Set.of(), "")), false, false, "env id", Ret.NONE, "x\r\n".getBytes(StandardCharsets.US_ASCII))), "envid");
        byte[] badUtf8 = RequestCodec.encode(with("app@client.test", "a@dest.test", "x\r\n", true));
        int at = indexOf(badUtf8, "app@".getBytes(StandardCharsets.US_ASCII));
        badUtf8[at] = (byte) 0xC0; // an overlong form's first byte
        refused(badUtf8, "UTF-8");
    }

    private static int indexOf(byte[] in, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= in.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (in[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
