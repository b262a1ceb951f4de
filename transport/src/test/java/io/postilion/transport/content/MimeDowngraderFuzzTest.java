package io.postilion.transport.content;

import static io.postilion.transport.content.ContentTestSupport.latin1;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Fuzzes the MIME downgrader. In the normal build this replays the seeds under
 * {@code MimeDowngraderFuzzTestInputs/downgradeNeverFailsUnexpectedly}; with JAZZER_FUZZ=1 it
 * searches for new inputs.
 *
 * <p>Properties: the only exception is {@link ContentException}; the output does not depend on where
 * the input is split; and a part declared 8bit comes out 7-bit clean, in lines of at most 76
 * characters, decoding back to its input.
 */
class MimeDowngraderFuzzTest {

    private static final String LEAF_HEADER = "Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
    private static final String CONVERTED_HEADER =
            "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";

    // Under the build's 60 s JUnit default timeout, so a fuzzing run ends by itself.
    @FuzzTest(maxDuration = "30s")
    void downgradeNeverFailsUnexpectedly(FuzzedDataProvider data) {
        int nestingLimit = data.consumeInt(0, 6);
        boolean leaf = data.consumeBoolean();
        int cut = data.consumeInt(0, Integer.MAX_VALUE);
        byte[] raw = data.consumeRemainingAsBytes();
        if (leaf) {
            convertedLeafIsSevenBitClean(raw);
        } else {
            anyInputFailsOnlyWithContentException(raw, nestingLimit, cut);
        }
    }

    private static void anyInputFailsOnlyWithContentException(byte[] raw, int nestingLimit, int cut) {
        byte[] whole;
        try {
            whole = ContentTestSupport.downgrade(raw, nestingLimit);
        } catch (ContentException e) {
            if (!e.status().equals(ContentException.MIME_NESTING_STATUS)) {
                throw new AssertionError("unexpected status " + e.status(), e);
            }
            return;
        }
        int at = raw.length == 0 ? 0 : cut % (raw.length + 1);
        byte[] split = ContentTestSupport.downgrade(raw, nestingLimit, at);
        if (!Arrays.equals(whole, split)) {
            throw new AssertionError("output depends on the split at " + at);
        }
    }

    private static void convertedLeafIsSevenBitClean(byte[] raw) {
        byte[] body = ContentTestSupport.normalise(raw);
        byte[] message = ContentTestSupport.bytes(LEAF_HEADER + latin1(body));
        String text = latin1(ContentTestSupport.downgrade(message, MimeDowngrader.DEFAULT_NESTING_LIMIT));
        if (!text.startsWith(CONVERTED_HEADER)) {
            throw new AssertionError("header not rewritten: " + text);
        }
        String encoded = text.substring(CONVERTED_HEADER.length());
        for (int i = 0; i < encoded.length(); i++) {
            if (encoded.charAt(i) > 0x7e) {
                throw new AssertionError("8-bit byte in converted part at " + i);
            }
        }
        for (String line : encoded.split("\r\n", -1)) {
            if (line.length() > 76) {
                throw new AssertionError("encoded line of " + line.length() + " characters");
            }
            if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
                throw new AssertionError("bare CR or LF in converted part");
            }
        }
        if (!Arrays.equals(body, QuotedPrintableEncoderTest.decode(encoded))) {
            throw new AssertionError("converted part does not decode to its input");
        }
    }
}
