package io.postilion.transport.content;

import static io.postilion.transport.content.ContentTestSupport.ALLOC;
import static io.postilion.transport.content.ContentTestSupport.encode;
import static io.postilion.transport.content.ContentTestSupport.repeat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

/** The wire encoder's rules: DATA-1..3 with CLARIFICATIONS 2 and 26. */
class WireContentEncoderTest {

    private static final int LIMIT = WireContentEncoder.DEFAULT_LINE_LENGTH_LIMIT;

    private static String data(String in, int... cuts) {
        return encode(in, ContentMode.DATA, LIMIT, cuts);
    }

    @Test
    void dotAtLineStartIsStuffed_DATA2() {
        assertEquals("Subject: x\r\n\r\n..hidden\r\n", data("Subject: x\r\n\r\n.hidden\r\n"));
    }

    @Test
    void headerLineStartingWithDotIsStuffed_DATA2() {
        assertEquals("..X-Odd: y\r\n\r\nbody\r\n", data(".X-Odd: y\r\n\r\nbody\r\n"));
    }

    @Test
    void loneDotLineIsStuffedToTwoDots_DATA2() {
        assertEquals("a\r\n..\r\nb\r\n", data("a\r\n.\r\nb\r\n"));
    }

    @Test
    void dotInsideLineIsNotStuffed_DATA2() {
        assertEquals("a.b\r\n", data("a.b\r\n"));
    }

    @Test
    void dotAtLineStartIsStuffedWhenLineStartsInNextBuffer_DATA2() {
        assertEquals("a\r\n..b\r\n", data("a\r\n.b\r\n", 3));
        assertEquals("a\r\n..b\r\n", data("a\r\n.b\r\n", 2));
    }

    @Test
    void lineOf998BytesIsSentUnbroken_DATA3() {
        String line = repeat('a', 998);
        assertEquals(line + "\r\n", data(line + "\r\n"));
    }

    @Test
    void lineOf998BytesEndingAtBufferBoundaryIsSentUnbroken_DATA3() {
        String line = repeat('a', 998);
        assertEquals(line + "\r\n", data(line + "\r\n", 998));
        assertEquals(line + "\r\n", data(line + "\r\n", 998, 999));
    }

    @Test
    void lineOf999BytesIsBrokenAfter998WithCrlfSpace_DATA3() {
        String a998 = repeat('a', 998);
        assertEquals(a998 + "\r\n a\r\n", data(a998 + "a\r\n"));
    }

    @Test
    void lineOf2000BytesBecomesThreeWireLinesContinuedWithSpace_DATA3() {
        String wire = data(repeat('x', 2000) + "\r\n");
        String[] lines = wire.substring(0, wire.length() - 2).split("\r\n", -1);
        assertEquals(3, lines.length);
        assertEquals(repeat('x', 998), lines[0]);
        // The continuation space counts as a byte of the new line: 1 + 997.
        assertEquals(" " + repeat('x', 997), lines[1]);
        assertEquals(" " + repeat('x', 5), lines[2]);
    }

    @Test
    void breakingIsTheSameWhateverTheBufferSplits_DATA3() {
        String in = repeat('x', 2000) + "\r\n";
        assertEquals(data(in), data(in, 1, 997, 998, 999, 1995, 1996, 2000, 2001));
    }

    @Test
    void stuffedDotDoesNotCountAgainstTheLimit_DATA2_DATA3() {
        String dot998 = "." + repeat('a', 997);
        assertEquals("." + dot998 + "\r\n", data(dot998 + "\r\n"));
        String dot999 = dot998 + "b";
        assertEquals("." + dot998 + "\r\n b\r\n", data(dot999 + "\r\n"));
    }

    @Test
    void continuationLineStartingWithDotIsNeverStuffed_DATA2() {
        String a998 = repeat('a', 998);
        assertEquals(a998 + "\r\n .x\r\n", data(a998 + ".x\r\n"));
    }

    @Test
    void limitZeroSendsA5000ByteLineIntact_DATA3() {
        String line = repeat('z', 5000);
        assertEquals(line + "\r\n", encode(line + "\r\n", ContentMode.DATA, 0));
    }

    @Test
    void headerLinesAreBrokenToo_DATA3() {
        String subject = "Subject: " + repeat('s', 995);
        assertEquals(subject.substring(0, 998) + "\r\n " + subject.substring(998) + "\r\n\r\nb\r\n",
                data(subject + "\r\n\r\nb\r\n"));
    }

    @Test
    void missingFinalNewlineGetsCrlf_DATA1() {
        assertEquals("abc\r\n", data("abc"));
        assertEquals("abc\r\n..\r\n", data("abc\r\n."));
    }

    @Test
    void completeLastLineGetsNoExtraCrlf_DATA1() {
        assertEquals("abc\r\n", data("abc\r\n"));
        assertEquals("", data(""));
    }

