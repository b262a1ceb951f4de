package io.postilion.transport.reply;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Whatever a hostile server sends, the reply decoder returns well-formed replies in bounded
 * memory and never throws; bytes cut at any point give the same replies as in one piece.
 */
class ReplyDecoderFuzzTest {

    @FuzzTest(maxDuration = "45s")
    void decodeAnyBytes(FuzzedDataProvider data) {
        boolean utf8 = data.consumeBoolean();
        int cut = data.consumeInt(0, 4096);
        byte[] bytes = data.consumeRemainingAsBytes();
        String whole = decodeAll(bytes, bytes.length, utf8);
        String split = decodeAll(bytes, Math.min(cut, bytes.length), utf8);
        if (!whole.equals(split)) {
            throw new AssertionError("split at " + cut + " changed the replies:\n" + whole + "\n---\n" + split);
        }
    }

    private static String decodeAll(byte[] bytes, int cut, boolean utf8) {
        ReplyDecoder decoder = new ReplyDecoder(utf8);
        StringBuilder out = new StringBuilder();
        ByteBuf first = Unpooled.wrappedBuffer(bytes, 0, cut);
        ByteBuf second = Unpooled.wrappedBuffer(bytes, cut, bytes.length - cut);
        try {
            for (ByteBuf in : new ByteBuf[] {first, second}) {
                SmtpReply r;
                while ((r = decoder.next(in)) != null) {
                    check(r);
                    out.append(r.code()).append(' ').append(r.status()).append(' ').append(r.lines()).append('\n');
                }
                assertTrue(!in.isReadable(), "decoder left bytes unread");
            }
        } finally {
            first.release();
            second.release();
        }
        return out.toString();
    }

    private static void check(SmtpReply r) {
        assertTrue(r.code() >= 0 && r.code() <= 999, "code " + r.code());
        assertTrue(r.status().matches("[245]\\.\\d{1,3}\\.\\d{1,3}"), "status " + r.status());
        int chars = r.lines().stream().mapToInt(String::length).sum();
        assertTrue(chars <= 3 * ReplyDecoder.LINE_LIMIT, "kept " + chars + " characters");
        for (String line : r.lines()) {
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                assertTrue(c >= 0x20 && c != 0x7f, "unprintable kept: " + (int) c);
            }
        }
    }
}
