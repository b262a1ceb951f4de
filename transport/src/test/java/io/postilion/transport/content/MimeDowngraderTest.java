package io.postilion.transport.content;

import static io.postilion.transport.content.ContentTestSupport.bytes;
import static io.postilion.transport.content.ContentTestSupport.downgrade;
import static io.postilion.transport.content.ContentTestSupport.latin1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** DATA-11..13: what the 8BITMIME downgrade changes and what it leaves alone. */
class MimeDowngraderTest {

    private static final String E = "\u00c3\u00a9"; // UTF-8 é seen as ISO-8859-1

    private static final String MULTIPART_8BIT = ""
            + "From: a@example.com\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
            + "Content-Transfer-Encoding: 8bit\r\n"
            + "Subject: caf" + E + "\r\n"
            + "\r\n"
            + "preamble\r\n"
            + "--b1\r\n"
            + "Content-Transfer-Encoding: 8bit\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "\r\n"
            + "caf" + E + " =x \r\n"
            + "--b1\r\n"
            + "Content-Type: text/plain\r\n"
            + "\r\n"
            + "seven " + E + "\r\n"
            + "--b1--\r\n"
            + "epilogue " + E + "\r\n";

    private static final String MULTIPART_CONVERTED = ""
            + "From: a@example.com\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
            + "Subject: caf" + E + "\r\n"
            + "Content-Transfer-Encoding: 7bit\r\n"
            + "\r\n"
            + "preamble\r\n"
            + "--b1\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: quoted-printable\r\n"
            + "\r\n"
            + "caf=C3=A9 =3Dx=20\r\n"
            + "--b1\r\n"
            + "Content-Type: text/plain\r\n"
            + "\r\n"
            + "seven " + E + "\r\n"
            + "--b1--\r\n"
            + "epilogue " + E + "\r\n";

    @Test
    void eightBitTextPartIsQuotedPrintableAndMultipartGets7bit_DATA11_DATA12() {
        assertEquals(MULTIPART_CONVERTED, downgrade(MULTIPART_8BIT));
    }

    @Test
    void conversionIsTheSameWhateverTheBufferSplits_DATA11() {
        Random r = new Random(1L);
        byte[] in = bytes(MULTIPART_8BIT);
        for (int i = 0; i < 200; i++) {
            int[] cuts = IntStream.generate(() -> r.nextInt(in.length + 1)).limit(1 + r.nextInt(8)).sorted().toArray();
            assertEquals(MULTIPART_CONVERTED, latin1(ContentTestSupport.downgrade(in, 100, cuts)));
        }
        int[] every = IntStream.range(1, in.length).toArray();
        assertEquals(MULTIPART_CONVERTED, latin1(ContentTestSupport.downgrade(in, 100, every)));
    }

    @Test
    void nonMimeEightBitMessageGoesOutUnchanged_DATA11() {
        String msg = "From: a@example.com\r\nSubject: x\r\n\r\nBody caf" + E + "\r\n.\r\n";
        assertEquals(msg, downgrade(msg));
    }

    @Test
    void sevenBitDeclaredPartWithEightBitBytesIsUnchanged_DATA11() {
        String msg = "Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n\r\ncaf" + E + "\r\n";
        assertEquals(msg, downgrade(msg));
    }

    @Test
    void base64AndQuotedPrintablePartsAreUnchanged_DATA11() {
        String b64 = "Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n";
        assertEquals(b64, downgrade(b64));
        String qp = "Content-Transfer-Encoding: Quoted-Printable\r\n\r\ncaf=C3=A9\r\n";
        assertEquals(qp, downgrade(qp));
    }

    @Test
    void binaryLeafIsReencodedAndItsHeaderMovesToTheEndOfTheBlock_DATA11() {
        String msg = "Content-Transfer-Encoding: BINARY (raw)\r\nContent-Type: application/octet-stream\r\n"
                + "X-A: 1\r\n\r\n\u0000\u00ff\r\n";
        assertEquals("Content-Type: application/octet-stream\r\nX-A: 1\r\n"
                + "Content-Transfer-Encoding: quoted-printable\r\n\r\n=00=FF\r\n", downgrade(msg));
    }

