package io.postilion.transport.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.reply.SmtpReply;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Capability parsing from EHLO/LHLO replies: SESS-12, SESS-13, SESS-14, SESS-15, SESS-17. */
class EhloReplyParserTest {

    private static Capabilities plain(String... lines) {
        return EhloReplyParser.parse(SmtpReply.of(250, lines), false, DiscardedKeywords.NONE);
    }

    private static Capabilities discarding(String discard, String... lines) {
        return EhloReplyParser.parse(SmtpReply.of(250, lines), false, DiscardedKeywords.parse(discard));
    }

    @Test
    void obsoleteAuthEqualsFormAndSizeLimit_SESS12() {
        // 250-mx.example / 250-AUTH=LOGIN PLAIN / 250 SIZE 1000
        Capabilities caps = plain("mx.example", "AUTH=LOGIN PLAIN", "SIZE 1000");
        assertEquals("mx.example", caps.serverName());
        assertEquals(List.of("LOGIN", "PLAIN"), caps.authMechanisms());
        assertTrue(caps.auth());
        assertTrue(caps.size());
        assertEquals(1000, caps.sizeLimit());
        assertFalse(caps.sizeWarning());
        assertFalse(caps.pipelining());
    }

    @Test
    void sizeAbcIsWarnedAndLimitUnknown_SESS12() {
        Capabilities caps = plain("mx.example", "SIZE abc");
        assertTrue(caps.size(), "SIZE is still supported, so SIZE= is still sent");
        assertEquals(0, caps.sizeLimit(), "no local size check");
        assertTrue(caps.sizeWarning());
        assertTrue(caps.warnings().get(0).contains("abc"), caps.warnings().toString());
    }

    @Test
    void sizeWithoutOrWithZeroLimitIsSupportedWithUnknownLimit_SESS12() {
        for (String line : List.of("SIZE", "SIZE 0", "size")) {
            Capabilities caps = plain("mx", line);
            assertTrue(caps.size(), line);
            assertEquals(0, caps.sizeLimit(), line);
            assertFalse(caps.sizeWarning(), line);
        }
    }

    @Test
    void sizeTooLargeForALongIsWarnedAndUnknown_SESS12() {
        Capabilities caps = plain("mx", "SIZE 99999999999999999999999");
        assertTrue(caps.size());
        assertEquals(0, caps.sizeLimit());
        assertTrue(caps.sizeWarning());
    }

    @Test
    void keywordsAreCaseInsensitiveAndAllRecognised_SESS12() {
        Capabilities caps = plain("mx.example ESMTP hello", "pipelining", "8bitmime", "Dsn", "smtputf8",
                "EnhancedStatusCodes", "starttls", "chunking", "VRFY", "ETRN", "X-UNKNOWN-THING 1 2");
        assertTrue(caps.pipelining());
        assertTrue(caps.eightBitMime());
        assertFalse(caps.eightBitMimeImplied());
        assertTrue(caps.dsn());
        assertTrue(caps.smtpUtf8());
        assertTrue(caps.enhancedStatusCodes());
        assertTrue(caps.startTls());
        assertTrue(caps.chunking());
        assertTrue(caps.has(EhloKeyword.VRFY));
        assertFalse(caps.size());
        assertFalse(caps.auth());
        assertFalse(caps.xforwardOffered());
    }

    @Test
    void keywordEndsAtSpaceTabOrEquals_SESS12() {
        Capabilities caps = plain("mx", "AUTH\tCRAM-MD5 DIGEST-MD5", "SIZE=2048", "PIPELININGX");
        assertEquals(List.of("CRAM-MD5", "DIGEST-MD5"), caps.authMechanisms());
        assertEquals(2048, caps.sizeLimit());
        assertFalse(caps.pipelining(), "PIPELININGX is another keyword");
    }

    @Test
    void authListsOnSeveralLinesAreConcatenated_SESS12() {
        Capabilities caps = plain("mx", "AUTH LOGIN PLAIN", "AUTH=LOGIN XOAUTH2", "AUTH  SCRAM-SHA-256 ");
        assertEquals(List.of("LOGIN", "PLAIN", "XOAUTH2", "SCRAM-SHA-256"), caps.authMechanisms());
    }

    @Test
    void firstLineIsTheServerNameNotACapability_SESS12() {
        Capabilities caps = plain("PIPELINING", "SIZE 10");
        assertEquals("PIPELINING", caps.serverName());
        assertFalse(caps.pipelining());
        assertEquals(10, caps.sizeLimit());
    }

    @Test
    void emptyFinalLineFromSmtpSinkIsAccepted_SESS12() {
        // smtp-sink ends its EHLO reply with "250 " (empty text)
        Capabilities caps = plain("sink.example", "PIPELINING", "8BITMIME", "");
        assertTrue(caps.pipelining());
        assertTrue(caps.eightBitMime());
        assertEquals("sink.example", caps.serverName());

        Capabilities bare = plain("");
        assertEquals("", bare.serverName());
        assertTrue(bare.keywords().isEmpty());
    }

    @Test
    void xforwardAttributesAreRecorded_SESS12() {
        Capabilities caps = plain("mx", "XFORWARD NAME addr PROTO HELO BOGUS", "XFORWARD IDENT SOURCE PORT");
        assertTrue(caps.xforwardOffered());
        assertEquals(Set.of(XforwardAttribute.NAME, XforwardAttribute.ADDR, XforwardAttribute.PROTO,
                XforwardAttribute.HELO, XforwardAttribute.IDENT, XforwardAttribute.SOURCE, XforwardAttribute.PORT),
                caps.xforward());
    }

