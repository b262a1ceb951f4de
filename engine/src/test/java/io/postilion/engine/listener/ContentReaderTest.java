package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ContentReaderTest {

    /** Feeds the whole input; returns the kept content, or null when the end was never seen. */
    static String read(String input, BareNewlinePolicy policy) {
        ContentReader r = new ContentReader(true, policy, 0);
        ByteBuf in = Unpooled.copiedBuffer(input, StandardCharsets.ISO_8859_1);
        try {
            ContentReader.Result res = r.feed(in);
            return res == ContentReader.Result.END ? new String(r.content(), StandardCharsets.ISO_8859_1) : null;
        } finally {
            in.release();
        }
    }

    @Test
    void dotsAreUnstuffedAndTheEndLineIsNotContent() {
        assertEquals("a\r\n.b\r\n\r\n", read("a\r\n..b\r\n\r\n.\r\n", BareNewlinePolicy.NORMALIZE));
        assertEquals("", read(".\r\n", BareNewlinePolicy.NORMALIZE));
    }

    @Test
    void onlyCrLfDotCrLfEndsData_smugglingVariantsDoNot() {
        for (String fake : new String[] {"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r.\r\n", "\n.\r"}) {
            String input = "Subject: x\r\n\r\nfirst" + fake + "MAIL FROM:<evil@x>\r\n";
            assertEquals(null, read(input, BareNewlinePolicy.NORMALIZE), "must not end at " + escape(fake));
            String ended = read(input + ".\r\n", BareNewlinePolicy.NORMALIZE);
            assertTrue(ended != null && ended.contains("MAIL FROM:<evil@x>\r\n"), escape(fake) + " -> " + ended);
            assertFalse(ended.replace("\r\n", "").contains("\n") || ended.replace("\r\n", "").contains("\r"),
                    "no bare line ends are kept: " + escape(ended));
        }
    }

    @Test
    void bareLineEndsBecomeCrLf() {
        assertEquals("a\r\nb\r\nc\r\n", read("a\nb\rc\r\n.\r\n", BareNewlinePolicy.NORMALIZE));
    }

    @Test
    void theLegacyPolicyLetsABareLfEndData() {
        assertEquals("a\r\n", read("a\n.\n", BareNewlinePolicy.NO));
    }

    @Test
    void policyYesRefusesTheFirstBareLf() {
        ContentReader r = new ContentReader(true, BareNewlinePolicy.YES, 0);
        ByteBuf in = Unpooled.copiedBuffer("ok\r\nbad\nrest", StandardCharsets.US_ASCII);
        assertEquals(ContentReader.Result.BARE_NEWLINE_REFUSED, r.feed(in));
        in.release();
    }

    @Test
    void theEndIsFoundWhateverTheSegmentation() {
        String input = "Subject: s\r\n\r\n..x\r\nline\n\r\n.\r\nNEXT";
        String whole = read(input, BareNewlinePolicy.NORMALIZE);
        for (int cut = 0; cut <= input.length(); cut++) {
            ContentReader r = new ContentReader(true, BareNewlinePolicy.NORMALIZE, 0);
            ByteBuf a = Unpooled.copiedBuffer(input.substring(0, cut), StandardCharsets.US_ASCII);
            ByteBuf b = Unpooled.copiedBuffer(input.substring(cut), StandardCharsets.US_ASCII);
            ContentReader.Result first = r.feed(a);
            ContentReader.Result second = first == ContentReader.Result.END ? first : r.feed(b);
            assertEquals(ContentReader.Result.END, second, "cut at " + cut);
            assertEquals(whole, new String(r.content(), StandardCharsets.US_ASCII), "cut at " + cut);
            assertEquals("NEXT", a.toString(StandardCharsets.US_ASCII) + b.toString(StandardCharsets.US_ASCII),
                    "cut at " + cut + ": the bytes after the end are left for the next command");
            a.release();
            b.release();
        }
    }

    @Test
    void contentOverTheSizeLimitIsCountedNotKept() {
        ContentReader r = new ContentReader(true, BareNewlinePolicy.NORMALIZE, 10);
        ByteBuf in = Unpooled.copiedBuffer("0123456789abcdef\r\n.\r\n", StandardCharsets.US_ASCII);
        assertEquals(ContentReader.Result.END, r.feed(in));
        in.release();
        assertTrue(r.oversize());
        assertEquals(18, r.size());
        assertArrayEquals(new byte[0], r.content());
    }

    @Test
    void bdatChunksAreNotUnstuffedButLineEndsAreNormalised() {
        ContentReader r = new ContentReader(false, BareNewlinePolicy.NORMALIZE, 0);
        ByteBuf a = Unpooled.copiedBuffer("..a\r\n.\r", StandardCharsets.US_ASCII);
        ByteBuf b = Unpooled.copiedBuffer("\nb\nc\r", StandardCharsets.US_ASCII);
        r.feedAll(a);
        r.feedAll(b);
        r.finishChunks();
        a.release();
        b.release();
        assertEquals("..a\r\n.\r\nb\r\nc\r\n", new String(r.content(), StandardCharsets.US_ASCII));
    }

    private static String escape(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }
}
