package io.postilion.transport.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.postilion.transport.reply.SmtpReply;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** RCPT TO construction: XFER-5, XFER-6, XFER-7. */
class RcptToCommandTest {

    private static final Capabilities DSN =
            EhloReplyParser.parse(SmtpReply.of(250, "mx", "DSN", "PIPELINING"), false, DiscardedKeywords.NONE);
    private static final Capabilities NO_DSN =
            EhloReplyParser.parse(SmtpReply.of(250, "mx", "PIPELINING"), false, DiscardedKeywords.NONE);

    private static String line(RecipientEnvelope r, Capabilities caps, EnvelopeOptions opts) {
        return RcptToCommand.of(r, caps, opts).line();
    }

    @Test
    void synthesizedRfc822OrcptAndNotify_XFER5() {
        RecipientEnvelope r = RecipientEnvelope.of("user@example.com").withOriginalAddress("User+x@Example.com")
                .withNotify(EnumSet.of(Notify.DELAY, Notify.SUCCESS));
        assertEquals("RCPT TO:<user@example.com> ORCPT=rfc822;User+2Bx@Example.com NOTIFY=SUCCESS,DELAY",
                line(r, DSN, EnvelopeOptions.DEFAULT));
    }

    @Test
    void notifyIsAlwaysInNeverSuccessFailureDelayOrder_XFER5() {
        RecipientEnvelope r = RecipientEnvelope.of("u@x").withNotify(Set.of(Notify.DELAY, Notify.FAILURE,
                Notify.SUCCESS, Notify.NEVER));
        assertEquals("RCPT TO:<u@x> NOTIFY=NEVER,SUCCESS,FAILURE,DELAY", line(r, DSN, EnvelopeOptions.DEFAULT));
    }

    @Test
    void nonDsnServerGetsNoOrcptOrNotify_XFER5() {
        RecipientEnvelope r = RecipientEnvelope.of("u@x").withOriginalAddress("orig@x")
                .withDsnOrcpt("rfc822;o@x").withNotify(Set.of(Notify.FAILURE));
        assertEquals("RCPT TO:<u@x>", line(r, NO_DSN, EnvelopeOptions.DEFAULT));
    }

    @Test
    void explicitOrcptWinsAndIsXtextEncodedWhole_XFER5_XFER7() {
        RecipientEnvelope r = RecipientEnvelope.of("u@x").withOriginalAddress("ignored@x")
                .withDsnOrcpt("rfc822;a+b=c d@x");
        assertEquals("RCPT TO:<u@x> ORCPT=rfc822;a+2Bb+3Dc+20d@x", line(r, DSN, EnvelopeOptions.DEFAULT));
        assertEquals("RCPT TO:<u@x> ORCPT=x400;/+C3+A9", line(RecipientEnvelope.of("u@x").withDsnOrcpt("x400;/é"),
                DSN, EnvelopeOptions.DEFAULT));
    }

    @Test
    void explicitUtf8OrcptUsesUtf8AddrXtext_XFER5() {
        RecipientEnvelope r = RecipientEnvelope.of("u@x").withDsnOrcpt("UTF-8;用户+1@example.com");
        assertEquals("RCPT TO:<u@x> ORCPT=utf-8;\\x{7528}\\x{6237}\\x{2B}1@example.com",
                line(r, DSN, EnvelopeOptions.DEFAULT));
    }

    @Test
    void utf8OrcptThatCannotBeEncodedIsOmitted_XFER5() {
        RecipientEnvelope r = RecipientEnvelope.of("u@x").withDsnOrcpt("utf-8;bad\uD800@x")
                .withNotify(Set.of(Notify.NEVER));
        assertEquals("RCPT TO:<u@x> NOTIFY=NEVER", line(r, DSN, EnvelopeOptions.DEFAULT));
    }

    @Test
    void nonAsciiOriginalWithSmtpUtf8FlagGetsUtf8Type_XFER5() {
        RecipientEnvelope r = RecipientEnvelope.of("用户@example.com").withOriginalAddress("用户@example.com");
        assertEquals("RCPT TO:<用户@example.com> ORCPT=utf-8;\\x{7528}\\x{6237}@example.com",
                line(r, DSN, EnvelopeOptions.DEFAULT.withSmtpUtf8Flagged(true)));
        assertEquals("RCPT TO:<用户@example.com> ORCPT=rfc822;+E7+94+A8+E6+88+B7@example.com",
                line(r, DSN, EnvelopeOptions.DEFAULT), "without an SMTPUTF8 flag: rfc822 and xtext of the bytes");
    }

    @Test
    void asciiOriginalStaysRfc822EvenWithSmtpUtf8Flag_XFER5() {
        RecipientEnvelope r = RecipientEnvelope.of("u@x").withOriginalAddress("o@x");
        assertEquals("RCPT TO:<u@x> ORCPT=rfc822;o@x", line(r, DSN, EnvelopeOptions.DEFAULT.withSmtpUtf8Flagged(true)));
    }

    @Test
    void synthesizedOrcptQuotesTheLocalPart_XFER5() {
        RecipientEnvelope r = RecipientEnvelope.of("u@x").withOriginalAddress("john..doe@x");
        assertEquals("RCPT TO:<u@x> ORCPT=rfc822;\"john..doe\"@x", line(r, DSN, EnvelopeOptions.DEFAULT));
    }

    @Test
    void emptyOriginalMeansNoOrcpt_XFER5() {
        assertEquals("RCPT TO:<u@x>", line(RecipientEnvelope.of("u@x"), DSN, EnvelopeOptions.DEFAULT));
    }

    @Test
    void recipientIsQuotedPerRfc5321_XFER6() {
        assertEquals("RCPT TO:<\"a\\\"b\"@example.com>",
                line(RecipientEnvelope.of("a\"b@example.com"), NO_DSN, EnvelopeOptions.DEFAULT));
        assertEquals("RCPT TO:<\"trailing.\"@example.com>",
                line(RecipientEnvelope.of("trailing.@example.com"), NO_DSN, EnvelopeOptions.DEFAULT));
        assertEquals("RCPT TO:<用户@example.com>",
                line(RecipientEnvelope.of("用户@example.com"), NO_DSN, EnvelopeOptions.DEFAULT));
    }

    @Test
    void writesLineWithCrlf_XFER5() {
        ByteBuf buf = Unpooled.buffer();
        try {
            RcptToCommand.of(RecipientEnvelope.of("u@x").withNotify(Set.of(Notify.FAILURE)), DSN,
                    EnvelopeOptions.DEFAULT).writeTo(buf);
            assertEquals("RCPT TO:<u@x> NOTIFY=FAILURE\r\n", buf.toString(StandardCharsets.US_ASCII));
        } finally {
            buf.release();
        }
    }
}