    @Test
    void requireTlsInPlaintextReplyIsIgnored_SESS12() {
        Capabilities caps = plain("mx", "REQUIRETLS", "STARTTLS");
        assertFalse(caps.requireTls());
        assertTrue(caps.startTls());
    }

    @Test
    void requireTlsOverTlsIsHonouredAndStartTlsIgnored_SESS12() {
        Capabilities caps = EhloReplyParser.parse(SmtpReply.of(250, "mx", "REQUIRETLS", "STARTTLS"), true,
                DiscardedKeywords.NONE);
        assertTrue(caps.requireTls());
        assertFalse(caps.startTls());
    }

    @Test
    void discardPipeliningEvenThoughAnnounced_SESS13() {
        Capabilities caps = discarding("pipelining", "mx", "PIPELINING", "SIZE 5");
        assertFalse(caps.pipelining());
        assertTrue(caps.size());
        assertEquals(Set.of(EhloKeyword.PIPELINING), caps.discarded());
        assertFalse(caps.silentDiscard());
    }

    @Test
    void discardNamesAreCaseInsensitiveAndUnknownNamesIgnored_SESS13() {
        DiscardedKeywords list = DiscardedKeywords.parse(" StartTLS, nonsense\tDSN,,8bitmime  silent-discard ");
        assertEquals(Set.of(EhloKeyword.STARTTLS, EhloKeyword.DSN, EhloKeyword.EIGHTBITMIME), list.keywords());
        assertTrue(list.silent());
        Capabilities caps = EhloReplyParser.parse(SmtpReply.of(250, "mx", "STARTTLS", "DSN", "8BITMIME",
                "PIPELINING"), false, list);
        assertFalse(caps.startTls());
        assertFalse(caps.dsn());
        assertFalse(caps.eightBitMime());
        assertTrue(caps.pipelining());
        assertTrue(caps.silentDiscard());
        assertEquals(Set.of(EhloKeyword.STARTTLS, EhloKeyword.DSN, EhloKeyword.EIGHTBITMIME), caps.discarded());
    }

    @Test
    void everyDiscardableKeywordCanBeDiscarded_SESS13() {
        String all = "8BITMIME AUTH ETRN PIPELINING SIZE VERP VRFY XCLIENT XFORWARD STARTTLS "
                + "ENHANCEDSTATUSCODES DSN SMTPUTF8 CHUNKING REQUIRETLS";
        assertEquals(Set.of(EhloKeyword.values()), DiscardedKeywords.parse(all).keywords());
        Capabilities caps = EhloReplyParser.parse(SmtpReply.of(250, "mx", "8BITMIME", "AUTH PLAIN", "SIZE 9",
                "XFORWARD NAME", "SMTPUTF8", "CHUNKING", "REQUIRETLS"), true, DiscardedKeywords.parse(all));
        assertTrue(caps.keywords().isEmpty(), caps.keywords().toString());
        assertTrue(caps.authMechanisms().isEmpty());
        assertTrue(caps.xforward().isEmpty());
        assertEquals(0, caps.sizeLimit());
        assertFalse(caps.eightBitMime());
    }

    @Test
    void chunkingIsDiscardable_CLARIFICATIONS1() {
        assertTrue(plain("mx", "CHUNKING").chunking());
        assertFalse(discarding("chunking", "mx", "CHUNKING").chunking());
    }

    @Test
    void emptyDiscardListDiscardsNothing_SESS13() {
        assertEquals(DiscardedKeywords.NONE, DiscardedKeywords.parse(""));
        assertEquals(DiscardedKeywords.NONE, DiscardedKeywords.parse(" , "));
    }

    @Test
    void lhloReplyIsReadLikeAnEhloReply_SESS14() {
        Capabilities caps = EhloReplyParser.parse(SmtpReply.of(250, "lmtp.example", "PIPELINING", "ENHANCEDSTATUSCODES"),
                false, DiscardedKeywords.parse("enhancedstatuscodes"));
        assertTrue(caps.pipelining());
        assertFalse(caps.enhancedStatusCodes());
    }

    @Test
    void serverNameComparedCaseInsensitivelyForLoopCheck_SESS15() {
        Capabilities caps = plain("MX.Example.COM Hello there", "PIPELINING");
        assertTrue(caps.serverNameIs("mx.example.com"));
        assertFalse(caps.serverNameIs("other.example.com"));
        assertFalse(plain("").serverNameIs(""));
    }

    @Test
    void smtpUtf8WithoutEightBitMimeImpliesEightBitMime_SESS17() {
        Capabilities caps = plain("mx", "SMTPUTF8");
        assertTrue(caps.eightBitMimeImplied());
        assertTrue(caps.eightBitMime());
        assertFalse(caps.has(EhloKeyword.EIGHTBITMIME));
        assertFalse(plain("mx", "SMTPUTF8", "8BITMIME").eightBitMimeImplied());
        assertFalse(plain("mx").eightBitMime());
    }

    @Test
    void heloSessionHasNoCapabilities_SESS11() {
        Capabilities none = Capabilities.none();
        assertTrue(none.keywords().isEmpty());
        assertFalse(none.eightBitMime());
        assertEquals(0, none.sizeLimit());
    }
}
