package io.postilion.transport.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Locale;

/**
 * Converts an 8-bit message to 7-bit MIME while it streams past, for servers without 8BITMIME
 * (DATA-10 decides when; DATA-11..13 say what this does).
 *
 * <p>Only entities whose Content-Transfer-Encoding says {@code 8bit} or {@code binary} change:
 * their encoding header is withheld and a new one is written at the end of their header block,
 * {@code 7bit} for {@code multipart/*} and {@code message/*} containers (except
 * {@code message/global}, which counts as a leaf), {@code quoted-printable} for leaves, whose bodies
 * are then encoded by {@link QuotedPrintableEncoder}. Everything else passes through byte for byte,
 * even when it holds 8-bit bytes, so a non-MIME 8-bit message goes out unchanged. Base64 is never
 * produced. The structure is followed through multipart boundaries (of every enclosing multipart,
 * innermost first; a delimiter line is the delimiter followed by nothing but blanks, or by
 * {@code --} for the closing one) and {@code message/rfc822} bodies; entering more than {@code mime_nesting_limit}
 * levels fails with {@link ContentException} 5.6.0. Other structural oddities are tolerated.
 *
 * <p><b>Input.</b> CRLF-normalised content (it runs before the {@link WireContentEncoder}); a bare
 * LF is taken as a line end too. Lines are handled in pieces of at most {@value #LINE_PIECE_LIMIT}
 * bytes, and of a header field only the Content-Type and Content-Transfer-Encoding fields are
 * kept (up to {@value #FIELD_LIMIT} bytes), so memory stays bounded whatever the input.
 *
 * <p><b>Buffer ownership.</b> As with the wire encoder: {@link #convert} consumes the readable
 * bytes of its argument without releasing it, and every buffer returned belongs to the caller.
 * Internal state lives in plain arrays, so an abandoned downgrader leaks nothing.
 *
 * <p>Not thread-safe: one downgrader serves one message, fed in order. After it has thrown, it
 * must not be used again.
 */
public final class MimeDowngrader {

    /** {@code mime_nesting_limit}'s default. */
    public static final int DEFAULT_NESTING_LIMIT = 100;

    /** The largest piece of a line handled at once. */
    public static final int LINE_PIECE_LIMIT = 8192;

    /** How much of a Content-Type or Content-Transfer-Encoding field is kept for parsing. */
    public static final int FIELD_LIMIT = 8192;

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final short CRLF = 0x0d0a;
    private static final byte[] CTE_7BIT = "Content-Transfer-Encoding: 7bit\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CTE_QP =
            "Content-Transfer-Encoding: quoted-printable\r\n".getBytes(StandardCharsets.US_ASCII);

    private enum LineKind { FIELD, RAW, QP }

    private enum FieldKind { NONE, OTHER, CONTENT_TYPE, TRANSFER_ENCODING }

    // A multipart whose boundaries are being looked for.
    private record Frame(byte[] delimiter, int depth, boolean digest) {
    }

    private final ByteBufAllocator alloc;
    private final int nestingLimit;

    // Line assembly.
    private final byte[] line = new byte[LINE_PIECE_LIMIT];
    private int lineLength;
    private boolean midLine;
    private LineKind lineKind = LineKind.RAW;

    // Structure.
    private final ArrayDeque<Frame> frames = new ArrayDeque<>(); // innermost first
    private int depth;
    private boolean inHeader = true;
    private boolean bodyQuotedPrintable;

    // The entity whose header is being read.
    private String contentType;
    private byte[] boundaryDelimiter;
    private String transferEncoding;
    private boolean defaultMessage;

    // The header field being read.
    private FieldKind field = FieldKind.NONE;
    private final StringBuilder fieldText = new StringBuilder();
    private byte[] withheld = new byte[128];
    private int withheldLength;

    private final QuotedPrintableEncoder qp = new QuotedPrintableEncoder();
    private ByteBuf out;
    private boolean outAtLineStart = true;
    private boolean finished;
    private boolean failed;

    /**
     * @param alloc allocates the output buffers
     * @param nestingLimit {@code mime_nesting_limit}: how many nested multipart or message levels
     *     are accepted
     */
    public MimeDowngrader(ByteBufAllocator alloc, int nestingLimit) {
        if (nestingLimit < 0) {
            throw new IllegalArgumentException("nesting limit must not be negative: " + nestingLimit);
        }
        this.alloc = alloc;
        this.nestingLimit = nestingLimit;
    }

