package io.postilion.transport.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** xtext (XFER-7) and RFC 6533 utf-8-addr-xtext for utf-8 ORCPT (XFER-5). */
class XtextTest {

    @Test
    void plusAndEqualsAreEncodedForDsn_XFER7() {
        assertEquals("rfc822;User+2Bx@Example.com", Xtext.encode("rfc822;User+x@Example.com"));
        assertEquals("a+3Db", Xtext.encode("a=b"));
        assertEquals("a=b", Xtext.encode("a=b", ""), "= is special only where listed; + always is");
        assertEquals("+2B", Xtext.encode("+", ""));
    }

    @Test
    void spaceControlsAndHighBytesBecomeUpperCaseHex_XFER7() {
        assertEquals("a+20b+09c+7F+00", Xtext.encode("a b\tc\u007f\0"));
        assertEquals("+C3+A9", Xtext.encode("é"), "UTF-8 bytes, upper-case hex");
        assertEquals("!~\"", Xtext.encode("!~\""));
    }

    @Test
    void xtextOutputIsAlwaysPrintableAscii_XFER7() {
        String out = Xtext.encode("\r\n\u0000用户 +=\uD83D\uDE00");
        assertTrue(out.chars().allMatch(c -> c > 0x20 && c < 0x7f), out);
    }

    @Test
    void utf8AddrXtextEscapesNonAsciiAndSpecials_XFER5() {
        assertEquals(Optional.of("\\x{7528}\\x{6237}@example.com"), Utf8AddrXtext.encode("用户@example.com"));
        assertEquals(Optional.of("a\\x{2B}b\\x{3D}c\\x{5C}d\\x{20}e"), Utf8AddrXtext.encode("a+b=c\\d e"));
        assertEquals(Optional.of("\\x{E9}\\x{1F600}"), Utf8AddrXtext.encode("é\uD83D\uDE00"));
        assertEquals(Optional.of("\\x{0A}"), Utf8AddrXtext.encode("\n"));
    }

    @Test
    void utf8AddrXtextFailsOnInvalidUnicode_XFER5() {
        assertEquals(Optional.empty(), Utf8AddrXtext.encode("a\uD800b"));
        assertEquals(Optional.empty(), Utf8AddrXtext.encode("\uDC00"));
        assertEquals(Optional.empty(), Utf8AddrXtext.encode("a\uD83D"));
    }
}
