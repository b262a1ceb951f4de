package io.postilion.transport.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyDecoderTest {

    private static List<SmtpReply> decode(String wire) {
        EmbeddedChannel ch = new EmbeddedChannel(new ReplyDecoder());
        ch.writeInbound(Unpooled.copiedBuffer(wire, StandardCharsets.ISO_8859_1));
        List<SmtpReply> out = new ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            out.add((SmtpReply) o);
        }
        ch.finishAndReleaseAll();
        return out;
    }

    private static SmtpReply one(String wire) {
        List<SmtpReply> replies = decode(wire);
        assertEquals(1, replies.size(), "replies in " + wire);
        return replies.get(0);
    }

    @Test
    void multiLineReplyTakesCodeAndStatusFromTheLastLine_REPLY2() {
        SmtpReply r = one("250-first\r\n250 2.0.0 ok\r\n");
        assertEquals(250, r.code());
        assertEquals("2.0.0", r.status());
        assertEquals(List.of("first", "2.0.0 ok"), r.lines());
        assertEquals("250-first 250 2.0.0 ok", r.text(), "each line whole, as Postfix quotes it");
    }

    @Test
    void enhancedStatusOfMatchingClassIsUsed_REPLY5() {
        assertEquals("5.1.1", one("550 5.1.1 <x>: user unknown\r\n").status());
    }

    @Test
    void missingEnhancedStatusBecomesClassDotZeroDotZero_REPLY5() {
        assertEquals("5.0.0", one("550 user unknown\r\n").status());
        assertEquals("2.0.0", one("250 Ok\r\n").status());
    }

    @Test
    void enhancedStatusOfOtherClassIsIgnored_REPLY5() {
        assertEquals("5.0.0", one("550 4.7.1 mixed\r\n").status());
    }

    @Test
    void enhancedStatusOnlyOnFirstLineGivesClassDotZeroDotZero_REPLY5() {
        assertEquals("4.0.0", one("451-4.7.1 a\r\n451 b\r\n").status());
    }

    @Test
    void codesOutsideTwoFourFiveGetProtocolErrorStatus_REPLY5() {
        assertEquals("5.5.0", one("354 go ahead\r\n").status());
        assertEquals("5.5.0", one("600 what\r\n").status());
    }

    @Test
    void softOrHardIsDecidedByTheEnhancedStatus_REPLY7() {
        assertTrue(one("450 4.2.0 busy\r\n").isSoft());
        assertFalse(one("550 4.7.1 mixed\r\n").isSoft());
    }

    @Test
    void bareLfAndSeveralCrsEndALine_REPLY1() {
        List<SmtpReply> r = decode("250-a\n250-b\r\r\n250 c\r\n");
        assertEquals(1, r.size());
        assertEquals(List.of("a", "b", "c"), r.get(0).lines());
    }

    @Test
    void codeAloneOnTheLineEndsTheReply_REPLY2() {
        SmtpReply r = one("250-smtp-sink\r\n250-PIPELINING\r\n250 \r\n");
        assertEquals(List.of("smtp-sink", "PIPELINING", ""), r.lines());
        SmtpReply bare = one("250\r\n");
        assertEquals(250, bare.code());
        assertEquals(List.of(""), bare.lines());
    }

    @Test
    void garbageLineIsKeptAsTextAndFlagged_XFER29() {
        SmtpReply r = one("hello\r\n250 ok\r\n");
        assertEquals(250, r.code());
        assertTrue(r.garbage());
        assertEquals(List.of("hello", "ok"), r.lines());
        assertFalse(one("250 ok\r\n").garbage());
    }

    @Test
    void unprintableBytesBecomeQuestionMarks_REPLY1() {
        assertEquals("a?b?c", one("250 a\u0001b\u00e9c\r\n").lines().get(0));
    }

    @Test
    void validUtf8IsKeptWhenSmtputf8IsOn_REPLY1() {
        EmbeddedChannel ch = new EmbeddedChannel(new ReplyDecoder(true));
        ch.writeInbound(Unpooled.copiedBuffer("250 2.0.0 ok für dich\r\n", StandardCharsets.UTF_8));
        SmtpReply r = ch.readInbound();
        assertEquals("2.0.0 ok für dich", r.lines().get(0));
        ch.finishAndReleaseAll();
    }

    @Test
    void overlongLineIsTruncatedAndTheRestSkipped_REPLY1() {
        SmtpReply r = one("250 " + "x".repeat(10_000) + "\r\n");
        assertEquals(250, r.code());
        assertTrue(r.truncated());
        assertEquals(ReplyDecoder.LINE_LIMIT - 4, r.lines().get(0).length());
    }

    @Test
    void aMillionLineReplyIsReadInBoundedMemory_CLARIFICATIONS9() {
        ReplyDecoder decoder = new ReplyDecoder();
        ByteBuf chunk = Unpooled.copiedBuffer("250-" + "k".repeat(60) + "\r\n".repeat(1), StandardCharsets.US_ASCII);
        try {
            for (int i = 0; i < 1_000_000; i++) {
                assertNull(decoder.next(chunk.duplicate()));
            }
        } finally {
            chunk.release();
        }
        ByteBuf end = Unpooled.copiedBuffer("250 2.0.0 done\r\n", StandardCharsets.US_ASCII);
        SmtpReply r = decoder.next(end);
        end.release();
        assertEquals("2.0.0", r.status());
        assertTrue(r.truncated());
        assertTrue(r.lines().size() < 100, "kept " + r.lines().size() + " lines");
        assertEquals("2.0.0 done", r.lines().get(r.lines().size() - 1));
    }

    @Test
    void replySplitAcrossReadsIsReassembled() {
        EmbeddedChannel ch = new EmbeddedChannel(new ReplyDecoder());
        for (String piece : new String[] {"25", "0-mx.exa", "mple\r", "\n250 SIZE 1", "000\r\n354 go\r\n"}) {
            ch.writeInbound(Unpooled.copiedBuffer(piece, StandardCharsets.US_ASCII));
        }
        SmtpReply a = ch.readInbound();
        SmtpReply b = ch.readInbound();
        assertEquals(List.of("mx.example", "SIZE 1000"), a.lines());
        assertEquals(354, b.code());
        ch.finishAndReleaseAll();
    }

    @Test
    void pipelinedRepliesInOneReadComeOutInOrder_XFER20() {
        List<SmtpReply> r = decode("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no\r\n354 go\r\n");
        assertEquals(List.of(250, 250, 550, 354), r.stream().map(SmtpReply::code).toList());
    }
}
