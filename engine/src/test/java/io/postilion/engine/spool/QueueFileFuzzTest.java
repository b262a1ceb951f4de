package io.postilion.engine.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Notify;
import io.postilion.transport.protocol.Ret;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Fuzzes the queue file decoders that recovery and {@code postilion cat} run on bytes read from
 * the disk: the whole-file decoder, the envelope-only decoder recovery uses so a restart never
 * reads bodies, and the status record reader. Inputs are raw bytes, or a real queue file built
 * from fuzzed envelope fields and then damaged (a byte changed, the tail cut). For any bytes each
 * decoder answers or refuses with CorruptQueueFile, never another exception; whatever the whole
 * decoder accepts, the envelope decoder reads the same way; and an undamaged file decodes to the
 * message it was made from. In a normal build this replays the seeds under
 * {@code QueueFileFuzzTestInputs/anyQueueFileBytes}.
 */
class QueueFileFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void anyQueueFileBytes(FuzzedDataProvider data) {
        byte[] bytes;
        ReceivedMessage made = null;
        if (data.consumeBoolean()) {
            made = message(data);
            bytes = QueueFile.encode(made).bytes();
            int damage = data.consumeInt(0, 2);
            if (damage == 1 && bytes.length > 0) {
                bytes[data.consumeInt(0, bytes.length - 1)] ^= (byte) data.consumeInt(1, 255);
                made = null;
            } else if (damage == 2) {
                bytes = java.util.Arrays.copyOf(bytes, data.consumeInt(0, bytes.length));
                made = null;
            }
        } else {
            bytes = data.consumeRemainingAsBytes();
        }
        QueueFile.Decoded whole = null;
        try {
            whole = QueueFile.decode(bytes);
        } catch (QueueFile.CorruptQueueFile refused) {
            // a clear refusal is the right answer to damage
        }
        QueueFile.Decoded head = null;
        try {
            head = QueueFile.decodeHead(ByteBuffer.wrap(bytes));
        } catch (QueueFile.CorruptQueueFile refused) {
            // likewise
        }
        QueueFile.statusRecord(bytes); // null or a status, never an exception
        if (whole != null) {
            assertNotNull(head, "the whole file decoded, its envelope did not");
            assertEquals(whole.envelope().queueId(), head.envelope().queueId());
            assertEquals(whole.envelope().sender(), head.envelope().sender());
            assertEquals(whole.envelope().recipients(), head.envelope().recipients());
            assertEquals(whole.contentOffset(), head.contentOffset());
            assertEquals(whole.contentLength(), head.contentLength());
        }
        if (made != null) {
            assertNotNull(whole, "an undamaged queue file was refused");
            ReceivedMessage back = whole.envelope();
            assertEquals(made.queueId(), back.queueId());
            assertEquals(made.sender(), back.sender());
            assertEquals(made.recipients(), back.recipients());
            assertEquals(made.envId(), back.envId());
            assertEquals(made.client(), back.client());
            assertEquals(made.content().length, whole.contentLength());
            assertEquals(new String(made.content(), StandardCharsets.ISO_8859_1), new String(bytes,
                    (int) whole.contentOffset(), (int) whole.contentLength(), StandardCharsets.ISO_8859_1));
        }
    }

    /** Text as the listener hands it over: valid Unicode (it decodes bytes, so no lone surrogate). */
    private static String text(FuzzedDataProvider data, int max) {
        return new String(data.consumeString(max).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    private static ReceivedMessage message(FuzzedDataProvider data) {
        List<ReceivedMessage.Recipient> rcpts = new ArrayList<>();
        int n = data.consumeInt(1, 4);
        for (int i = 0; i < n; i++) {
            rcpts.add(new ReceivedMessage.Recipient(text(data, 40), data.consumeBoolean()
                    ? Set.of(Notify.SUCCESS, Notify.FAILURE) : Set.of(), text(data, 40)));
        }
        return new ReceivedMessage(text(data, 20), text(data, 40), rcpts,
                data.consumeBoolean() ? BodyType.EIGHT_BIT : BodyType.SEVEN_BIT, data.consumeBoolean(),
                text(data, 20), data.consumeBoolean() ? Ret.HDRS : Ret.NONE, data.consumeBytes(200),
                new ReceivedMessage.Client(text(data, 20), text(data, 20), data.consumeBoolean(),
                        text(data, 20)),
                Instant.ofEpochMilli(data.consumeLong(0, 4_000_000_000_000L)));
    }
}
