package io.postilion.transport.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** RFC 5321 local-part quoting (XFER-6) and the raw UTF-8 rule (XFER-8). */
class AddressQuotingTest {

    @Test
    void doubleDotIsQuoted_XFER6() {
        assertEquals("\"john..doe\"@example.com", AddressQuoting.quote("john..doe@example.com"));
    }

    @Test
    void quoteAndBackslashAreEscapedInsideQuotes_XFER6() {
        assertEquals("\"a\\\"b\"@example.com", AddressQuoting.quote("a\"b@example.com"));
        assertEquals("\"a\\\\b\"@example.com", AddressQuoting.quote("a\\b@example.com"));
        assertEquals("\"a\\\rb\\\nc\"@example.com", AddressQuoting.quote("a\rb\nc@example.com"));
    }

    @Test
    void leadingOrTrailingDotIsQuoted_XFER6() {
        assertEquals("\"trailing.\"@example.com", AddressQuoting.quote("trailing.@example.com"));
        assertEquals("\".leading\"@example.com", AddressQuoting.quote(".leading@example.com"));
    }

    @Test
    void utf8LocalPartStaysUnquoted_XFER6_XFER8() {
        assertEquals("用户@example.com", AddressQuoting.quote("用户@example.com"));
        assertEquals("josé.müller@bücher.example", AddressQuoting.quote("josé.müller@bücher.example"));
    }

    @Test
    void ordinaryDotStringsAreLeftAlone_XFER6() {
        for (String a : new String[] {"user@example.com", "first.last+tag@example.com", "a!#$%&'*/=?^_`{|}~-@x",
            "postmaster"}) {
            assertEquals(a, AddressQuoting.quote(a), a);
        }
    }

    @Test
    void everySpecialSpaceAndControlCausesQuoting_XFER6() {
        for (char c : "<>()[]\\,;:@\" \t\u0001\u007f".toCharArray()) {
            String local = "a" + c + "b";
            assertFalse(AddressQuoting.isDotString(local), "char " + (int) c);
        }
        assertTrue(AddressQuoting.isDotString("a.b"));
        assertFalse(AddressQuoting.isDotString(""));
    }

    @Test
    void localPartEndsAtTheLastAt_XFER6() {
        assertEquals("\"a@b\"@example.com", AddressQuoting.quote("a@b@example.com"));
        assertEquals("\"\"@example.com", AddressQuoting.quote("@example.com"));
        assertEquals("\"no..at\"", AddressQuoting.quote("no..at"), "without @ the whole address is the local part");
    }

    @Test
    void domainIsNeverAltered_XFER6() {
        assertEquals("\"a b\"@[192.0.2.1]", AddressQuoting.quote("a b@[192.0.2.1]"));
        assertEquals("user@exa mple..com", AddressQuoting.quote("user@exa mple..com"));
    }

    @Test
    void nullSenderAndDisabledQuotingAreVerbatim_XFER6() {
        assertEquals("", AddressQuoting.quote(""));
        assertEquals("john..doe@example.com", AddressQuoting.quote("john..doe@example.com", false));
    }

    /** The internal form the listener stores: quotes and their escapes go, and quote() brings them back. */
    @Test
    void unquoteGivesTheInternalFormThatQuoteTurnsBack() {
        assertEquals("a b@x.test", AddressQuoting.unquote("\"a b\"@x.test"));
        assertEquals("a\"b\\c@x.test", AddressQuoting.unquote("\"a\\\"b\\\\c\"@x.test"));
        assertEquals("a@b@x.test", AddressQuoting.unquote("\"a@b\"@x.test"));
        assertEquals("first.last@x.test", AddressQuoting.unquote("first.last@x.test"));
        for (String external : new String[] {"\"a b\"@x.test", "\"a\\\"b\\\\c\"@x.test", "\"a@b\"@x.test", "plain@x.test", ""}) {
            assertEquals(external, AddressQuoting.quote(AddressQuoting.unquote(external)), external);
        }
    }
}
