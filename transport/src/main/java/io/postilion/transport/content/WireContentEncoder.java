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
 *       end of one buffer followed by an LF at the start of the next is still one CRLF: the CR
 *       goes out at once and the only state carried to the next buffer is "an LF is owed"; the
 *       next buffer's first byte (or {@link #finish()}) settles it.</li>
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
 * buffer returned belongs to the caller, who must release it. When a buffer needs no rewriting at
 * all (the usual case for CRLF-normalised spool content, CLARIFICATIONS 26) the result is a
 * retained slice of the input, so nothing is copied; then the input's bytes must not change while
 * the result is in use. Otherwise the result is new, allocated from the allocator given to the
 * constructor, and unchanged stretches are bulk-copied into it. The encoder holds no buffers
 * between calls, so abandoning it midway leaks nothing.
 *
 * <p>Not thread-safe: one encoder serves one message, fed in order.
 */
public final class WireContentEncoder {

    /** {@code smtp_line_length_limit}'s default; 0 means no limit. */
    public static final int DEFAULT_LINE_LENGTH_LIMIT = 998;

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte DOT = '.';
    private static final short CRLF = 0x0d0a;
    private static final int CRLF_SP = 0x0d0a20;
    private static final int DOT_CRLF = 0x2e0d0a;

    private final ByteBufAllocator alloc;
    private final ContentMode mode;
    private final int limit;

    // Bytes of the current output line, not counting a stuffed dot; 0 means "at a line start".
    private int column;
    // The last input byte was a CR, already sent; its LF is owed unless the next byte is that LF.
    private boolean owedLf;
    // While encode() runs: the output, once something had to be inserted, and where the input
    // bytes not yet copied to it start.
    private ByteBuf out;
    private int run;
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
     * @return the wire bytes for them, owned by the caller (possibly empty); when nothing in
     *     {@code in} needed rewriting this is a retained slice of it, made without copying
     */
    public ByteBuf encode(ByteBuf in) {
        if (finished) {
            throw new IllegalStateException("encoder already finished");
        }
        int start = in.readerIndex();
        int end = in.writerIndex();
        if (start == end) {
            return Unpooled.EMPTY_BUFFER;
        }
        out = null;
        run = start;
        try {
            encodeRange(in, start, end);
            in.readerIndex(end);
            if (out == null) {
                return in.retainedSlice(start, end - start);
            }
            out.writeBytes(in, run, end - run);
            return out;
        } catch (RuntimeException | Error e) {
            if (out != null) {
                out.release();
            }
            throw e;
        } finally {
            out = null;
        }
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
        if (owedLf) {
            owedLf = false;
            return alloc.buffer(1).writeByte(LF);
        }
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

    // Output equals input except where bytes are inserted (a stuffed dot, a line break, the missing
    // half of a line end). Bytes since the last insertion, in[run, position), are copied only when
    // the next insertion comes; if none comes the input is passed on as it is.
    private void encodeRange(ByteBuf in, int start, int end) {
        int pos = start;
        if (owedLf) {
            owedLf = false;
            if (in.getByte(pos) == LF) {
                pos++; // the LF completing the CR sent last time: passes through
            } else {
                insertAt(in, pos).writeByte(LF);
            }
        }
        while (pos < end) {
            int eol = in.forEachByte(pos, end - pos, ByteProcessor.FIND_CRLF);
            int textEnd = eol < 0 ? end : eol;
            if (textEnd > pos) {
                writeText(in, pos, textEnd - pos);
            }
            if (eol < 0) {
                break;
            }
            column = 0;
            if (in.getByte(eol) == CR) {
                if (eol + 1 == end) {
                    owedLf = true; // decided by the next buffer's first byte, or by finish()
                    pos = end;
                } else if (in.getByte(eol + 1) == LF) {
                    pos = eol + 2;
                } else {
                    insertAt(in, eol + 1).writeByte(LF);
                    pos = eol + 1;
                }
            } else {
                insertAt(in, eol).writeByte(CR);
                pos = eol + 1;
            }
        }
    }

    // Copies the unchanged bytes up to index into the output, allocating it on first use.
    private ByteBuf insertAt(ByteBuf in, int index) {
        if (out == null) {
            int len = in.writerIndex() - in.readerIndex();
            // Room for a few insertions; the buffer grows if the input is dense in them.
            out = alloc.buffer(len + (len >>> 5) + 8);
        }
        out.writeBytes(in, run, index - run);
        run = index;
        return out;
    }

    // Handles bytes that contain no CR or LF, stuffing and breaking as the rules say.
    private void writeText(ByteBuf in, int index, int length) {
        if (column == 0 && mode == ContentMode.DATA && in.getByte(index) == DOT) {
            insertAt(in, index).writeByte(DOT);
        }
        if (limit == 0) {
            // Only "at a line start or not" matters without a limit; avoid overflow on huge lines.
            column = (int) Math.min((long) column + length, Integer.MAX_VALUE);
            return;
        }
        while (length > 0) {
            if (column >= limit) {
                insertAt(in, index).writeMedium(CRLF_SP);
                column = 1;
                brokeLine = true;
            }
            int take = Math.min(length, limit - column);
            index += take;
            length -= take;
            column += take;
        }
    }
}
