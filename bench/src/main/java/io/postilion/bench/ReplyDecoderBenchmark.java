package io.postilion.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.postilion.transport.reply.ReplyDecoder;
import io.postilion.transport.reply.SmtpReply;
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
 * {@link ReplyDecoder#next} on typical server replies, each arriving whole in one buffer: a one-line
 * "250 2.1.0 Ok", the 220 greeting, a 3-line 250 reply, a 20-line EHLO reply, and the same EHLO
 * reply arriving in 64-byte pieces (the decoder keeps partial lines between calls). The input buffer
 * is reused (reader index reset), so the figures are the decoder's own cost.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ReplyDecoderBenchmark {

    static final String OK = "250 2.1.0 Ok\r\n";
    static final String GREETING = "220 mx1.example.test ESMTP Postfix (Debian/GNU)\r\n";
    static final String MULTI = "250-2.0.0 first line of a multi-line reply\r\n"
            + "250-2.0.0 second line of a multi-line reply\r\n"
            + "250 2.0.0 last line of a multi-line reply\r\n";
    static final String EHLO = String.join("\r\n",
            "250-mx1.example.test",
            "250-PIPELINING",
            "250-SIZE 10240000",
            "250-VRFY",
            "250-ETRN",
            "250-STARTTLS",
            "250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5",
            "250-AUTH=PLAIN LOGIN",
            "250-ENHANCEDSTATUSCODES",
            "250-8BITMIME",
            "250-DSN",
            "250-SMTPUTF8",
            "250-CHUNKING",
            "250-BINARYMIME",
            "250-DELIVERBY 300",
            "250-MT-PRIORITY MIXER",
            "250-FUTURERELEASE 604800 2026-12-31T23:59:59Z",
            "250-REQUIRETLS",
            "250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT",
            "250 XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT") + "\r\n";

    @Param({"ok", "greeting", "multi3", "ehlo20"})
    public String reply;

    private ByteBuf in;
    private ByteBuf[] pieces;
    private ReplyDecoder decoder;

    @Setup(Level.Trial)
    public void setUp() {
        String text = switch (reply) {
            case "ok" -> OK;
            case "greeting" -> GREETING;
            case "multi3" -> MULTI;
            case "ehlo20" -> EHLO;
            default -> throw new IllegalArgumentException(reply);
        };
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        in = Unpooled.wrappedBuffer(bytes);
        int n = (bytes.length + 63) / 64;
        pieces = new ByteBuf[n];
        for (int i = 0; i < n; i++) {
            int off = i * 64;
            pieces[i] = Unpooled.wrappedBuffer(bytes, off, Math.min(64, bytes.length - off));
        }
        decoder = new ReplyDecoder();
        SmtpReply r = decoder.next(in);
        if (r == null || r.lines().size() != text.split("\r\n").length) {
            throw new IllegalStateException("decoder gave " + r);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        in.release();
        for (ByteBuf p : pieces) {
            p.release();
        }
    }

    @Benchmark
    public SmtpReply whole() {
        in.readerIndex(0);
        return decoder.next(in);
    }

    @Benchmark
    public void in64BytePieces(Blackhole bh) {
        SmtpReply r = null;
        for (ByteBuf p : pieces) {
            p.readerIndex(0);
            r = decoder.next(p);
        }
        if (r == null) {
            throw new IllegalStateException("reply not complete after the last piece");
        }
        bh.consume(r);
    }
}