    /** A downgrader with the default nesting limit of 100. */
    public MimeDowngrader(ByteBufAllocator alloc) {
        this(alloc, DEFAULT_NESTING_LIMIT);
    }

    /**
     * Converts the next piece of the message.
     *
     * @param in CRLF-normalised content; all readable bytes are consumed, the buffer is not released
     * @return the converted bytes, owned by the caller (possibly empty)
     * @throws ContentException when the MIME nesting limit is exceeded
     */
    public ByteBuf convert(ByteBuf in) {
        checkUsable();
        int len = in.readableBytes();
        if (len == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        out = alloc.buffer(len + 64);
        try {
            int pos = in.readerIndex();
            int end = in.writerIndex();
            while (pos < end) {
                int lf = in.indexOf(pos, end, LF);
                int stop = lf < 0 ? end : lf;
                append(in, pos, stop);
                if (lf < 0) {
                    break;
                }
                int n = lineLength;
                if (n > 0 && line[n - 1] == CR) {
                    n--;
                }
                deliver(n, true, false);
                lineLength = 0;
                midLine = false;
                pos = lf + 1;
            }
            in.readerIndex(end);
            return takeOut();
        } catch (RuntimeException | Error e) {
            fail();
            throw e;
        }
    }

    /**
     * Ends the message: converts what is left of an unterminated last line (adding no line end; the
     * wire encoder does that) and completes a header block the content ended in.
     *
     * @return the closing bytes, owned by the caller (possibly empty)
     */
    public ByteBuf finish() {
        checkUsable();
        finished = true;
        out = alloc.buffer(64);
        try {
            if (lineLength > 0 || midLine) {
                deliver(lineLength, false, true);
                lineLength = 0;
                midLine = false;
            }
            if (inHeader) {
                finishField();
                if (isEightBit(transferEncoding) && !outAtLineStart) {
                    out.writeShort(CRLF);
                }
                endHeaderBlock();
            }
            return takeOut();
        } catch (RuntimeException | Error e) {
            fail();
            throw e;
        }
    }

    private void checkUsable() {
        if (finished || failed) {
            throw new IllegalStateException(failed ? "downgrader failed earlier" : "downgrader already finished");
        }
    }

    private ByteBuf takeOut() {
        ByteBuf result = out;
        out = null;
        return result;
    }

    private void fail() {
        failed = true;
        if (out != null) {
            out.release();
            out = null;
        }
    }

    private void append(ByteBuf in, int from, int to) {
        while (from < to) {
            if (lineLength == line.length) {
                flushPiece();
            }
            int n = Math.min(line.length - lineLength, to - from);
            in.getBytes(from, line, lineLength, n);
            lineLength += n;
            from += n;
        }
    }

    // Hands on a full piece of an unfinished line, keeping back a final CR that may start a CRLF.
    private void flushPiece() {
        boolean heldCr = line[lineLength - 1] == CR;
        deliver(heldCr ? lineLength - 1 : lineLength, false, false);
        midLine = true;
        if (heldCr) {
            line[0] = CR;
            lineLength = 1;
        } else {
            lineLength = 0;
        }
    }

    // Handles line[0, length): a whole line, the first piece, or a later piece of one.
    private void deliver(int length, boolean endsLine, boolean endOfInput) {
        if (!midLine && !startLine(length, endsLine)) {
            return;
        }
        switch (lineKind) {
            case FIELD -> fieldPiece(length, endsLine);
            case RAW -> writeRaw(line, length, endsLine);
            case QP -> {
                qp.encode(line, 0, length, out);
                if (endsLine || endOfInput) {
                    qp.endLine(out, endsLine);
                    outAtLineStart = endsLine;
                }
            }
        }
    }

    // Classifies a line by its first piece; false when the line was fully handled here.
    private boolean startLine(int length, boolean endsLine) {
        if (!frames.isEmpty() && length >= 2 && line[0] == '-' && line[1] == '-') {
            Frame frame = matchBoundary(length);
            if (frame != null) {
                boundary(frame, length);
                lineKind = LineKind.RAW;
                return true;
            }
        }
        while (inHeader) {
            if (length == 0 && endsLine) {
                finishField();
                endHeaderBlock();
                writeRaw(line, 0, true);
                startBody();
                return false;
            }
            if (length > 0 && (line[0] == ' ' || line[0] == '\t') && field != FieldKind.NONE) {
                lineKind = LineKind.FIELD;
                return true;
            }
            int nameEnd = headerNameEnd(length);
            if (nameEnd > 0) {
                finishField();
                beginField(new String(line, 0, nameEnd, StandardCharsets.ISO_8859_1));
                lineKind = LineKind.FIELD;
                return true;
            }
            // Not a header line: the header block ends without its empty line; this line is body
            // (or, for a message/rfc822 body, the next header block).
            finishField();
            endHeaderBlock();
            startBody();
        }
        lineKind = bodyQuotedPrintable ? LineKind.QP : LineKind.RAW;
        return true;
    }

    private Frame matchBoundary(int length) {
        for (Frame f : frames) {
            byte[] d = f.delimiter;
            if (length >= d.length && java.util.Arrays.equals(line, 0, d.length, d, 0, d.length)
                    && boundaryEnds(d.length, length)) {
                return f;
            }
        }
        return null;
    }

    // After the delimiter only "--" (a close) or blanks may follow, so "--b10" is not "--b1".
    private boolean boundaryEnds(int from, int length) {
        if (length >= from + 2 && line[from] == '-' && line[from + 1] == '-') {
            return true;
        }
        for (int i = from; i < length; i++) {
            if (line[i] != ' ' && line[i] != '\t') {
                return false;
            }
        }
        return true;
    }

    private void boundary(Frame frame, int length) {
        if (inHeader) {
            finishField();
            endHeaderBlock();
        }
        while (frames.peek() != frame) {
            frames.pop();
        }
        int d = frame.delimiter.length;
        boolean close = length >= d + 2 && line[d] == '-' && line[d + 1] == '-';
        bodyQuotedPrintable = false;
        if (close) {
            frames.pop();
            depth = frame.depth - 1;
            inHeader = false;
        } else {
            depth = frame.depth;
            resetEntity(frame.digest);
            inHeader = true;
        }
    }

    // The length of a header field name followed by optional blanks and a colon, or 0.
    private int headerNameEnd(int length) {
        int i = 0;
        while (i < length && line[i] > 0x20 && line[i] < 0x7f && line[i] != ':') {
            i++;
        }
        int nameEnd = i;
        while (i < length && (line[i] == ' ' || line[i] == '\t')) {
            i++;
        }
        return nameEnd > 0 && i < length && line[i] == ':' ? nameEnd : 0;
    }

    private void beginField(String name) {
        if (name.equalsIgnoreCase("Content-Type")) {
            field = FieldKind.CONTENT_TYPE;
        } else if (name.equalsIgnoreCase("Content-Transfer-Encoding")) {
            field = FieldKind.TRANSFER_ENCODING;
        } else {
            field = FieldKind.OTHER;
        }
        fieldText.setLength(0);
        withheldLength = 0;
    }

    private void fieldPiece(int length, boolean endsLine) {
        switch (field) {
            case CONTENT_TYPE -> {
                writeRaw(line, length, endsLine);
                keepText(length, endsLine);
            }
            case TRANSFER_ENCODING -> {
                keepText(length, endsLine);
                if (withheldLength + length + 2 > FIELD_LIMIT) {
                    // Too long to be an encoding we convert: let it through as it is.
                    writeRaw(withheld, withheldLength, false);
                    withheldLength = 0;
                    writeRaw(line, length, endsLine);
                    field = FieldKind.OTHER;
                    transferEncoding = "?";
                    return;
                }
                withhold(length, endsLine);
            }
            default -> writeRaw(line, length, endsLine);
        }
    }

    private void keepText(int length, boolean endsLine) {
        int room = FIELD_LIMIT - fieldText.length();
        for (int i = 0; i < length && i < room; i++) {
            fieldText.append((char) (line[i] & 0xff));
        }
        if (endsLine && fieldText.length() < FIELD_LIMIT) {
            fieldText.append(' ');
        }
    }

    private void withhold(int length, boolean endsLine) {
        int need = withheldLength + length + 2;
        if (need > withheld.length) {
            withheld = java.util.Arrays.copyOf(withheld, Math.max(need, withheld.length * 2));
        }
        System.arraycopy(line, 0, withheld, withheldLength, length);
        withheldLength += length;
        if (endsLine) {
            withheld[withheldLength++] = CR;
            withheld[withheldLength++] = LF;
        }
    }

    private void finishField() {
        if (field == FieldKind.CONTENT_TYPE) {
            parseContentType(valueOf(fieldText));
        } else if (field == FieldKind.TRANSFER_ENCODING) {
            transferEncoding = firstToken(valueOf(fieldText));
            if (!isEightBit(transferEncoding) && withheldLength > 0) {
                writeRaw(withheld, withheldLength, false);
                outAtLineStart = withheld[withheldLength - 1] == LF;
            }
            withheldLength = 0;
        }
        field = FieldKind.NONE;
    }

    private void endHeaderBlock() {
        if (isEightBit(transferEncoding)) {
            out.writeBytes(isContainer(effectiveType()) ? CTE_7BIT : CTE_QP);
            outAtLineStart = true;
        }
    }

    private void startBody() {
        inHeader = false;
        bodyQuotedPrintable = false;
        String type = effectiveType();
        String cte = transferEncoding;
        boolean identity = cte == null || cte.equals("7bit") || isEightBit(cte);
        if (type.startsWith("multipart/") && boundaryDelimiter != null) {
            enterLevel();
            frames.push(new Frame(boundaryDelimiter, depth, type.equals("multipart/digest")));
        } else if (type.equals("message/rfc822") && identity) {
            enterLevel();
            resetEntity(false);
            inHeader = true;
        } else if (!isContainer(type)) {
            bodyQuotedPrintable = isEightBit(cte);
        }
    }

    private void enterLevel() {
        depth++;
        if (depth > nestingLimit) {
            throw new ContentException(ContentException.MIME_NESTING_STATUS, ContentException.MIME_NESTING_TEXT);
        }
    }

    private void resetEntity(boolean digestPart) {
        contentType = null;
        boundaryDelimiter = null;
        transferEncoding = null;
        defaultMessage = digestPart;
        field = FieldKind.NONE;
        withheldLength = 0;
    }

    private String effectiveType() {
        if (contentType != null) {
            return contentType;
        }
        return defaultMessage ? "message/rfc822" : "text/plain";
    }

    private static boolean isContainer(String type) {
        return type.startsWith("multipart/") || (type.startsWith("message/") && !type.equals("message/global"));
    }

    private static boolean isEightBit(String cte) {
        return cte != null && (cte.equals("8bit") || cte.equals("binary"));
    }

    private void writeRaw(byte[] src, int length, boolean endsLine) {
        out.writeBytes(src, 0, length);
        if (endsLine) {
            out.writeShort(CRLF);
        }
        if (length > 0 || endsLine) {
            outAtLineStart = endsLine;
        }
    }

    // The text after the field name's colon.
    private static String valueOf(CharSequence field) {
        String s = field.toString();
        int colon = s.indexOf(':');
        return colon < 0 ? "" : s.substring(colon + 1);
    }

    // The first token of a value, lower-cased, with comments and blanks removed.
    private static String firstToken(String value) {
        StringBuilder b = new StringBuilder();
        int comment = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '(') {
                comment++;
            } else if (c == ')' && comment > 0) {
                comment--;
            } else if (comment == 0) {
                if (c == ' ' || c == '\t' || c == ';') {
                    if (b.length() > 0) {
                        break;
                    }
                } else {
                    b.append(c);
                }
            }
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }

    private void parseContentType(String value) {
        int semi = value.indexOf(';');
        String type = firstToken(semi < 0 ? value : value.substring(0, semi));
        contentType = type.isEmpty() ? null : type;
        boundaryDelimiter = null;
        if (semi < 0) {
            return;
        }
        Iterator<String[]> params = parameters(value, semi + 1);
        while (params.hasNext()) {
            String[] p = params.next();
            if (p[0].equalsIgnoreCase("boundary") && !p[1].isEmpty()) {
                boundaryDelimiter = ("--" + p[1]).getBytes(StandardCharsets.ISO_8859_1);
            }
        }
    }

    // Splits "; name=value; name="quoted value"" into pairs.
    private static Iterator<String[]> parameters(String s, int start) {
        java.util.List<String[]> list = new java.util.ArrayList<>();
        int i = start;
        int n = s.length();
        while (i < n) {
            while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == ';')) {
                i++;
            }
            int nameStart = i;
            while (i < n && s.charAt(i) != '=' && s.charAt(i) != ';') {
                i++;
            }
            String name = s.substring(nameStart, i).trim();
            if (i >= n || s.charAt(i) == ';') {
                continue;
            }
            i++; // '='
            while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
                i++;
            }
            StringBuilder v = new StringBuilder();
            if (i < n && s.charAt(i) == '"') {
                i++;
                while (i < n && s.charAt(i) != '"') {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        c = s.charAt(i++);
                    }
                    v.append(c);
                }
                i++; // closing quote
            } else {
                while (i < n && s.charAt(i) != ';' && s.charAt(i) != ' ' && s.charAt(i) != '\t') {
                    v.append(s.charAt(i++));
                }
            }
            list.add(new String[] {name, v.toString()});
        }
        return list.iterator();
    }
}
