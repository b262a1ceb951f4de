package io.postilion.engine.agent;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.pkitesting.X509Bundle;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.server.HttpServer;

/**
 * An MTA-STS policy host for tests: HTTPS on {@code address}:443 (RFC 8461 fixes the port) with
 * the certificate given, answering {@code GET /.well-known/mta-sts.txt} with what the test set
 * (status, media type, body, or a redirect) and counting the fetches.
 */
final class StsPolicyServer implements AutoCloseable {

    private final DisposableServer server;
    private final AtomicInteger fetches = new AtomicInteger();
    private volatile int status = 200;
    private volatile String contentType = "text/plain; charset=utf-8";
    private volatile byte[] body = new byte[0];
    private volatile String location;

    private StsPolicyServer(String address, X509Bundle certificate) throws Exception {
        Http11SslContextSpec tls = Http11SslContextSpec.forServer(certificate.toKeyManagerFactory());
        this.server = HttpServer.create().host(address).port(443).secure(s -> s.sslContext(tls))
                .route(r -> r.get("/.well-known/mta-sts.txt", (req, res) -> {
                    fetches.incrementAndGet();
                    res.status(HttpResponseStatus.valueOf(status));
                    if (location != null) {
                        res.header("Location", location);
                    }
                    if (contentType != null) {
                        res.header("Content-Type", contentType);
                    }
                    return res.sendByteArray(Mono.just(body));
                }))
                .bindNow();
    }

    static StsPolicyServer start(String address, X509Bundle certificate) throws Exception {
        return new StsPolicyServer(address, certificate);
    }

    /** Serve {@code text} as the policy, 200 text/plain. */
    StsPolicyServer policy(String text) {
        return answer(200, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.US_ASCII));
    }

    StsPolicyServer answer(int status, String contentType, byte[] body) {
        this.status = status;
        this.contentType = contentType;
        this.body = body;
        this.location = null;
        return this;
    }

    /** A redirect to {@code url} (which the client must not follow). */
    StsPolicyServer redirect(String url) {
        answer(302, "text/plain", new byte[0]);
        this.location = url;
        return this;
    }

    int fetches() {
        return fetches.get();
    }

    @Override
    public void close() {
        server.disposeNow();
    }
}
