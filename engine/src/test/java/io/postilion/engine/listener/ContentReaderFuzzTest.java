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
 * forwards can end DATA early at the next server). Read one byte at a time, under any size limit,
 * the reader must also agree with reading in one piece: the runs it copies whole stop where the
 * byte-by-byte machine would have changed state, and count against message_size_limit alike. In a normal build this replays the seeds
 * under {@code ContentReaderFuzzTestInputs/readAnyClientContent}.
 */
class ContentReaderFuzzTest {

    // With JAZZER_FUZZ=1 this fuzzes; keep the run under the build's 60 s JUnit default timeout.
    @FuzzTest(maxDuration = "30s")
    void readAnyClientContent(FuzzedDataProvider data) {
        BareNewlinePolicy policy = data.consumeBoolean() ? BareNewlinePolicy.NORMALIZE : BareNewlinePolicy.NO;
        boolean dotStuffed = data.consumeBoolean();
        long limit = data.consumeBoolean() ? data.consumeInt(1, 300) : 0;
        byte[] input = data.consumeRemainingAsBytes();
        int cut = input.length == 0 ? 0 : Math.floorMod(input[0], input.length + 1);

        Outcome whole = read(policy, dotStuffed, input, input.length);
        Outcome split = read(policy, dotStuffed, input, cut);
        assertEquals(whole.result, split.result, "the split changed the end");
        assertEquals(whole.consumed, split.consumed, "the split changed where the message ends");
        assertArrayEquals(whole.content, split.content, "the split changed the content");
        Outcome limitedWhole = read(policy, dotStuffed, input, input.length, limit, false);
        Outcome bytewise = read(policy, dotStuffed, input, 0, limit, true);
        assertEquals(limitedWhole, bytewise, "reading one byte at a time changed the outcome");
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

    private record Outcome(ContentReader.Result result, int consumed, byte[] content, long size, boolean oversize) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Outcome x && result == x.result && consumed == x.consumed
                    && java.util.Arrays.equals(content, x.content) && size == x.size && oversize == x.oversize;
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(content);
        }

        @Override
        public String toString() {
            return result + " consumed=" + consumed + " size=" + size + " oversize=" + oversize + " content="
                    + new String(content, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    private static Outcome read(BareNewlinePolicy policy, boolean dotStuffed, byte[] input, int cut) {
        return read(policy, dotStuffed, input, cut, 0, false);
    }

    /** Reads {@code input} in two pieces cut at {@code cut}, or, {@code bytewise}, one byte per read. */
    private static Outcome read(BareNewlinePolicy policy, boolean dotStuffed, byte[] input, int cut, long limit,
            boolean bytewise) {
        if (bytewise) {
            ContentReader r = new ContentReader(dotStuffed, policy, limit);
            ContentReader.Result res = ContentReader.Result.MORE;
            int consumed = 0;
            for (int i = 0; i < input.length && res == ContentReader.Result.MORE; i++) {
                ByteBuf one = Unpooled.wrappedBuffer(input, i, 1);
                try {
                    if (dotStuffed) {
                        res = r.feed(one);
                    } else {
                        r.feedAll(one);
                    }
                    consumed += one.readerIndex();
                } finally {
                    one.release();
                }
            }
            if (!dotStuffed) {
                r.finishChunks();
            }
            return new Outcome(res, consumed, r.content(), r.size(), r.oversize());
        }
        ContentReader r = new ContentReader(dotStuffed, policy, limit);
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
            return new Outcome(res, consumed, r.content(), r.size(), r.oversize());
        } finally {
            a.release();
            b.release();
        }
    }
}
