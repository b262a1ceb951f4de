package io.postilion.transport.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.postilion.transport.reply.SmtpReply;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** MAIL FROM construction: XFER-3, XFER-4, XFER-6, XFER-8, SESS-17. */
class MailFromCommandTest {

    private static Capabilities server(boolean overTls, String... keywords) {
        String[] lines = new String[keywords.length + 1];
        lines[0] = "mx.example";
        System.arraycopy(keywords, 0, lines, 1, keywords.length);
        return EhloReplyParser.parse(SmtpReply.of(250, lines), overTls, DiscardedKeywords.NONE);
    }

    private static final Capabilities EVERYTHING =
            server(true, "SIZE 100000", "8BITMIME", "DSN", "SMTPUTF8", "REQUIRETLS", "AUTH PLAIN");

    private static final SenderEnvelope FULL = SenderEnvelope.of("a@b").withSize(123)
            .withBodyType(BodyType.EIGHT_BIT).withEnvId("x").withRet(Ret.HDRS).withSmtpUtf8(true)
            .withRequireTls(true);

    private static String line(SenderEnvelope env, Capabilities caps, EnvelopeOptions opts) {
        return MailFromCommand.of(env, caps, opts).line();
    }

    @Test
    void parametersInFixedOrderWhenAllApply_XFER3() {
        assertEquals("MAIL FROM:<a@b> SIZE=123 BODY=8BITMIME ENVID=x RET=HDRS SMTPUTF8 REQUIRETLS AUTH=<>",
                line(FULL, EVERYTHING, EnvelopeOptions.DEFAULT.withSendDummyAuth(true)));
    }

    @Test
    void nothingAnnouncedMeansBareCommand_XFER3() {
        assertEquals("MAIL FROM:<a@b>",
                line(FULL, Capabilities.none(), EnvelopeOptions.DEFAULT));
    }

    @Test
    void nullSenderIsEmptyBrackets_XFER4() {
        assertEquals("MAIL FROM:<>", line(SenderEnvelope.of(""), server(false), EnvelopeOptions.DEFAULT));
        assertEquals("MAIL FROM:<> SIZE=5", line(SenderEnvelope.of("").withSize(5), server(false, "SIZE"),
                EnvelopeOptions.DEFAULT));
    }

    @Test
    void sizeOnlyWithServerSizeAndNoDowngrade_XFER3() {
        SenderEnvelope env = SenderEnvelope.of("a@b").withSize(4711);
        assertEquals("MAIL FROM:<a@b> SIZE=4711", line(env, server(false, "SIZE"), EnvelopeOptions.DEFAULT));
        assertEquals("MAIL FROM:<a@b> SIZE=4711", line(env, server(false, "SIZE abc"), EnvelopeOptions.DEFAULT),
                "SIZE abc: the parameter is still sent");
        assertEquals("MAIL FROM:<a@b>", line(env, server(false, "SIZE"),
                EnvelopeOptions.DEFAULT.withMimeDowngrade(true)));
        assertEquals("MAIL FROM:<a@b>", line(env, server(false), EnvelopeOptions.DEFAULT));
    }

    @Test
    void bodyFollowsMessageEncodingWhenServerHas8BitMime_XFER3() {
        Capabilities caps = server(false, "8BITMIME");
        SenderEnvelope env = SenderEnvelope.of("a@b");
        assertEquals("MAIL FROM:<a@b> BODY=8BITMIME", line(env.withBodyType(BodyType.EIGHT_BIT), caps,
                EnvelopeOptions.DEFAULT));
        assertEquals("MAIL FROM:<a@b> BODY=7BIT", line(env.withBodyType(BodyType.SEVEN_BIT), caps,
                EnvelopeOptions.DEFAULT));
        assertEquals("MAIL FROM:<a@b>", line(env.withBodyType(BodyType.UNKNOWN), caps, EnvelopeOptions.DEFAULT));
        assertEquals("MAIL FROM:<a@b>", line(env.withBodyType(BodyType.EIGHT_BIT), server(false),
                EnvelopeOptions.DEFAULT));
    }

    @Test
    void smtpUtf8WithoutEightBitMimeStillSendsBody8BitMime_SESS17() {
        assertEquals("MAIL FROM:<a@b> BODY=8BITMIME",
                line(SenderEnvelope.of("a@b").withBodyType(BodyType.EIGHT_BIT), server(false, "SMTPUTF8"),
                        EnvelopeOptions.DEFAULT));
    }

    @Test
    void nonDsnServerGetsNoEnvidOrRet_XFER3() {
        Capabilities noDsn = server(true, "SIZE", "8BITMIME", "SMTPUTF8", "REQUIRETLS");
        assertEquals("MAIL FROM:<a@b> SIZE=123 BODY=8BITMIME SMTPUTF8 REQUIRETLS",
                line(FULL, noDsn, EnvelopeOptions.DEFAULT));
    }

