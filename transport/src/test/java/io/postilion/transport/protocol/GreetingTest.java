package io.postilion.transport.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.reply.SmtpReply;
import org.junit.jupiter.api.Test;

/** Greeting analysis: SESS-8 (ESMTP word, own-hostname warning) and SESS-18 (PIX signature). */
class GreetingTest {

    @Test
    void esmtpWordAnywhereMarksEsmtp_SESS8() {
        assertTrue(Greeting.analyze(SmtpReply.of(220, "host ESMTP")).esmtp());
        assertTrue(Greeting.analyze(SmtpReply.of(220, "host.example ESMTP Postfix (Debian)")).esmtp());
        assertTrue(Greeting.analyze(SmtpReply.of(220, "host\tesmtp ready")).esmtp());
        assertFalse(Greeting.analyze(SmtpReply.of(220, "host")).esmtp());
        assertFalse(Greeting.analyze(SmtpReply.of(220, "host Microsoft SMTP")).esmtp());
    }

    @Test
    void hyphenDoesNotSplitWords_SESS8() {
        assertFalse(Greeting.analyze(SmtpReply.of(220, "host ESMTP-like service")).esmtp());
        assertFalse(Greeting.analyze("220 host foo-ESMTP").esmtp());
    }

    @Test
    void laterLinesOfAMultiLineGreetingCount_SESS8() {
        Greeting g = Greeting.analyze(SmtpReply.of(220, "mx.example welcome", "second line ESMTP"));
        assertTrue(g.esmtp());
        assertEquals("mx.example", g.firstWord());
        assertTrue(Greeting.analyze("220-mx.example\n220 ESMTP").esmtp());
        assertEquals("mx.example", Greeting.analyze("220-mx.example\n220 ESMTP").firstWord());
    }

    @Test
    void firstWordIsForTheOwnHostnameWarning_SESS8() {
        Greeting g = Greeting.analyze(SmtpReply.of(220, "Relay.Example.org ESMTP"));
        assertEquals("Relay.Example.org", g.firstWord());
        assertTrue(g.firstWordIs("relay.example.org"));
        assertFalse(g.firstWordIs("mx.example.org"));
        assertEquals("", Greeting.analyze(SmtpReply.of(220, "")).firstWord());
        assertFalse(Greeting.analyze(SmtpReply.of(220, "")).firstWordIs(""));
    }

    @Test
    void maskedBannerIsPix_SESS18() {
        assertTrue(Greeting.analyze(SmtpReply.of(220, "*****")).pix());
        assertTrue(Greeting.analyze(SmtpReply.of(220, "********")).pix());
        assertTrue(Greeting.analyze(SmtpReply.of(220, "** 0200 **\t*")).pix());
        assertTrue(Greeting.analyze("220 ****\n220 ****").pix());
        assertFalse(Greeting.analyze(SmtpReply.of(220, "*****", "*****")).pix(),
                "a multi-line greeting has '-' after its first code");
        assertFalse(Greeting.analyze(SmtpReply.of(220, "host ESMTP")).pix());
        assertFalse(Greeting.analyze(SmtpReply.of(220, "***** x")).pix());
        assertFalse(Greeting.analyze(SmtpReply.of(220, "*****")).esmtp(), "a PIX banner is not ESMTP");
    }

    @Test
    void emptyBannerMatchesThePixSignature_SESS18() {
        // "220 " holds only '2', '0' and space: the signature test is on characters alone.
        assertTrue(Greeting.analyze(SmtpReply.of(220, "")).pix());
        assertFalse(Greeting.analyze(SmtpReply.of(220, "")).esmtp());
    }
}
