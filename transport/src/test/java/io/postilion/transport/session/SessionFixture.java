package io.postilion.transport.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Mono;

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

    /** Content already in wire form for DATA (stuffed, CRLF) and for BDAT (unstuffed). */
    static Transaction txForms(String dataWire, String bdatWire, String... rcpts) {
        return new Transaction("MAIL FROM:<sender@example.com>",
                java.util.Arrays.stream(rcpts).map(r -> "RCPT TO:<" + r + ">").toList(),
                mode -> Mono.fromSupplier(() -> buf(mode == ContentMode.DATA ? dataWire : bdatWire)),
                bdatWire.getBytes(StandardCharsets.UTF_8).length, false);
    }

    static Transaction tx(String body, String... rcpts) {
        return txForms(body, body, rcpts);
    }

    static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    static List<Integer> codes(List<io.postilion.transport.reply.SmtpReply> replies) {
        return replies.stream().map(r -> r == null ? -1 : r.code()).toList();
    }
}
