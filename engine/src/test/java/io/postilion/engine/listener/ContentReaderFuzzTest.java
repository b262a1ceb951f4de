package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Fuzzes the listener's content reader, the parser that decides where a client's message ends.
 * For any bytes and any split of them into two reads: no exception, the same end and the same
 * content as when read in one piece, and no bare CR or LF in what is kept (so nothing this relay
 * forwards can end DATA early at the next server). In a normal build this replays the seeds
 * under {@code ContentReaderFuzzTestInputs/readAnyClientContent}.
 */
class ContentReaderFuzzTest {

    // With JAZZER_FUZZ=1 this fuzzes; keep the run under the build's 60 s JUnit default timeout.
    @FuzzTest(maxDuration = "30s")
    void readAnyClientContent(FuzzedDataProvider data) {
        BareNewlinePolicy policy = data.consumeBoolean() ? BareNewlinePolicy.NORMALIZE : BareNewlinePolicy.NO;
        boolean dotStuffed = data.consumeBoolean();
        byte[] input = data.consumeRemainingAsBytes();
        int cut = input.length == 0 ? 0 : Math.floorMod(input[0], input.length + 1);

        Outcome whole = read(policy, dotStuffed, input, input.length);
        Outcome split = read(policy, dotStuffed, input, cut);
        assertEquals(whole.result, split.result, "the split changed the end");
        assertEquals(whole.consumed, split.consumed, "the split changed where the message ends");
        assertArrayEquals(whole.content, split.content, "the split changed the content");
        if (policy == BareNewlinePolicy.NORMALIZE) {
            byte[] c = whole.content;
            for (int i = 0; i < c.length; i++) {
                if (c[i] == '\r') {
                    assertTrue(i + 1 < c.length && c[i + 1] == '\n', "bare CR kept at " + i);
                } else if (c[i] == '\n') {
                    assertTrue(i > 0 && c[i - 1] == '\r', "bare LF kept at " + i);
                }
            }
        }
    }

    private record Outcome(ContentReader.Result result, int consumed, byte[] content) {
    }

    private static Outcome read(BareNewlinePolicy policy, boolean dotStuffed, byte[] input, int cut) {
        ContentReader r = new ContentReader(dotStuffed, policy, 0);
        ByteBuf a = Unpooled.wrappedBuffer(input, 0, cut);
        ByteBuf b = Unpooled.wrappedBuffer(input, cut, input.length - cut);
        try {
            ContentReader.Result res;
            if (dotStuffed) {
                res = r.feed(a);
                if (res == ContentReader.Result.MORE) {
                    res = r.feed(b);
                }
            } else {
                r.feedAll(a);
                r.feedAll(b);
                r.finishChunks();
                res = ContentReader.Result.MORE;
            }
            int consumed = a.readerIndex() + b.readerIndex();
            return new Outcome(res, consumed, r.content());
        } finally {
            a.release();
            b.release();
        }
    }
}
