package io.postilion.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the request parser: for any bytes, {@link RequestCodec#parse} either refuses them with a
 * {@link BadRequestException} (never another exception, which would stop the consumer's thread)
 * or returns a record whose encoding is exactly the input (one form per request, so nothing was
 * read loosely), and whose content has no bare CR or LF. In a normal build this replays the seeds
 * under {@code RequestCodecFuzzTestInputs/anyRecordValue}.
 */
class RequestCodecFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void anyRecordValue(FuzzedDataProvider data) {
        boolean framed = data.consumeBoolean();
        byte[] body = data.consumeRemainingAsBytes();
        byte[] value = body;
        if (framed) { // most random bytes fail at the magic; give the rest of the parser a chance
            value = new byte[body.length + 5];
            value[0] = 'P';
            value[1] = 'S';
            value[2] = 'T';
            value[3] = 'R';
            value[4] = 1;
            System.arraycopy(body, 0, value, 5, body.length);
        }
        DeliveryRequestRecord r;
        try {
            r = RequestCodec.parse(value);
        } catch (BadRequestException e) {
            assertFalse(e.getMessage().isEmpty());
            return;
        }
        assertArrayEquals(value, RequestCodec.encode(r), "parsed loosely: the record does not encode back to its input");
        byte[] c = r.content();
        for (int i = 0; i < c.length; i++) {
            assertFalse(c[i] == '\n' && (i == 0 || c[i - 1] != '\r'), "a bare LF got through");
        }
    }
}
