package io.postilion.transport.content;

import static io.postilion.transport.content.ContentTestSupport.decodeWire;
import static io.postilion.transport.content.ContentTestSupport.encode;
import static io.postilion.transport.content.ContentTestSupport.normalise;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Property-style checks of the wire encoder over seeded random inputs: any split gives the same
 * bytes as one piece, and decoding the wire (un-stuffing, joining continuations) recovers the
 * CRLF-normalised input.
 */
class ContentEncodingPropertyTest {

    private static final byte[] ALPHABET = {'a', 'b', '.', '.', ' ', '\r', '\n', '\r', '\n', (byte) 0xC3, (byte) 0xA9, 0};
    private static final int ROUNDS = 400;

    private static byte[] randomInput(Random r, boolean spaces) {
        byte[] b = new byte[r.nextInt(300)];
        for (int i = 0; i < b.length; i++) {
            byte c;
            do {
                c = ALPHABET[r.nextInt(ALPHABET.length)];
            } while (!spaces && c == ' ');
            b[i] = c;
        }
        return b;
    }

    private static int[] randomCuts(Random r, int length) {
        return IntStream.generate(() -> r.nextInt(length + 1)).limit(r.nextInt(6)).sorted().toArray();
    }

    @Test
    void randomSplitsGiveTheSameWireAsOnePiece_DATA1_DATA2_DATA3() {
        Random r = new Random(20261123L);
        for (int round = 0; round < ROUNDS; round++) {
            byte[] in = randomInput(r, true);
            for (ContentMode mode : ContentMode.values()) {
                int limit = r.nextBoolean() ? 0 : 2 + r.nextInt(20);
                byte[] whole = encode(in, mode, limit);
                byte[] split = encode(in, mode, limit, randomCuts(r, in.length));
                assertArrayEquals(whole, split, () -> "mode " + mode + " limit " + limit);
            }
        }
    }

    @Test
    void decodingTheWireRecoversTheNormalisedInputWithoutALimit_DATA1_DATA2() {
        Random r = new Random(42L);
        for (int round = 0; round < ROUNDS; round++) {
            byte[] in = randomInput(r, true);
            for (ContentMode mode : ContentMode.values()) {
                byte[] wire = encode(in, mode, 0, randomCuts(r, in.length));
                assertArrayEquals(normalise(in), decodeWire(wire, mode == ContentMode.DATA, false));
            }
        }
    }

    @Test
    void decodingTheWireRecoversTheNormalisedInputWithASmallLimit_DATA3() {
        Random r = new Random(7L);
        for (int round = 0; round < ROUNDS; round++) {
            byte[] in = randomInput(r, false);
            int limit = 2 + r.nextInt(12);
            for (ContentMode mode : ContentMode.values()) {
                byte[] wire = encode(in, mode, limit, randomCuts(r, in.length));
                assertArrayEquals(normalise(in), decodeWire(wire, mode == ContentMode.DATA, true));
                assertLinesWithin(wire, limit, mode == ContentMode.DATA);
            }
        }
    }

    private static void assertLinesWithin(byte[] wire, int limit, boolean stuffed) {
        String s = ContentTestSupport.latin1(wire);
        for (String line : s.split("\r\n")) {
            int len = stuffed && line.startsWith("..") ? line.length() - 1 : line.length();
            if (len > limit) {
                throw new AssertionError("line longer than " + limit + ": " + line);
            }
        }
    }
}
