package io.postilion.transport.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.reply.SmtpReply;
import java.util.List;
import org.junit.jupiter.api.Test;

class Smtputf8AndDowngradeTest {

    private static Capabilities caps(String... keywords) {
        String[] lines = new String[keywords.length + 1];
        lines[0] = "mx.test";
        System.arraycopy(keywords, 0, lines, 1, keywords.length);
        return EhloReplyParser.parse(SmtpReply.of(250, lines), false, DiscardedKeywords.NONE);
    }

    @Test
    void smtputf8IsRequiredOnlyWhenRequestedAndSomethingIsUtf8_DATA20() {
        assertFalse(Smtputf8.required(true, "a@x.test", false, List.of("b@y.test")));
        assertTrue(Smtputf8.required(true, "a@x.test", false, List.of("b@y.test", "用户@例子.test")));
        assertTrue(Smtputf8.required(true, "josé@x.test", false, List.of("b@y.test")));
        assertTrue(Smtputf8.required(true, "a@x.test", true, List.of("b@y.test")));
        assertFalse(Smtputf8.required(false, "josé@x.test", true, List.of("用户@例子.test")));
    }

    @Test
    void eightBitContentToASevenBitServerIsDowngraded_DATA10() {
        assertTrue(MimeDowngrade.needed(caps("PIPELINING"), BodyType.EIGHT_BIT, false, false));
        assertTrue(MimeDowngrade.needed(caps("PIPELINING"), BodyType.UNKNOWN, false, false));
    }

    @Test
    void noDowngradeFor8bitmimeServersSevenBitBodiesOrWhenDisabled_DATA10() {
        assertFalse(MimeDowngrade.needed(caps("8BITMIME"), BodyType.EIGHT_BIT, false, false));
        assertFalse(MimeDowngrade.needed(caps("SMTPUTF8"), BodyType.EIGHT_BIT, false, false), "SESS-17");
        assertFalse(MimeDowngrade.needed(caps(), BodyType.SEVEN_BIT, false, false));
        assertFalse(MimeDowngrade.needed(caps(), BodyType.EIGHT_BIT, true, false));
        assertFalse(MimeDowngrade.needed(caps(), BodyType.EIGHT_BIT, false, true));
    }
}
