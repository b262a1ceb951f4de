package io.postilion.transport.protocol;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.postilion.transport.reply.SmtpReply;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzes EHLO capability parsing (SESS-12, SESS-13, SESS-17) and greeting analysis (SESS-8,
 * SESS-18). Both are documented never to throw for any reply text, so any exception fails. In a
 * normal build this replays the seeds under {@code EhloReplyFuzzTestInputs/parseAnyEhloReply}.
 */
class EhloReplyFuzzTest {

    // With JAZZER_FUZZ=1 this fuzzes; keep the run under the build's 60 s JUnit default timeout.
    @FuzzTest(maxDuration = "45s")
    void parseAnyEhloReply(FuzzedDataProvider data) {
        boolean overTls = data.consumeBoolean();
        DiscardedKeywords discard = DiscardedKeywords.parse(data.consumeString(64));
        String text = data.consumeRemainingAsString();
        List<String> lines = Arrays.asList(text.split("\n", -1));
        SmtpReply reply = SmtpReply.of(250, lines.toArray(String[]::new));

        Capabilities caps = EhloReplyParser.parse(reply, overTls, discard);

        assertNotNull(caps.serverName());
        assertTrue(caps.sizeLimit() >= 0);
        assertTrue(caps.size() || caps.sizeLimit() == 0, "a limit without SIZE");
        assertTrue(caps.size() || !caps.sizeWarning(), "a SIZE warning without SIZE");
        assertTrue(!caps.requireTls() || overTls, "REQUIRETLS honoured in plaintext");
        assertTrue(!caps.startTls() || !overTls, "STARTTLS honoured over TLS");
        for (EhloKeyword k : discard.keywords()) {
            assertTrue(!caps.has(k), "discarded keyword kept: " + k);
        }
        assertTrue(!caps.smtpUtf8() || caps.eightBitMime(), "SMTPUTF8 implies 8BITMIME");
        for (String mech : caps.authMechanisms()) {
            assertTrue(!mech.isEmpty() && mech.chars().noneMatch(c -> c == ' ' || c == '\t'), mech);
        }

        Greeting greeting = Greeting.analyze(SmtpReply.of(220, lines.toArray(String[]::new)));
        assertNotNull(greeting.firstWord());
        Greeting.analyze(text);
    }
}
