package io.postilion.transport.content;

import static io.postilion.transport.content.ContentTestSupport.ALLOC;
import static io.postilion.transport.content.ContentTestSupport.bytes;
import static io.postilion.transport.content.ContentTestSupport.drain;
import static io.postilion.transport.content.ContentTestSupport.latin1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** DATA-12's quoted-printable rules. */
class QuotedPrintableEncoderTest {

    private static String encodeLine(byte[] line) {
        QuotedPrintableEncoder qp = new QuotedPrintableEncoder();
        ByteBuf out = ALLOC.buffer();
        qp.encode(line, 0, line.length, out);
        qp.endLine(out, true);
        return latin1(drain(out));
    }

    /** A minimal decoder, to check that the encoding loses nothing. */
    static byte[] decode(String qp) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < qp.length(); i++) {
            char c = qp.charAt(i);
            if (c == '=') {
                if (qp.startsWith("\r\n", i + 1)) {
                    i += 2;
                    continue;
                }
                out.write(Integer.parseInt(qp.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    @Test
    void equalsSignAndTrailingSpaceAreEncoded_DATA12() {
        assertEquals("a =3Db=20\r\n", encodeLine(bytes("a =b ")));
    }

    @Test
    void trailingTabIsEncodedButInnerTabIsNot_DATA12() {
        assertEquals("a\tb=09\r\n", encodeLine(bytes("a\tb\t")));
    }

    @Test
    void controlBytesAndHighBytesUseUpperCaseHex_DATA12() {
        assertEquals("=01=1F~=7F=FF=C3=A9\r\n", encodeLine(new byte[] {1, 0x1f, '~', 0x7f, (byte) 0xff, (byte) 0xc3, (byte) 0xa9}));
    }

    @Test
    void hundredEAcutesAreSoftBrokenWithEveryLineAtMost76_DATA12() {
        byte[] line = "é".repeat(100).getBytes(StandardCharsets.UTF_8);
        String out = encodeLine(line);
        String[] lines = out.split("\r\n");
        assertTrue(lines.length > 1, "expected soft breaks");
        for (int i = 0; i < lines.length; i++) {
            assertTrue(lines[i].length() <= 76, "line " + i + " has " + lines[i].length() + " chars");
            if (i < lines.length - 1) {
                assertTrue(lines[i].endsWith("="), "soft break expected");
            }
        }
        // Break only once the line holds more than 72 characters: 25 tokens of 3 = 75, then "=".
        assertEquals(76, lines[0].length());
        assertEquals("é".repeat(100), new String(decode(out.substring(0, out.length() - 2)), StandardCharsets.UTF_8));
    }

    @Test
    void longAsciiLineBreaksAfterSeventyThreeCharacters_DATA12() {
        String out = encodeLine(bytes("x".repeat(200)));
        String[] lines = out.split("\r\n");
        assertEquals("x".repeat(73) + "=", lines[0]);
        assertEquals("x".repeat(200), latin1(decode(out.substring(0, out.length() - 2))));
    }

    @Test
    void whitespaceBeforeASoftBreakIsKeptLiteral_DATA12() {
        String out = encodeLine(bytes("x".repeat(73) + " y"));
        assertEquals("x".repeat(73) + "=\r\n y\r\n", out);
    }
}