    @Test
    void envidIsXtextEncodedAndRetFull_XFER3_XFER7() {
        assertEquals("MAIL FROM:<a@b> ENVID=q+2B1+3D2+20x RET=FULL",
                line(SenderEnvelope.of("a@b").withEnvId("q+1=2 x").withRet(Ret.FULL), server(false, "DSN"),
                        EnvelopeOptions.DEFAULT));
    }

    @Test
    void relaxedRequireTlsForcesRetHdrs_XFER3() {
        SenderEnvelope env = SenderEnvelope.of("a@b").withRet(Ret.FULL).withRequireTls(true);
        assertEquals("MAIL FROM:<a@b> RET=HDRS", line(env, server(true, "DSN"),
                EnvelopeOptions.DEFAULT.withRequireTlsRelaxed(true)));
        assertEquals("MAIL FROM:<a@b> RET=HDRS", line(env.withRet(Ret.NONE), server(true, "DSN"),
                EnvelopeOptions.DEFAULT.withRequireTlsRelaxed(true)));
        assertEquals("MAIL FROM:<a@b>", line(env, server(true), EnvelopeOptions.DEFAULT.withRequireTlsRelaxed(true)),
                "RET needs DSN even when relaxing");
    }

    @Test
    void smtpUtf8NeedsServerAndRequest_XFER3() {
        Capabilities caps = server(false, "SMTPUTF8", "8BITMIME");
        assertEquals("MAIL FROM:<a@b> SMTPUTF8", line(SenderEnvelope.of("a@b").withSmtpUtf8(true), caps,
                EnvelopeOptions.DEFAULT));
        assertEquals("MAIL FROM:<a@b>", line(SenderEnvelope.of("a@b"), caps, EnvelopeOptions.DEFAULT));
        assertEquals("MAIL FROM:<a@b>", line(SenderEnvelope.of("a@b").withSmtpUtf8(true), server(false),
                EnvelopeOptions.DEFAULT));
    }

    @Test
    void requireTlsOnlyOverTlsAndNotDisabled_XFER3_SESS12() {
        SenderEnvelope env = SenderEnvelope.of("a@b").withRequireTls(true);
        assertEquals("MAIL FROM:<a@b> REQUIRETLS", line(env, server(true, "REQUIRETLS"), EnvelopeOptions.DEFAULT));
        assertEquals("MAIL FROM:<a@b>", line(env, server(false, "REQUIRETLS"), EnvelopeOptions.DEFAULT),
                "announced in plaintext: ignored");
        assertEquals("MAIL FROM:<a@b>", line(env, server(true, "REQUIRETLS"),
                EnvelopeOptions.DEFAULT.withRequireTlsDisabled(true)));
        assertEquals("MAIL FROM:<a@b>", line(SenderEnvelope.of("a@b"), server(true, "REQUIRETLS"),
                EnvelopeOptions.DEFAULT));
    }

    @Test
    void senderIsQuotedUnlessDisabled_XFER4_XFER6() {
        assertEquals("MAIL FROM:<\"john..doe\"@example.com>",
                line(SenderEnvelope.of("john..doe@example.com"), server(false), EnvelopeOptions.DEFAULT));
        assertEquals("MAIL FROM:<john..doe@example.com>", line(SenderEnvelope.of("john..doe@example.com"),
                server(false), EnvelopeOptions.DEFAULT.withQuoteRfc821(false)));
    }

    @Test
    void writesAsciiLineWithCrlf_XFER3() {
        ByteBuf buf = Unpooled.buffer();
        try {
            int n = MailFromCommand.of(SenderEnvelope.of("a@b").withSize(9), server(false, "SIZE"),
                    EnvelopeOptions.DEFAULT).writeTo(buf);
            assertEquals("MAIL FROM:<a@b> SIZE=9\r\n", buf.toString(StandardCharsets.US_ASCII));
            assertEquals(n, buf.readableBytes());
        } finally {
            buf.release();
        }
    }

    @Test
    void utf8SenderIsSentAsRawUtf8Bytes_XFER8() {
        ByteBuf buf = Unpooled.buffer();
        try {
            MailFromCommand.of(SenderEnvelope.of("用户@例子.example").withSmtpUtf8(true), server(false, "SMTPUTF8"),
                    EnvelopeOptions.DEFAULT).writeTo(buf);
            byte[] expected = "MAIL FROM:<用户@例子.example> SMTPUTF8\r\n".getBytes(StandardCharsets.UTF_8);
            assertEquals(ByteBufUtil.hexDump(expected), ByteBufUtil.hexDump(buf));
        } finally {
            buf.release();
        }
    }
}
