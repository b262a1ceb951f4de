package io.postilion.engine.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.rewrite.ContentChecks.HeaderClass;
import io.postilion.engine.rewrite.ContentChecks.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DATA-30: the actions of the header and body check tables. */
class ContentChecksTest {

    private final RecordingLog log = new RecordingLog();

    private ContentChecks headers(String... lines) {
        return new ContentChecks(RewriteSettings.none().withHeaderChecks(Tables.regexp(lines)), "4QID", log);
    }

    @Test
    void warnAndInfoLogAndKeepTheLine_DATA30() {
        ContentChecks c = headers("/^Subject: hi/ WARN greeting seen", "/^X-Info:/ INFO");
        assertEquals(new Verdict("Subject: hi", null), c.header(HeaderClass.PRIMARY, "Subject: hi"));
        assertEquals(new Verdict("X-Info: 1", null), c.header(HeaderClass.PRIMARY, "X-Info: 1"));
        assertEquals(List.of("4QID: warning: header Subject: hi: greeting seen", "4QID: info: header X-Info: 1"), log.infos);
    }

    @Test
    void replaceSwapsTheHeaderOnlyForHeaderLikeText_DATA30() {
        ContentChecks c = headers("/^Subject:/ REPLACE Subject: [ext] replaced", "/^X-Bad:/ REPLACE not a header");
        assertEquals("Subject: [ext] replaced", c.header(HeaderClass.PRIMARY, "Subject: hi").text());
        assertEquals("X-Bad: 1", c.header(HeaderClass.PRIMARY, "X-Bad: 1").text());
        assertTrue(log.warnings.get(0).startsWith("bad REPLACE header text \"not a header\" in smtp_header_checks map"));
    }

    @Test
    void prependInsertsALineBeforeTheHeader_DATA30() {
        Verdict v = headers("/^Subject:/ PREPEND X-Seen: yes").header(HeaderClass.PRIMARY, "Subject: hi");
        assertEquals(new Verdict("Subject: hi", "X-Seen: yes"), v);
    }

    @Test
    void stripDeletesAndLogsIgnoreDeletesQuietly_DATA30() {
        ContentChecks c = headers("/^X-Secret:/ STRIP internal", "/^X-Quiet:/ IGNORE");
        assertNull(c.header(HeaderClass.PRIMARY, "X-Secret: 1").text());
        assertNull(c.header(HeaderClass.PRIMARY, "X-Quiet: 1").text());
        assertEquals(List.of("4QID: strip: header X-Secret: 1: internal"), log.infos);
    }

    @Test
    void dunnoAndOkDoNothing_DATA30() {
        ContentChecks c = headers("/^A:/ DUNNO", "/^B:/ OK");
        assertEquals(new Verdict("A: 1", null), c.header(HeaderClass.PRIMARY, "A: 1"));
        assertEquals(new Verdict("B: 1", null), c.header(HeaderClass.PRIMARY, "B: 1"));
        assertTrue(log.infos.isEmpty() && log.warnings.isEmpty());
    }

    @Test
    void otherActionsAreLoggedAsUnsupportedAndIgnored_DATA30() {
        ContentChecks c = headers("/^Subject:/ REJECT no thanks", "/^X-H:/ HOLD", "/^X-R:/ REDIRECT a@b.test");
        assertEquals(new Verdict("Subject: hi", null), c.header(HeaderClass.PRIMARY, "Subject: hi"));
        assertEquals(new Verdict("X-H: 1", null), c.header(HeaderClass.PRIMARY, "X-H: 1"));
        assertEquals(new Verdict("X-R: 1", null), c.header(HeaderClass.PRIMARY, "X-R: 1"));
        assertEquals(List.of("unsupported command in smtp_header_checks map: REJECT no thanks",
                "unsupported command in smtp_header_checks map: HOLD",
                "unsupported command in smtp_header_checks map: REDIRECT a@b.test"), log.warnings);
    }

    @Test
    void eachHeaderClassHasItsTableAndMimeHeadersAlwaysGoToTheMimeTable_DATA30() {
        RewriteSettings s = RewriteSettings.none()
                .withHeaderChecks(Tables.regexp("/./ REPLACE X-Primary: 1"))
                .withMimeHeaderChecks(Tables.regexp("/./ REPLACE X-Mime: 1"))
                .withNestedHeaderChecks(Tables.regexp("/./ REPLACE X-Nested: 1"));
        ContentChecks c = new ContentChecks(s, "4QID", log);
        assertEquals("X-Primary: 1", c.header(HeaderClass.PRIMARY, "Subject: a").text());
        assertEquals("X-Mime: 1", c.header(HeaderClass.PRIMARY, "Content-Type: text/plain").text());
        assertEquals("X-Mime: 1", c.header(HeaderClass.MULTIPART, "Subject: a").text());
        assertEquals("X-Nested: 1", c.header(HeaderClass.NESTED, "Subject: a").text());
        assertEquals("X-Mime: 1", c.header(HeaderClass.NESTED, "MIME-Version: 1.0").text());
    }

    @Test
    void bodyChecksSeeBodyLinesAndReplaceNeedsNoHeaderShape_DATA30() {
        ContentChecks c = new ContentChecks(RewriteSettings.none().withBodyChecks(Tables.regexp("/secret/ REPLACE [redacted]")),
                "4QID", log);
        assertEquals("[redacted]", c.body("the secret word").text());
        assertEquals(List.of("4QID: replace: body the secret word: [redacted]"), log.infos);
    }

    @Test
    void aLookupErrorIsReportedWithTheTableName_DATA30() {
        ContentChecks c = new ContentChecks(RewriteSettings.none().withHeaderChecks(Tables.failing()), "4QID", log);
        TableLookupException e = assertThrows(TableLookupException.class, () -> c.header(HeaderClass.PRIMARY, "A: b"));
        assertEquals("smtp_header_checks", e.table());
    }
}
