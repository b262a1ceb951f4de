package io.postilion.transport.reply;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the bytes a server sends into complete {@link SmtpReply} values, in bounded memory.
 *
 * <p>Lines end at LF with any CRs before it removed (REPLY-1). A line longer than
 * {@link #LINE_LIMIT} keeps its first {@code LINE_LIMIT} bytes; the rest is read and dropped. Lines
 * are added to a reply while its text is shorter than {@code LINE_LIMIT}; later lines are read and
 * dropped (REPLY-2). So a reply never holds more than about twice the limit, whatever the server
 * sends, and a reply that never ends is ended by the stage timer, not by this decoder
 * (CLARIFICATIONS 9).
 *
 * <p>A line of three digits followed by '-' continues the reply; three digits followed by a space
 * or by the end of the line end it; anything else is garbage, kept as text and flagged (XFER-29).
 * The code and enhanced status come from the final line. Unprintable bytes become '?', except
 * valid UTF-8 when {@code keepUtf8} is set (the session sets it from smtputf8_enable).
 */
public final class ReplyDecoder extends ByteToMessageDecoder {

    /** Postfix's {@code line_length_limit}: the bound for one line and for a reply's text. */
    public static final int LINE_LIMIT = 2048;

    private static final Logger log = LoggerFactory.getLogger(ReplyDecoder.class);

    private final boolean keepUtf8;
    private final byte[] line = new byte[LINE_LIMIT];
    private int lineLength;
    private boolean lineOverflow;

    // The reply so far: the kept lines' cleaned text back to back, and where each line ends.
    private byte[] text = new byte[64];
    private int textLength;
    private int[] lineEnds = new int[4];
    /** Each kept line's own code, -1 for a garbage line without one: diagnostics quote lines whole. */
    private int[] lineCodes = new int[4];
    private int lineCount;
    private boolean utf8;
    private boolean garbage;
    private boolean truncated;
    private boolean warnedTruncation;
    private final UnaryOperator<String> filter;

    public ReplyDecoder(boolean keepUtf8) {
        this(keepUtf8, null);
    }

    /**
     * @param filter smtp_reply_filter (REPLY-3): applied to each whole line, after non-printable
     *     characters became '?', before it is parsed; null for none (and no extra cost)
     */
    public ReplyDecoder(boolean keepUtf8, UnaryOperator<String> filter) {
        this.keepUtf8 = keepUtf8;
        this.filter = filter;
    }

    public ReplyDecoder() {
        this(false);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        SmtpReply reply;
        while ((reply = next(in)) != null) {
            out.add(reply);
        }
    }

    /**
     * Consumes bytes from {@code in} up to and including the end of the next complete reply.
     *
     * @return the reply, or null when {@code in} ran out first (its bytes are consumed and kept)
     */
    public SmtpReply next(ByteBuf in) {
        while (in.isReadable()) {
            int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
            int end = lf < 0 ? in.writerIndex() : lf;
            append(in, end - in.readerIndex());
            if (lf < 0) {
                return null;
            }
            in.readerIndex(lf + 1);
            SmtpReply reply = endOfLine();
            if (reply != null) {
                return reply;
            }
        }
        return null;
    }

    private void append(ByteBuf in, int count) {
        int room = LINE_LIMIT - lineLength;
        int take = Math.min(room, count);
        in.readBytes(line, lineLength, take);
        lineLength += take;
        if (take < count) {
            in.skipBytes(count - take);
            lineOverflow = true;
        }
    }

    private SmtpReply endOfLine() {
        int len = lineLength;
        while (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        if (lineOverflow) {
            log.warn("reply line longer than {} bytes: truncated", LINE_LIMIT);
            truncated = true;
        }
        lineLength = 0;
        lineOverflow = false;
        if (filter != null) {
            len = filtered(len);
        }

        int code = replyCode(len);
        if (code < 0) {
            garbage = true;
            keep(0, len, -1);
            return null;
        }
        boolean last = len == 3 || line[3] == ' ';
        int from = Math.min(4, len);
        if (!last) {
            keep(from, len, code);
            return null;
        }
        keepFinal(from, len, code);
        SmtpReply reply = SmtpReply.decoded(code, java.util.Arrays.copyOf(text, textLength),
                java.util.Arrays.copyOf(lineEnds, lineCount), java.util.Arrays.copyOf(lineCodes, lineCount), utf8,
                garbage, truncated);
        reset();
        return reply;
    }

    /** REPLY-3: the filter's replacement, written over the line; returns the new length. */
    private int filtered(int len) {
        String before = rawLine(len);
        String after = filter.apply(before);
        if (after == null || after.equals(before)) {
            return len;
        }
        log.info("reply filter: \"{}\" replaced by \"{}\"", before, after);
        byte[] b = after.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int n = Math.min(b.length, line.length);
        System.arraycopy(b, 0, line, 0, n);
        return n;
    }

    /** The line as the filter sees it: cleaned as kept text is, as one String. */
    private String rawLine(int len) {
        int savedLength = textLength;
        int savedCount = lineCount;
        boolean savedUtf8 = utf8;
        clean(0, len);
        String s = new String(text, savedLength, textLength - savedLength, utf8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        textLength = savedLength;
        lineCount = savedCount;
        utf8 = savedUtf8;
        return s;
    }

    /** The code of a line that is a reply line (three digits, then space, '-' or nothing), else -1. */
    private int replyCode(int len) {
        if (len < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2])) {
            return -1;
        }
        if (len > 3 && line[3] != ' ' && line[3] != '-') {
            return -1;
        }
        return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    }

    private void keep(int from, int to, int code) {
        if (textLength + lineCount < LINE_LIMIT) {
            clean(from, to);
            lineCodes[lineCount - 1] = code;
        } else {
            dropped();
        }
    }

    // The final line always stays: its code and status decide the outcome, its text explains it.
    private void keepFinal(int from, int to, int code) {
        if (textLength + lineCount >= LINE_LIMIT) {
            dropped();
        }
        clean(from, to);
        lineCodes[lineCount - 1] = code;
    }

    private void dropped() {
        truncated = true;
        if (!warnedTruncation) {
            warnedTruncation = true;
            log.warn("reply longer than {} characters: further lines are read and dropped", LINE_LIMIT);
        }
    }

    private void reset() {
        textLength = 0;
        lineCount = 0;
        utf8 = false;
        garbage = false;
        truncated = false;
        warnedTruncation = false;
    }

    /**
     * Appends line[from, to) to the reply's text as one kept line: control bytes and bytes that are
     * not valid UTF-8 (or any non-ASCII byte unless SMTPUTF8 is on) become '?' (REPLY-1).
     */
    private void clean(int from, int to) {
        if (text.length - textLength < to - from) {
            text = java.util.Arrays.copyOf(text, Math.max(text.length * 2, textLength + to - from));
        }
        int n = textLength;
        for (int i = from; i < to; i++) {
            byte b = line[i];
            if (b >= 0x20 && b != 0x7f) {
                text[n++] = b;
            } else if (b >= 0) {
                text[n++] = '?';
            } else {
                int len = keepUtf8 ? utf8Length(i, to) : 0;
                if (len > 0) {
                    System.arraycopy(line, i, text, n, len);
                    n += len;
                    i += len - 1;
                    utf8 = true;
                } else {
                    text[n++] = '?';
                }
            }
        }
        textLength = n;
        if (lineCount == lineEnds.length) {
            lineEnds = java.util.Arrays.copyOf(lineEnds, lineCount * 2);
            lineCodes = java.util.Arrays.copyOf(lineCodes, lineCount * 2);
        }
        lineEnds[lineCount++] = n;
    }

    /** Length of the valid UTF-8 sequence starting at {@code i}, or 0 if it is not one. */
    private int utf8Length(int i, int end) {
        int b = line[i] & 0xff;
        int n = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 0;
        if (n == 0 || b > 0xf4 || i + n > end) {
            return 0;
        }
        for (int k = 1; k < n; k++) {
            if ((line[i + k] & 0xc0) != 0x80) {
                return 0;
            }
        }
        return n;
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }
}
