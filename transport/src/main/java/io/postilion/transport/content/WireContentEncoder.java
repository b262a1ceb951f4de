package io.postilion.transport.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ByteProcessor;

/**
 * Turns raw message bytes into wire-ready bytes while they stream past, so a message is never held
 * whole in memory.
 *
 * <p>Rules applied, in both modes:
 * <ul>
 *   <li>CR, LF and CRLF each become one CRLF (CLARIFICATIONS 2 overrides DATA-1's "a lone CR is
 *       sent unchanged": a bare CR or LF must never let {@code \n.\n} end DATA early). A CR at the
 *       end of one buffer followed by an LF at the start of the next is still one CRLF: the only
 *       state carried between buffers for this is "the last byte was CR".</li>
 *   <li>Lines longer than the line length limit are broken as DATA-3 says: exactly {@code limit}
 *       bytes, CRLF, a space (which counts as a byte of the new line), and the rest. A break is
 *       made only when another byte of the same line actually arrives, so a line of exactly
 *       {@code limit} bytes goes out unbroken even when it ends at a buffer boundary.</li>
 *   <li>{@link #finish()} adds the CRLF a message without a final line terminator lacks.</li>
 * </ul>
 * In {@link ContentMode#DATA} mode a line starting with {@code .} gets another {@code .} in front
 * (DATA-2); the stuffed dot does not count against the limit and continuation lines (which start
 * with a space) are never stuffed. {@link ContentMode#BDAT} mode never stuffs.
 *
 * <p><b>End of data.</b> {@link #finish()} does <em>not</em> append the terminating {@code .} line:
 * the session writes it separately ({@link #endOfData}) because it may have to delay it (the PIX
 * workaround, SESS-18) and must not send it at all when the content fails midway (DATA-13).
 *
 * <p><b>Buffer ownership.</b> {@link #encode} reads every readable byte of its argument (advancing
 * its reader index) but never releases it: the caller keeps ownership of what it passes in. Every
 * buffer returned is new, allocated from the allocator given to the constructor (or
 * {@link Unpooled#EMPTY_BUFFER} when there is nothing to send), and belongs to the caller, who must
 * release it. The encoder itself holds no buffers, so abandoning it midway leaks nothing.
 *
 * <p>Not thread-safe: one encoder serves one message, fed in order.
 */
public final class WireContentEncoder {

    /** {@code smtp_line_length_limit}'s default; 0 means no limit. */
    public static final int DEFAULT_LINE_LENGTH_LIMIT = 998;

    private static final byte CR = '\r';
    private static final byte DOT = '.';
    private static final short CRLF = 0x0d0a;
    private static final int CRLF_SP = 0x0d0a20;
    private static final int DOT_CRLF = 0x2e0d0a;

    private final ByteBufAllocator alloc;
    private final ContentMode mode;
    private final int limit;

    // Bytes of the current output line, not counting a stuffed dot; 0 means "at a line start".
    private int column;
    // The last input byte was a CR, whose CRLF is already written: an LF right after it is swallowed.
    private boolean swallowLf;
    private boolean brokeLine;
    private boolean finished;

    /**
     * @param alloc allocates the output buffers
     * @param mode DATA (dot-stuffing) or BDAT (none)
     * @param lineLengthLimit {@code smtp_line_length_limit}: 0 for none, else at least 2 (a
     *     continuation line needs room for its space and one byte)
     */
    public WireContentEncoder(ByteBufAllocator alloc, ContentMode mode, int lineLengthLimit) {
        if (lineLengthLimit < 0 || lineLengthLimit == 1) {
            throw new IllegalArgumentException("line length limit must be 0 or at least 2: " + lineLengthLimit);
        }
        this.alloc = alloc;
        this.mode = mode;
        this.limit = lineLengthLimit;
    }

    /** An encoder with the default line length limit of 998. */
    public WireContentEncoder(ByteBufAllocator alloc, ContentMode mode) {
        this(alloc, mode, DEFAULT_LINE_LENGTH_LIMIT);
    }

    /**
     * Encodes the next piece of the message.
     *
     * @param in raw message bytes; all readable bytes are consumed, the buffer is not released
     * @return the wire bytes for them, owned by the caller (possibly empty)
     */
    public ByteBuf encode(ByteBuf in) {
        if (finished) {
            throw new IllegalStateException("encoder already finished");
        }
        int len = in.readableBytes();
        if (len == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        // Room for a few line ends and stuffed dots; the buffer grows if the input is dense in them.
        ByteBuf out = alloc.buffer(len + (len >>> 5) + 8);
        try {
            encodeInto(in, out);
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
        return out;
    }

    /**
     * Ends the message: a CRLF when the last line had no terminator, otherwise nothing. Does not add
     * the {@code .} line (see {@link #endOfData}).
     *
     * @return the closing bytes, owned by the caller (possibly empty)
     */
    public ByteBuf finish() {
        if (finished) {
            throw new IllegalStateException("encoder already finished");
        }
        finished = true;
        if (column == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        column = 0;
        return alloc.buffer(2).writeShort(CRLF);
    }

    /**
     * Whether a long line has been broken so far; the session logs the first break per request
     * (DATA-3).
     */
    public boolean brokeLongLine() {
        return brokeLine;
    }

    /** The end-of-data line {@code .CRLF} sent after DATA content (DATA-4), owned by the caller. */
    public static ByteBuf endOfData(ByteBufAllocator alloc) {
        return alloc.buffer(3).writeMedium(DOT_CRLF);
    }

    private void encodeInto(ByteBuf in, ByteBuf out) {
        int pos = in.readerIndex();
        int end = in.writerIndex();
        while (pos < end) {
            int eol = in.forEachByte(pos, end - pos, ByteProcessor.FIND_CRLF);
            int textEnd = eol < 0 ? end : eol;
            if (textEnd > pos) {
                writeText(in, pos, textEnd - pos, out);
            }
            if (eol < 0) {
                break;
            }
            if (in.getByte(eol) == CR) {
                out.writeShort(CRLF);
                column = 0;
                swallowLf = true;
            } else if (swallowLf) {
                swallowLf = false;
            } else {
                out.writeShort(CRLF);
                column = 0;
            }
            pos = eol + 1;
        }
        in.readerIndex(end);
    }

    // Writes bytes that contain no CR or LF, stuffing and breaking as the rules say.
    private void writeText(ByteBuf in, int index, int length, ByteBuf out) {
        swallowLf = false;
        if (column == 0 && mode == ContentMode.DATA && in.getByte(index) == DOT) {
            out.writeByte(DOT);
        }
        if (limit == 0) {
            out.writeBytes(in, index, length);
            // Only "at a line start or not" matters without a limit; avoid overflow on huge lines.
            column = (int) Math.min((long) column + length, Integer.MAX_VALUE);
            return;
        }
        while (length > 0) {
            if (column >= limit) {
                out.writeMedium(CRLF_SP);
                column = 1;
                brokeLine = true;
            }
            int take = Math.min(length, limit - column);
            out.writeBytes(in, index, take);
            index += take;
            length -= take;
            column += take;
        }
    }
}
