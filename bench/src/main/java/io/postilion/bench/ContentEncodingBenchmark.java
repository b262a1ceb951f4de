package io.postilion.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.postilion.transport.content.ContentMode;
import io.postilion.transport.content.MimeDowngrader;
import io.postilion.transport.content.WireContentEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Message content on its way to the wire, one whole message per operation, fed in 8 KiB pieces as
 * the spool reader hands them over: {@link WireContentEncoder} in DATA mode on clean CRLF content
 * (the zero-copy path: each output is a retained slice of its input), on content where every fourth
 * line starts with a dot (stuffing: a copy), and on bare-LF content (every line end rewritten); and
 * {@link MimeDowngrader} turning an 8bit text/plain message into quoted-printable. Sizes 1 KiB and
 * 100 KiB. Every output buffer is released after the Blackhole has seen it.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ContentEncodingBenchmark {

    static final int CHUNK = 8192;
    static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** Input for the wire encoder. */
    @State(Scope.Thread)
    public static class EncoderInput {
        @Param({"1024", "102400"})
        public int size;

        @Param({"crlf", "dots", "bareLf"})
        public String kind;

        ByteBuf message;

        @Setup(Level.Trial)
        public void setUp() {
            message = direct(text(size, kind));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            message.release();
        }
    }

    /** Input for the 7-bit downgrade: an 8bit text/plain message with UTF-8 in every body line. */
    @State(Scope.Thread)
    public static class DowngradeInput {
        @Param({"1024", "102400"})
        public int size;

        ByteBuf message;

        @Setup(Level.Trial)
        public void setUp() {
            String headers = "From: sender@example.test\r\nTo: rcpt@example.test\r\nSubject: bench\r\n"
                    + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    + "Content-Transfer-Encoding: 8bit\r\n\r\n";
            StringBuilder sb = new StringBuilder(headers);
            String line = "Grüße aus Zürich, déjà vu: naïve café owners cooperate with the façade.\r\n";
            while (sb.toString().getBytes(StandardCharsets.UTF_8).length + line.length() * 2 < size) {
                sb.append(line);
            }
            message = direct(sb.toString());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            message.release();
        }
    }

    static String text(int size, String kind) {
        String eol = kind.equals("bareLf") ? "\n" : "\r\n";
        StringBuilder sb = new StringBuilder(size + 100);
        sb.append("From: sender@example.test").append(eol).append("To: rcpt@example.test").append(eol)
                .append("Subject: bench").append(eol).append(eol);
        int n = 0;
        while (sb.length() < size - 80) {
            boolean dot = kind.equals("dots") && n % 4 == 0;
            sb.append(dot ? "." : "L").append("ine ").append(n++)
                    .append(" of plain ASCII message text, wrapped at about seventy columns.").append(eol);
        }
        return sb.toString();
    }

    static ByteBuf direct(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ALLOC.directBuffer(b.length).writeBytes(b);
    }

    @Benchmark
    public void wireEncode(EncoderInput input, Blackhole bh) {
        WireContentEncoder enc = new WireContentEncoder(ALLOC, ContentMode.DATA);
        ByteBuf m = input.message;
        int len = m.writerIndex();
        for (int off = 0; off < len; off += CHUNK) {
            ByteBuf piece = m.slice(off, Math.min(CHUNK, len - off));
            ByteBuf out = enc.encode(piece);
            bh.consume(out.readableBytes());
            out.release();
        }
        ByteBuf tail = enc.finish();
        bh.consume(tail.readableBytes());
        tail.release();
    }

    @Benchmark
    public void downgrade8bit(DowngradeInput input, Blackhole bh) {
        MimeDowngrader down = new MimeDowngrader(ALLOC);
        ByteBuf m = input.message;
        int len = m.writerIndex();
        for (int off = 0; off < len; off += CHUNK) {
            ByteBuf out = down.convert(m.slice(off, Math.min(CHUNK, len - off)));
            bh.consume(out.readableBytes());
            out.release();
        }
        ByteBuf tail = down.finish();
        bh.consume(tail.readableBytes());
        tail.release();
    }
}
