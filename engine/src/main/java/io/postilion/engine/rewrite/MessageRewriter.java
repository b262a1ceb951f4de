package io.postilion.engine.rewrite;

import io.postilion.engine.rewrite.ContentChecks.HeaderClass;
import io.postilion.engine.rewrite.ContentChecks.Verdict;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One pass over a message's lines, rewriting as DATA-22/26/30 say: the prepended headers first,
 * then each logical header through the header checks and (primary headers only) the generic
 * address rewriting, then the body through the body checks. With check tables the content is
 * followed through its MIME structure (DATA-14), so part headers meet the MIME checks and the
 * headers of an attached message the nested checks; without them only the primary header block
 * is looked at and the body passes untouched ({@link #raw()}).
 *
 * <p>Lines that nothing changed are written back byte for byte, with their own line ending; new
 * or changed lines end in CRLF. Text is read as UTF-8 when it is valid UTF-8, else as ISO-8859-1,
 * and written back the same way. Not thread-safe: one instance per pass.
 */
final class MessageRewriter {

    /** Where the output bytes go. */
    interface Sink {
        void write(byte[] bytes, int offset, int length);
    }

    private static final byte[] CRLF = {'\r', '\n'};
    private static final Pattern CONTENT_TYPE = Pattern.compile(
            "^[^:]*:\\s*([a-z0-9!#$%&'*+.^_`{|}~-]+)\\s*/\\s*([a-z0-9!#$%&'*+.^_`{|}~-]+)", Pattern.CASE_INSENSITIVE);
    private static final Pattern BOUNDARY = Pattern.compile(
            ";\\s*boundary\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^\\s;\"]+))", Pattern.CASE_INSENSITIVE);

    private enum State { HEADERS, BODY, RAW }

    private record Boundary(String text, boolean digest) {
    }

    private final ContentChecks checks;
    private final HeaderAddressRewriter addresses;
    private final boolean mime;
    private final boolean generic;
    private final List<String> prepend;
    private final List<String> deliveredTo = new ArrayList<>();
    private final Deque<Boundary> boundaries = new ArrayDeque<>();

    private State state = State.HEADERS;
    private HeaderClass headerClass = HeaderClass.PRIMARY;
    private boolean started;
    private boolean prepending;
    // the logical header being collected: its physical lines, raw and as text
    private final List<byte[]> pendingRaw = new ArrayList<>();
    private final List<String> pendingText = new ArrayList<>();
    private boolean pendingLatin1;
    // the Content-Type of the entity whose header block is being read
    private String type = "text";
    private String subtype = "plain";

    MessageRewriter(RewriteSettings settings, List<String> prepend, ContentChecks checks, GenericMapping mapping) {
        this.checks = checks;
        this.addresses = new HeaderAddressRewriter(mapping);
        this.mime = settings.hasChecks();
        this.generic = mapping.active();
        this.prepend = List.copyOf(prepend);
    }

    /** The first values of the Delivered-To headers of the primary header block (DATA-24). */
    List<String> deliveredTo() {
        return deliveredTo;
    }

    /** Whether the rest of the content passes through untouched. */
    boolean raw() {
        return state == State.RAW;
    }

    /** Emits the prepended headers; called before the first line (and by {@link #finish} for empty content). */
    void start(Sink out) {
        if (started) {
            return;
        }
        started = true;
        prepending = true;
        for (String line : prepend) {
            byte[] b = line.getBytes(StandardCharsets.UTF_8);
            byte[] withEnd = new byte[b.length + 2];
            System.arraycopy(b, 0, withEnd, 0, b.length);
            withEnd[b.length] = '\r';
            withEnd[b.length + 1] = '\n';
            line(withEnd, b.length, out);
        }
        flush(out); // while still prepending: D's own header is no loop evidence
        prepending = false;
    }

    /**
     * One input line.
     *
     * @param line the line with its ending (CRLF, LF, or none for a last line without one)
     * @param length the length of the line without its ending
     */
    void line(byte[] line, int length, Sink out) {
        start(out);
        switch (state) {
            case RAW -> out.write(line, 0, line.length);
            case BODY -> body(line, length, out);
            case HEADERS -> header(line, length, out);
        }
    }

    /** The end of the content. */
    void finish(Sink out) {
        start(out);
        if (state == State.HEADERS) {
            flush(out);
        }
    }

    private void header(byte[] line, int length, Sink out) {
        boolean latin1 = !isUtf8(line, length);
        String text = decode(line, length, latin1);
        if (!pendingRaw.isEmpty() && length > 0 && (line[0] == ' ' || line[0] == '\t')) {
            pendingRaw.add(line);
            pendingText.add(text);
            pendingLatin1 |= latin1;
            return;
        }
        if (HeaderNames.name(text) != null) {
            flush(out);
            pendingRaw.add(line);
            pendingText.add(text);
            pendingLatin1 = latin1;
            return;
        }
        flush(out);
        boolean blank = length == 0;
        if (!blank && headerClass == HeaderClass.PRIMARY) {
            // Postfix separates primary headers from a body that starts without a blank line
            body(CRLF, 0, out);
        }
        endOfHeaders(blank);
        if (state == State.RAW) {
            out.write(line, 0, line.length);
        } else {
            body(line, length, out);
        }
    }

    private void endOfHeaders(boolean blank) {
        if (!mime) {
            state = State.RAW;
            return;
        }
        state = State.BODY;
        if (blank && type.equals("message") && (subtype.equals("rfc822") || subtype.equals("global"))) {
            state = State.HEADERS;
            headerClass = HeaderClass.NESTED;
            type = "text";
            subtype = "plain";
        }
    }

    private void body(byte[] line, int length, Sink out) {
        if (!boundaries.isEmpty() && length > 2 && line[0] == '-' && line[1] == '-') {
            String text = new String(line, 2, length - 2, StandardCharsets.ISO_8859_1);
            for (Boundary b : boundaries) {
                if (text.startsWith(b.text())) {
                    while (boundaries.peek() != b) {
                        boundaries.pop();
                    }
                    if (text.startsWith("--", b.text().length())) {
                        boundaries.pop();
                    } else {
                        state = State.HEADERS;
                        headerClass = HeaderClass.MULTIPART;
                        type = b.digest() ? "message" : "text";
                        subtype = b.digest() ? "rfc822" : "plain";
                    }
                    break;
                }
            }
        }
        if (!mime || checks == null || !checks.active()) {
            out.write(line, 0, line.length);
            return;
        }
        boolean latin1 = !isUtf8(line, length);
        String text = decode(line, length, latin1);
        Verdict v = checks.body(text);
        if (v.prepend() != null) {
            writeLine(v.prepend(), latin1, out);
        }
        if (v.text() == null) {
            return;
        }
        if (v.text().equals(text)) {
            out.write(line, 0, line.length);
        } else {
            writeLine(v.text(), latin1, out);
        }
    }

    /** Sends the collected logical header through the checks and the address rewriting. */
    private void flush(Sink out) {
        if (pendingRaw.isEmpty()) {
            return;
        }
        String header = String.join("\n", pendingText);
        if (headerClass == HeaderClass.PRIMARY && !prepending && deliveredTo.size() < DeliveredToLoop.LIMIT) {
            String value = DeliveredToLoop.value(pendingText.get(0));
            if (value != null) {
                deliveredTo.add(value);
            }
        }
        if (mime) {
            contentType(header);
        }
        String result = header;
        String before = null;
        if (checks != null && checks.active()) {
            Verdict v = checks.header(headerClass, header);
            before = v.prepend();
            result = v.text();
        }
        if (before != null) {
            writeLine(before, pendingLatin1, out);
        }
        if (result != null && generic && headerClass == HeaderClass.PRIMARY) {
            result = addresses.rewrite(result).orElse(result);
        }
        if (result != null) {
            if (result.equals(header)) {
                for (byte[] raw : pendingRaw) {
                    out.write(raw, 0, raw.length);
                }
            } else {
                for (String l : result.split("\n", -1)) {
                    writeLine(l, pendingLatin1, out);
                }
            }
        }
        pendingRaw.clear();
        pendingText.clear();
        pendingLatin1 = false;
    }

    private void contentType(String header) {
        String name = HeaderNames.name(header);
        if (name == null || !name.equalsIgnoreCase("Content-Type")) {
            return;
        }
        String unfolded = header.replace("\n", "");
        Matcher m = CONTENT_TYPE.matcher(unfolded);
        if (!m.find()) {
            return;
        }
        type = m.group(1).toLowerCase(Locale.ROOT);
        subtype = m.group(2).toLowerCase(Locale.ROOT);
        if (type.equals("multipart")) {
            Matcher b = BOUNDARY.matcher(unfolded);
            if (b.find()) {
                String text = b.group(1) != null ? b.group(1).replaceAll("\\\\(.)", "$1") : b.group(2);
                if (!text.isEmpty()) {
                    boundaries.push(new Boundary(text, subtype.equals("digest")));
                }
            }
        }
    }

    private static void writeLine(String text, boolean latin1, Sink out) {
        byte[] b = text.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
        out.write(CRLF, 0, 2);
    }

    private static String decode(byte[] line, int length, boolean latin1) {
        return new String(line, 0, length, latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
    }

    private static boolean isUtf8(byte[] line, int length) {
        boolean ascii = true;
        for (int i = 0; i < length; i++) {
            if (line[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return true;
        }
        try {
            UTF8.get().decode(ByteBuffer.wrap(line, 0, length));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static final ThreadLocal<java.nio.charset.CharsetDecoder> UTF8 = ThreadLocal.withInitial(() -> {
        Charset cs = StandardCharsets.UTF_8;
        return cs.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    });
}
