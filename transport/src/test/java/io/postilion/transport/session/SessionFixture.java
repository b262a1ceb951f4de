package io.postilion.transport.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import io.netty.buffer.ByteBufAllocator;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import reactor.core.publisher.Flux;

/** Helpers shared by the session tests: a client aimed at a fake server, and simple content. */
final class SessionFixture {

    static final Duration WAIT = Duration.ofSeconds(20);

    private SessionFixture() {
    }

    static Endpoint endpointOf(FakeSmtpServer server) {
        return Endpoint.inet("fake.test", server.address());
    }

    static SessionSettings fast(SessionSettings s) {
        return s.withTimeouts(Timeouts.all(Duration.ofSeconds(3)));
    }

    static SmtpSession connect(FakeSmtpServer server, SessionSettings settings) {
        SmtpClient.Connected c = SmtpClient.create(settings).connect(endpointOf(server)).block(WAIT);
        if (c == null || !c.ok()) {
            throw new AssertionError("connect failed: " + (c == null ? "no result" : c.failure()));
        }
        return c.session();
    }

    static Handshake handshake(SmtpSession s) {
        return s.handshake().block(WAIT);
    }

    /** The client's lines the server saw before its first reply starting with {@code replyPrefix}. */
    static List<String> clientLinesBeforeFirstReplyTo(FakeSmtpServer server, String replyPrefix) {
        List<String> out = new java.util.ArrayList<>();
        for (String line : server.transcript()) {
            if (line.startsWith("S: " + replyPrefix)) {
                return out;
            }
            if (line.startsWith("C: ")) {
                out.add(line.substring(3));
            }
        }
        return out;
    }

    /** A transaction from sender@example.com with raw content (the session encodes it). */
    static Transaction tx(String content, String... rcpts) {
        return tx(ContentOptions.defaults(), content, rcpts);
    }

    static Transaction tx(ContentOptions options, String content, String... rcpts) {
        return new Transaction("MAIL FROM:<sender@example.com>",
                java.util.Arrays.stream(rcpts).map(r -> "RCPT TO:<" + r + ">").toList(),
                ContentSource.of(content.getBytes(StandardCharsets.UTF_8)), options, false);
    }

    /** Content of {@code lines} lines of {@code lineLength} bytes each, made as it is read. */
    static ContentSource generated(int lines, int lineLength) {
        return new ContentSource() {
            @Override
            public long size() {
                return (long) lines * (lineLength + 2);
            }

            @Override
            public Flux<ByteBuf> open(ByteBufAllocator alloc) {
                byte[] line = ("x".repeat(lineLength) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                return Flux.range(0, lines).map(i -> alloc.buffer(line.length).writeBytes(line));
            }
        };
    }

    static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    static List<Integer> codes(List<io.postilion.transport.reply.SmtpReply> replies) {
        return replies.stream().map(r -> r == null ? -1 : r.code()).toList();
    }
}
