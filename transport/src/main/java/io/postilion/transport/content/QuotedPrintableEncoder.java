package io.postilion.transport.content;

import io.netty.buffer.ByteBuf;

/**
 * Encodes body lines as quoted-printable for the 8BITMIME downgrade, as DATA-12 says, a piece at
 * a time so a long line never has to be held whole.
 *
 * <p>Bytes below 0x20 other than TAB, {@code =}, and bytes above 0x7E become {@code =XX} with
 * upper-case hex. Before each character is appended, a soft line break ({@code =CRLF}) is written
 * if the encoded line already holds more than 72 characters, so no encoded line exceeds 76. A
 * space or TAB is held back until the next byte shows whether it ends the line; at a hard line
 * end it is written as {@code =20} or {@code =09}.
 *
 * <p>Holds no buffers; writes into the buffer it is given.
 */
final class QuotedPrintableEncoder {

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int SOFT_BREAK = 0x3d0d0a; // "=\r\n"
    private static final int BREAK_AFTER = 72;

    private int column;
    private int heldWhitespace = -1;

    /** Encodes bytes of the current line; none of them is CR-LF line end. */
    void encode(byte[] src, int offset, int length, ByteBuf out) {
        for (int i = offset, end = offset + length; i < end; i++) {
            int b = src[i] & 0xff;
            if (heldWhitespace >= 0) {
                literal(heldWhitespace, out);
                heldWhitespace = -1;
            }
            if (b == ' ' || b == '\t') {
                heldWhitespace = b;
            } else if (b < 0x20 || b == '=' || b > 0x7e) {
                hex(b, out);
            } else {
                literal(b, out);
            }
        }
    }

    /**
     * Ends the current line: encodes held whitespace, then writes CRLF unless the content ended
     * without one.
     */
    void endLine(ByteBuf out, boolean crlf) {
        if (heldWhitespace >= 0) {
            hex(heldWhitespace, out);
            heldWhitespace = -1;
        }
        if (crlf) {
            out.writeShort(0x0d0a);
        }
        column = 0;
    }

    private void literal(int b, ByteBuf out) {
        softBreakIfFull(out);
        out.writeByte(b);
        column++;
    }

    private void hex(int b, ByteBuf out) {
        softBreakIfFull(out);
        out.writeByte('=');
        out.writeByte(HEX[b >>> 4]);
        out.writeByte(HEX[b & 0xf]);
        column += 3;
    }

    private void softBreakIfFull(ByteBuf out) {
        if (column > BREAK_AFTER) {
            out.writeMedium(SOFT_BREAK);
            column = 0;
        }
    }
}
