package io.postilion.transport.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import reactor.core.publisher.Flux;

/** Helpers shared by the content tests: byte-exact strings (ISO-8859-1) and leak-free collection. */
final class ContentTestSupport {

    static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    private ContentTestSupport() {
    }

    static byte[] bytes(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** Reads and releases a buffer. */
    static byte[] drain(ByteBuf buf) {
        try {
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return b;
        } finally {
            buf.release();
        }
    }

    /** Encodes input cut at the given offsets, then finishes; returns the wire bytes. */
    static byte[] encode(byte[] input, ContentMode mode, int limit, int... cuts) {
        WireContentEncoder enc = new WireContentEncoder(ALLOC, mode, limit);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        for (int cut : cuts) {
            feed(enc, input, from, cut, out);
            from = cut;
        }
        feed(enc, input, from, input.length, out);
        out.writeBytes(drain(enc.finish()));
        return out.toByteArray();
    }

    private static void feed(WireContentEncoder enc, byte[] input, int from, int to, ByteArrayOutputStream out) {
        ByteBuf in = ALLOC.buffer(to - from).writeBytes(input, from, to - from);
        try {
            out.writeBytes(drain(enc.encode(in)));
        } finally {
            in.release();
        }
    }

    static String encode(String input, ContentMode mode, int limit, int... cuts) {
        return latin1(encode(bytes(input), mode, limit, cuts));
    }

    /** Downgrades input cut at the given offsets, then finishes. */
    static byte[] downgrade(byte[] input, int nestingLimit, int... cuts) {
        MimeDowngrader d = new MimeDowngrader(ALLOC, nestingLimit);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        int[] all = java.util.Arrays.copyOf(cuts, cuts.length + 1);
        all[cuts.length] = input.length;
        for (int cut : all) {
            ByteBuf in = Unpooled.wrappedBuffer(input, from, cut - from);
            out.writeBytes(drain(d.convert(in)));
            from = cut;
        }
        out.writeBytes(drain(d.finish()));
        return out.toByteArray();
    }

    static String downgrade(String input, int... cuts) {
        return latin1(downgrade(bytes(input), MimeDowngrader.DEFAULT_NESTING_LIMIT, cuts));
    }

    /** Collects a flux of buffers into bytes, releasing each. */
    static byte[] collect(Flux<ByteBuf> flux) {
        List<ByteBuf> list = flux.collectList().block();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf b : list) {
            out.writeBytes(drain(b));
        }
        return out.toByteArray();
    }

    /** CR, LF and CRLF each to CRLF, and a final CRLF when the last line lacks one. */
    static byte[] normalise(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean atStart = true;
        for (int i = 0; i < in.length; i++) {
            byte b = in[i];
            if (b == '\r') {
                out.write('\r');
                out.write('\n');
                if (i + 1 < in.length && in[i + 1] == '\n') {
                    i++;
                }
                atStart = true;
            } else if (b == '\n') {
                out.write('\r');
                out.write('\n');
                atStart = true;
            } else {
                out.write(b);
                atStart = false;
            }
        }
        if (!atStart) {
            out.write('\r');
            out.write('\n');
        }
        return out.toByteArray();
    }

    /**
     * Undoes the wire encoding: removes stuffed dots and joins continuation lines (a line starting
     * with a space continues the previous one; callers use inputs without leading spaces when a
     * limit applies).
     */
    static byte[] decodeWire(byte[] wire, boolean stuffed, boolean joinContinuations) {
        String s = latin1(wire);
        if (!s.isEmpty() && !s.endsWith("\r\n")) {
            throw new AssertionError("wire does not end with CRLF");
        }
        StringBuilder out = new StringBuilder();
        String[] lines = s.isEmpty() ? new String[0] : s.substring(0, s.length() - 2).split("\r\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
                throw new AssertionError("bare CR or LF on the wire");
            }
            if (joinContinuations && i > 0 && line.startsWith(" ")) {
                out.setLength(out.length() - 2);
                out.append(line, 1, line.length()).append("\r\n");
                continue;
            }
            if (stuffed && line.startsWith(".")) {
                if (!line.startsWith("..")) {
                    throw new AssertionError("unstuffed dot line: " + line);
                }
                line = line.substring(1);
            }
            out.append(line).append("\r\n");
        }
        return bytes(out.toString());
    }

    static String repeat(char c, int n) {
        return String.valueOf(c).repeat(n);
    }
}
