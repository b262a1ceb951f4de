package io.postilion.tls.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The MTA-STS policy file, TXT record and MX pattern rules (TLS-32 with RFC 8461 sections 3.1,
 * 3.2 and 4.1; the pattern rule of TLS-16), on RFC 8461's own examples and on what a hostile or
 * careless server may publish.
 */
class StsPolicyParserTest {

    /** RFC 8461 section 3.2's example policy, with the line ending given. */
    private static String rfcExample(String eol) {
        return "version: STSv1" + eol + "mode: enforce" + eol + "mx: mail.example.com" + eol + "mx: *.example.net" + eol
                + "mx: backupmx.example.com" + eol + "max_age: 604800" + eol;
    }

    private static StsPolicy parse(String text) throws InvalidStsPolicyException {
        return StsPolicyParser.parse(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void theRfcExampleParsesWithCrlfOrLf_TLS32() throws Exception {
        for (String eol : List.of("\r\n", "\n")) {
            StsPolicy p = parse(rfcExample(eol));
            assertEquals(StsMode.ENFORCE, p.mode());
            assertEquals(List.of(new MxPattern("mail.example.com"), new MxPattern("*.example.net"),
                    new MxPattern("backupmx.example.com")), p.mx());
            assertEquals(604800, p.maxAgeSeconds());
        }
        // no final line ending, blanks around values, mixed endings
        StsPolicy p = parse("version:STSv1\r\nmode:\t testing \nmx: mx.example.org\r\nmax_age: 86400");
        assertEquals(StsMode.TESTING, p.mode());
        assertEquals(86400, p.maxAgeSeconds());
    }

    @Test
    void modeNoneNeedsNoMxAndFieldsMayComeInAnyOrder_TLS32() throws Exception {
        StsPolicy p = parse("max_age: 0\nmode: none\nversion: STSv1\n");
        assertEquals(StsMode.NONE, p.mode());
        assertTrue(p.mx().isEmpty());
        assertEquals(0, p.maxAgeSeconds());
    }

    @Test
    void unknownFieldsAreIgnoredAndTheFirstOfARepeatedFieldCounts_TLS32() throws Exception {
        StsPolicy p = parse("version: STSv1\nmode: enforce\nmode: none\nx-comment: anything at all; even = this\n"
                + "mx: mx.example.com\nmax_age: 100\nmax_age: 999999999999\nversion: STSv9\n");
        assertEquals(StsMode.ENFORCE, p.mode());
        assertEquals(100, p.maxAgeSeconds());
    }

    @Test
    void maxAgeUpToAYearIsAcceptedAndMoreIsNot_TLS32() throws Exception {
        assertEquals(31557600, parse("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 31557600\n").maxAgeSeconds());
        assertThrows(InvalidStsPolicyException.class,
                () -> parse("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 31557601\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "\n",
        "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
        "Version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n",
        "version: STSv1\nmode: ENFORCE\nmx: a.example\nmax_age: 1\n",
        "version: STSv1\nmode: reject\nmx: a.example\nmax_age: 1\n",
        "version: STSv1\nmx: a.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: a.example\n",
        "mode: enforce\nmx: a.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmax_age: 1\n",
        "version: STSv1\nmode: testing\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1e6\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: \n",
        "version: STSv1\n\nmode: enforce\nmx: a.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n\n",
        "version: STSv1\rmode: enforce\rmx: a.example\rmax_age: 1\r",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nno colon here\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nbad name: x\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\n: x\n",
        "version: STSv1\nmode: enforce\nmx: *.\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: *\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: mx.*.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: -a.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: a.example.\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: a.example b.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: a_b.example\nmax_age: 1\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nx: caf\u00e9\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nx: nul\u0000\n",
    })
    void whatTheGrammarRefusesIsNoPolicy_TLS32(String text) {
        assertThrows(InvalidStsPolicyException.class, () -> parse(text), text);
    }

    @Test
    void theStsRecordOfTheRfcGivesItsId_TLS32() throws Exception {
        assertEquals(Optional.of(new StsRecord("20160831085700Z")),
                StsRecord.select(List.of("v=STSv1; id=20160831085700Z;")));
        assertEquals(Optional.of(new StsRecord("abc")),
                StsRecord.select(List.of("v=spf1 -all", "v=STSv1;id=abc", "something else")));
        assertEquals(Optional.of(new StsRecord("first")),
                StsRecord.select(List.of("v=STSv1;\tid=first ; ext-1=value ; id=second")));
    }

    @Test
    void noStsRecordMeansNoPolicy_TLS32() throws Exception {
        assertEquals(Optional.empty(), StsRecord.select(List.of()));
        // "v=STSv1" must be followed by ";" to be one of ours at all
        assertEquals(Optional.empty(), StsRecord.select(List.of("v=STSv1", "v=STSv10; id=1", "V=STSv1; id=1")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"v=STSv1;", "v=STSv1; ;id=1", "v=STSv1; id=", "v=STSv1; id=123456789012345678901234567890123",
        "v=STSv1; id=1-2", "v=STSv1; id=1; ext=a b", "v=STSv1; id=1; =x", "v=STSv1; id=1; ext=", "v=STSv1; id=1;;"})
    void aMalformedStsRecordIsNoPolicy_TLS32(String record) {
        assertThrows(InvalidStsPolicyException.class, () -> StsRecord.select(List.of(record)), record);
    }

    @Test
    void twoStsRecordsAreNoPolicy_TLS32() {
        assertThrows(InvalidStsPolicyException.class,
                () -> StsRecord.select(List.of("v=STSv1; id=1", "v=STSv1; id=2")));
    }

    @Test
    void aWildcardPatternMatchesExactlyOneMoreLeftmostLabel_TLS16() {
        MxPattern p = new MxPattern("*.Example.NET");
        assertTrue(p.matches("mx1.example.net"));
        assertTrue(p.matches("MX1.EXAMPLE.NET."));
        assertFalse(p.matches("example.net"), "the suffix alone has no first label");
        assertFalse(p.matches(".example.net"), "an empty first label");
        assertFalse(p.matches("a.mx1.example.net"), "two extra labels");
        assertFalse(p.matches("mx1.example.net.evil.test"));
        assertFalse(p.matches("mx1example.net"));
    }

    @Test
    void aPlainPatternMatchesTheWholeNameIgnoringCase_TLS16() {
        MxPattern p = new MxPattern("mail.example.com");
        assertTrue(p.matches("MAIL.example.com"));
        assertTrue(p.matches("mail.example.com."));
        assertFalse(p.matches("mx.mail.example.com"));
        assertFalse(p.matches("example.com"));
        StsPolicy policy = new StsPolicy(StsMode.ENFORCE, List.of(p, new MxPattern("*.example.net")), 60);
        assertTrue(policy.permits("x.example.net"));
        assertFalse(policy.permits("x.example.org"));
    }
}