    @Test
    void foldedTransferEncodingHeaderIsDroppedWhole_DATA11() {
        String msg = "Content-Transfer-Encoding:\r\n 8bit\r\nSubject: s\r\n\r\n" + E + "\r\n";
        assertEquals("Subject: s\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9\r\n", downgrade(msg));
    }

    @Test
    void messageContainerGets7bitAndItsInnerPartIsConverted_DATA11() {
        String msg = "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + "Subject: inner\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + E + "\r\n";
        assertEquals("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                + "Subject: inner\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9\r\n", downgrade(msg));
    }

    @Test
    void messageGlobalIsALeafAndGetsQuotedPrintable_DATA11() {
        String msg = "Content-Type: message/global\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSubject: " + E + "\r\n";
        assertEquals("Content-Type: message/global\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + "Subject: =C3=A9\r\n", downgrade(msg));
    }

    @Test
    void foldedContentTypeBoundaryIsFound_DATA11() {
        String msg = "Content-Type: multipart/alternative;\r\n\tboundary=zz\r\n\r\n--zz\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n\r\n" + E + "\r\n--zz--\r\n";
        assertEquals("Content-Type: multipart/alternative;\r\n\tboundary=zz\r\n\r\n--zz\r\n"
                + "Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9\r\n--zz--\r\n", downgrade(msg));
    }

    @Test
    void outerBoundaryClosesInnerMultipart_DATA11() {
        String msg = "Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\n"
                + "Content-Type: multipart/mixed; boundary=inner\r\n\r\n--inner\r\n\r\nx\r\n"
                + "--outer\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + E + "\r\n--outer--\r\n";
        String out = downgrade(msg);
        assertTrue(out.endsWith("--outer\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9\r\n--outer--\r\n"), out);
    }

    @Test
    void digestPartsDefaultToMessageRfc822_DATA11() {
        String msg = "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n"
                + "Subject: in digest\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + E + "\r\n--d--\r\n";
        assertTrue(downgrade(msg).contains("Subject: in digest\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9\r\n"));
    }

    @Test
    void veryLongEightBitLineIsEncodedInBoundedPieces_DATA12() {
        byte[] body = "é".repeat(20_000).getBytes(StandardCharsets.UTF_8);
        String msg = "Content-Transfer-Encoding: 8bit\r\n\r\n" + latin1(body) + "\r\n";
        String out = downgrade(msg);
        String encoded = out.substring(out.indexOf("\r\n\r\n") + 4, out.length() - 2);
        for (String l : encoded.split("\r\n")) {
            assertTrue(l.length() <= 76);
        }
        assertEquals(latin1(body), latin1(QuotedPrintableEncoderTest.decode(encoded)));
    }

    @Test
    void unterminatedLastLineEndsWithEncodedTrailingSpaceAndNoCrlf_DATA12() {
        assertEquals("Content-Transfer-Encoding: quoted-printable\r\n\r\nab=20",
                downgrade("Content-Transfer-Encoding: 8bit\r\n\r\nab "));
    }

    @Test
    void headerOnlyMessageStillGetsItsNewEncodingHeader_DATA11() {
        assertEquals("Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n",
                downgrade("Content-Transfer-Encoding: 8bit\r\nSubject: x"));
    }

    private static String nested(int levels) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            b.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n\r\n--b").append(i).append("\r\n");
        }
        return b.append("\r\nleaf\r\n").toString();
    }

    @Test
    void nestingBeyondTheLimitFailsWith560_DATA13() {
        ContentException e = assertThrows(ContentException.class, () -> downgrade(nested(101)));
        assertEquals("5.6.0", e.status());
        assertEquals("MIME nesting exceeds safety limit", e.text());
    }

    @Test
    void nestingUpToTheLimitIsAccepted_DATA13() {
        String msg = nested(100);
        assertEquals(msg, downgrade(msg));
    }

    @Test
    void nestedMessagesCountTowardsTheLimit_DATA13() {
        String msg = "Content-Type: message/rfc822\r\n\r\n".repeat(3) + "x\r\n";
        assertThrows(ContentException.class, () -> ContentTestSupport.downgrade(bytes(msg), 2));
        assertEquals(msg, latin1(ContentTestSupport.downgrade(bytes(msg), 3)));
    }
}