    @Test
    void bareLfBecomesCrlf_CLARIFICATION2() {
        assertEquals("a\r\nb\r\n", data("a\nb\n"));
    }

    @Test
    void bareCrBecomesCrlf_CLARIFICATION2() {
        assertEquals("a\r\nb\r\n", data("a\rb\r"));
    }

    @Test
    void bareNewlinesAroundADotCannotEndDataEarly_CLARIFICATION2() {
        assertEquals("a\r\n..\r\nb\r\n", data("a\n.\nb"));
        assertEquals("a\r\n..\r\nb\r\n", data("a\r.\rb"));
        assertEquals("a\r\n\r\n..\r\n\r\nb\r\n", data("a\r\n\r.\r\n\nb"));
    }

    @Test
    void crThenCrlfIsTwoLineEnds_CLARIFICATION2() {
        assertEquals("a\r\n\r\nb\r\n", data("a\r\r\nb"));
    }

    @Test
    void crlfSplitAcrossBuffersIsOneCrlf_CLARIFICATION2() {
        assertEquals("a\r\nb\r\n", data("a\r\nb\r\n", 2));
        assertEquals("a\r\n..b\r\n", data("a\r\n.b", 2, 3));
    }

    @Test
    void crAtEndOfContentIsOneCrlf_CLARIFICATION2() {
        assertEquals("a\r\n", data("a\r"));
    }

    @Test
    void bdatModeNeverStuffs_CLARIFICATION26() {
        assertEquals(".hidden\r\n.\r\n", encode(".hidden\n.\n", ContentMode.BDAT, LIMIT));
    }

    @Test
    void bdatModeNormalisesAndBreaksLines_CLARIFICATION2() {
        String a998 = repeat('a', 998);
        assertEquals(a998 + "\r\n .b\r\nc\r\n", encode(a998 + ".b\rc", ContentMode.BDAT, LIMIT));
    }

    @Test
    void inputNeedingNoRewritingIsPassedOnWithoutCopying_CLARIFICATION26() {
        byte[] clean = ContentTestSupport.bytes("Subject: x\r\n\r\nbody\r\n");
        ByteBuf in = io.netty.buffer.Unpooled.wrappedBuffer(clean);
        WireContentEncoder enc = new WireContentEncoder(ALLOC, ContentMode.DATA);
        ByteBuf out = enc.encode(in);
        try {
            assertTrue(out.hasArray());
            assertTrue(out.array() == clean, "expected a slice of the input");
            assertEquals(clean.length, out.readableBytes());
        } finally {
            out.release();
            in.release();
            enc.finish().release();
        }
    }

    @Test
    void crAtBufferEndIsCompletedByTheNextBufferOrByFinish_CLARIFICATION2() {
        assertEquals("a\r\nb\r\n", data("a\rb", 2));
        assertEquals("a\r\n..b\r\n", data("a\r.b", 2));
        assertEquals("a\r\n", data("a\r", 2));
        assertEquals("a\r\n\r\n", data("a\r\r", 2, 3));
    }

    @Test
    void encoderConsumesButDoesNotReleaseItsInput() {
        WireContentEncoder enc = new WireContentEncoder(ALLOC, ContentMode.DATA);
        ByteBuf in = ALLOC.buffer().writeBytes(ContentTestSupport.bytes("x\r\n"));
        ByteBuf out = enc.encode(in);
        try {
            assertFalse(in.isReadable());
            assertEquals("x\r\n", ContentTestSupport.latin1(ContentTestSupport.drain(out.retain())));
            in.release();
            assertEquals(1, out.refCnt());
            out.release();
            out = null;
            in = null;
        } finally {
            if (in != null) {
                in.release();
            }
            if (out != null) {
                out.release();
            }
            enc.finish().release();
        }
    }

    @Test
    void endOfDataIsDotCrlf_DATA4() {
        assertEquals(".\r\n", ContentTestSupport.latin1(ContentTestSupport.drain(WireContentEncoder.endOfData(ALLOC))));
    }

    @Test
    void firstBreakIsReportedForLogging_DATA3() {
        WireContentEncoder enc = new WireContentEncoder(ALLOC, ContentMode.DATA, 4);
        ByteBuf in = ALLOC.buffer().writeBytes(ContentTestSupport.bytes("abcd"));
        try {
            enc.encode(in).release();
            assertFalse(enc.brokeLongLine());
            in.clear().writeByte('e');
            enc.encode(in).release();
            assertTrue(enc.brokeLongLine());
        } finally {
            in.release();
            enc.finish().release();
        }
    }

    @Test
    void limitOfOneIsRejectedBecauseContinuationLinesCouldNotProgress() {
        assertThrows(IllegalArgumentException.class, () -> new WireContentEncoder(ALLOC, ContentMode.DATA, 1));
    }

    @Test
    void smallLimitBreaksRepeatedly_DATA3() {
        assertEquals("abc\r\n de\r\n fg\r\n", encode("abcdefg", ContentMode.DATA, 3));
    }
}
