package io.postilion.engine.listener;

import io.netty.buffer.ByteBuf;

/**
 * Strict UTF-8 validation of a command line before it becomes a String: Java's decoder would
 * quietly turn malformed bytes into U+FFFD, and then an address would be accepted that no byte
 * of the client's ever spelled. Overlong forms, surrogates and code points above U+10FFFF are
 * malformed too.
 */
final class Utf8 {

    private Utf8() {
    }

    static boolean valid(ByteBuf buf, int from, int length) {
        int i = from;
        int end = from + length;
        while (i < end) {
            int b = buf.getByte(i) & 0xff;
            if (b < 0x80) {
                i++;
                continue;
            }
            int need;
            int min;
            int cp;
            if (b >= 0xc2 && b <= 0xdf) {
                need = 1;
                min = 0x80;
                cp = b & 0x1f;
            } else if (b >= 0xe0 && b <= 0xef) {
                need = 2;
                min = 0x800;
                cp = b & 0x0f;
            } else if (b >= 0xf0 && b <= 0xf4) {
                need = 3;
                min = 0x10000;
                cp = b & 0x07;
            } else {
                return false;
            }
            for (int k = 1; k <= need; k++) {
                if (i + k >= end) {
                    return false;
                }
                int c = buf.getByte(i + k) & 0xff;
                if ((c & 0xc0) != 0x80) {
                    return false;
                }
                cp = cp << 6 | c & 0x3f;
            }
            if (cp < min || cp > 0x10ffff || cp >= 0xd800 && cp <= 0xdfff) {
                return false;
            }
            i += need + 1;
        }
        return true;
    }
}
