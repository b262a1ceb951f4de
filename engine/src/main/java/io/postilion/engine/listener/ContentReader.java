package io.postilion.engine.listener;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.util.Arrays;

/**
 * Turns what a client sends after DATA (or in BDAT chunks) into the message as the spool keeps it:
 * CRLF line ends, dots unstuffed, bounded in size. It is fed bytes as they arrive and says when
 * the end of the message was seen.
 *
 * <p>Why a byte state machine rather than a line reader: the end of DATA must be recognised only
 * as CR LF "." CR LF where the first CR LF is a real one (not a bare LF turned into CRLF), whatever
 * the segmentation of the input, and a line may be longer than any buffer we are willing to keep.
 * A bare LF or bare CR inside the content becomes CRLF (policy NORMALIZE), so what this relay
 * sends on is never ambiguous to the next server.
 *
 * <p>Only the bytes that can change the state go through the machine one at a time: the first byte
 * of a line and each CR and LF. The run of ordinary bytes between them is copied in one go (most
 * of a message's bytes, and most of the listener's CPU per byte before this was done).
 */
public final class ContentReader {

    /** What {@link #feed} found. */
    public enum Result {
        /** More input is needed. */
        MORE,
        /** The end-of-data line was read; bytes after it belong to the next command. */
        END,
        /** A bare newline under policy YES: the session must be ended now. */
        BARE_NEWLINE_REFUSED
    }

    private enum State { TEXT, CR, DOT, DOT_CR }

    private final boolean dotStuffed;
    private final BareNewlinePolicy policy;
    private final long sizeLimit;
    private byte[] out = new byte[4096];
    private int length;
    private long received;
    private boolean oversize;
    private boolean bareNewline;
    private State state = State.TEXT;
    private boolean atLineStart = true;
    /** Whether the last line ended with a real CRLF: the only thing that may precede ".". */
    private boolean lastEndWasCrlf = true;

    /**
     * @param dotStuffed true for DATA (unstuff dots, watch for the end line); false for BDAT chunks
     * @param policy smtpd_forbid_bare_newline
     * @param sizeLimit message_size_limit in bytes, 0 for none; content beyond it is counted, not kept
     */
    public ContentReader(boolean dotStuffed, BareNewlinePolicy policy, long sizeLimit) {
        this.dotStuffed = dotStuffed;
        this.policy = policy;
        this.sizeLimit = sizeLimit;
    }

    /**
     * Consumes bytes from {@code in} up to and including the end of the message (DATA), leaving
     * the rest in the buffer.
     */
    public Result feed(ByteBuf in) {
        while (in.isReadable()) {
            if (copiedPlainRun(in)) {
                continue;
            }
            Result r = step(in.readByte());
            if (r != Result.MORE) {
                return r;
            }
        }
        return Result.MORE;
    }

    /** Consumes every byte of a BDAT chunk. */
    public void feedAll(ByteBuf in) {
        while (in.isReadable()) {
            if (!copiedPlainRun(in)) {
                step(in.readByte());
            }
        }
    }

    /**
     * Inside a line (not at its start, no CR pending), every byte up to the next CR or LF is
     * content as it stands: copies that run, if there is one, and says whether it did.
     */
    private boolean copiedPlainRun(ByteBuf in) {
        if (state != State.TEXT || atLineStart) {
            return false;
        }
        int from = in.readerIndex();
        int stop = in.forEachByte(from, in.readableBytes(), ByteProcessor.FIND_CRLF);
        int run = (stop < 0 ? in.writerIndex() : stop) - from;
        if (run == 0) {
            return false;
        }
        // As put() one byte at a time: bytes past message_size_limit are counted, not kept.
        long room = sizeLimit > 0 ? Math.max(0, sizeLimit - received) : run;
        int keep = (int) Math.min(run, room);
        received += run;
        if (keep < run) {
            oversize = true;
        }
        if (keep > 0) {
            if (length + keep > out.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, length + keep));
            }
            in.readBytes(out, length, keep);
            length += keep;
        }
        in.skipBytes(run - keep);
        return true;
    }

    /** Ends a BDAT message: a last line without a line end gets none added, a pending CR becomes CRLF. */
    public void finishChunks() {
        if (state == State.CR) {
            lineEnd(false);
            state = State.TEXT;
        }
    }

    private Result step(byte b) {
        switch (state) {
            case DOT -> {
                if (b == '\r') {
                    state = State.DOT_CR;
                    return Result.MORE;
                }
                state = State.TEXT;
                if (b == '\n') {
                    if (policy == BareNewlinePolicy.NO && lastEndWasCrlf) {
                        return Result.END;
                    }
                    return bareLf(); // the line "." ended by a bare LF: its dot is dropped
                }
                atLineStart = false; // the stuffed dot is dropped; b starts the text
                return text(b);
            }
            case DOT_CR -> {
                state = State.TEXT;
                if (b == '\n') {
                    if (lastEndWasCrlf) {
                        return Result.END;
                    }
                    lineEnd(true);
                    return Result.MORE;
                }
                lineEnd(false); // ".", bare CR: the dot is dropped, the CR is a line end
                return text(b);
            }
            case CR -> {
                state = State.TEXT;
                if (b == '\n') {
                    lineEnd(true);
                    return Result.MORE;
                }
                lineEnd(false);
                return text(b);
            }
            default -> {
                return text(b);
            }
        }
    }

    private Result text(byte b) {
        if (b == '\r') {
            state = State.CR;
            return Result.MORE;
        }
        if (b == '\n') {
            return bareLf();
        }
        if (atLineStart && b == '.' && dotStuffed) {
            state = State.DOT;
            return Result.MORE;
        }
        atLineStart = false;
        put(b);
        return Result.MORE;
    }

    private Result bareLf() {
        bareNewline = true;
        if (policy == BareNewlinePolicy.YES) {
            return Result.BARE_NEWLINE_REFUSED;
        }
        put((byte) '\r');
        put((byte) '\n');
        atLineStart = true;
        lastEndWasCrlf = policy == BareNewlinePolicy.NO;
        return Result.MORE;
    }

    private void lineEnd(boolean realCrlf) {
        if (!realCrlf) {
            bareNewline = true;
        }
        put((byte) '\r');
        put((byte) '\n');
        atLineStart = true;
        lastEndWasCrlf = realCrlf;
    }

    private void put(byte b) {
        received++;
        if (sizeLimit > 0 && received > sizeLimit) {
            oversize = true;
            return;
        }
        if (length == out.length) {
            out = Arrays.copyOf(out, out.length * 2);
        }
        out[length++] = b;
    }

    /** The message as kept: CRLF line ends, unstuffed (empty when it was over the limit). */
    public byte[] content() {
        return oversize ? new byte[0] : Arrays.copyOf(out, length);
    }

    /** Content bytes seen, including those not kept. */
    public long size() {
        return received;
    }

    /** The message exceeded message_size_limit. */
    public boolean oversize() {
        return oversize;
    }

    /** A bare LF or bare CR was seen (and, under NORMALIZE, turned into CRLF). */
    public boolean sawBareNewline() {
        return bareNewline;
    }
}
