package io.postilion.engine.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** DATA-26's header part: which headers are rewritten, and how a rewritten one is laid out. */
class HeaderAddressRewriterTest {

    private final HeaderAddressRewriter rewriter = new HeaderAddressRewriter(new GenericMapping(RewriteSettings.none()
            .withGenericMaps(Tables.inline("{ @inside.test=@outside.example }")), new RecordingLog()));

    @Test
    void theAddressIsReplacedAndThePhraseKept_DATA26() {
        assertEquals(Optional.of("From: \"Joe Q. Public\" <joe@outside.example>"),
                rewriter.rewrite("From: \"Joe Q. Public\" <joe@inside.test>"));
        assertEquals(Optional.of("To: ann@outside.example (Ann), bob@elsewhere.test"),
                rewriter.rewrite("To: ann@inside.test (Ann),\n    bob@elsewhere.test"));
    }

    @Test
    void aHeaderWithoutAMappedAddressIsLeftAlone_DATA26() {
        assertEquals(Optional.empty(), rewriter.rewrite("To:  bob@elsewhere.test"));
        assertEquals(Optional.empty(), rewriter.rewrite("Subject: joe@inside.test"));
        assertEquals(Optional.empty(), rewriter.rewrite("Resent-Date: joe@inside.test"));
    }

    @Test
    void senderAndRecipientKindsIncludingResentOnesAreRewritten_DATA26() {
        for (String name : List.of("Sender", "Reply-To", "Errors-To", "Return-Path", "Return-Receipt-To",
                "Disposition-Notification-To", "Mail-Followup-To", "Cc", "Bcc", "Apparently-To", "Resent-From",
                "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Bcc", "Resent-Reply-To")) {
            assertEquals(Optional.of(name + ": <a@outside.example>"), rewriter.rewrite(name + ": <a@inside.test>"), name);
        }
    }

    @Test
    void aRebuiltHeaderStartsATabIndentedLineBeforeReaching70Characters_DATA26() {
        String header = "To: aaaaaaaaaa@inside.test, bbbbbbbbbb@inside.test, cccccccccc@inside.test, dd@inside.test";
        String out = rewriter.rewrite(header).orElseThrow();
        assertEquals("To: aaaaaaaaaa@outside.example, bbbbbbbbbb@outside.example,\n"
                + "\tcccccccccc@outside.example, dd@outside.example", out);
        for (String line : out.split("\n")) {
            assertEquals(true, line.length() < 70, line);
        }
    }

    @Test
    void groupsAndQuotedLocalPartsSurvive_DATA26() {
        assertEquals(Optional.of("To: team: \"j doe\"@outside.example, x@elsewhere.test;"),
                rewriter.rewrite("To: team: \"j doe\"@inside.test, x@elsewhere.test;"));
    }
}
