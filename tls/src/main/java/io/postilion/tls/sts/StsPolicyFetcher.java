package io.postilion.tls.sts;

import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.ssl.SslContextBuilder;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.tls.TrustAnchors;
import java.io.ByteArrayOutputStream;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Fetches {@code https://mta-sts.DOMAIN/.well-known/mta-sts.txt} (RFC 8461 section 3.3) with
 * Reactor Netty's HTTP client, without blocking: the server's certificate must chain to the
 * configured Web PKI roots and name {@code mta-sts.DOMAIN} (checked in the handshake); only a
 * 200 answer of media type {@code text/plain} counts; redirects are not followed; the body may
 * not exceed 64 KiB; connect, handshake, answer and the whole fetch have time limits. The host
 * name is looked up through the agent's asynchronous resolver. One connection per fetch, closed
 * afterwards: fetches are rare (once per policy id and max_age).
 */
public final class StsPolicyFetcher {

    /** RFC 8461 section 3.3 suggests senders refuse policies much larger than this. */
    public static final int MAX_BODY = 64 * 1024;

    private final HttpClient client;
    private final Duration timeout;

    /**
     * @param dns the resolver that finds {@code mta-sts.DOMAIN}
     * @param trust smtp_tls_mta_sts_CAfile, or the JDK's default store
     * @param timeout the limit on each stage and on the whole fetch
     */
    public StsPolicyFetcher(AsyncDnsResolver dns, TrustAnchors trust, Duration timeout) {
        this(dns, trust, timeout, null);
    }

    /**
     * As {@link #StsPolicyFetcher(AsyncDnsResolver, TrustAnchors, Duration)}, fetching on
     * {@code loops} (the agent's netty_transport) rather than Reactor Netty's default loops when
     * it is not null.
     */
    public StsPolicyFetcher(AsyncDnsResolver dns, TrustAnchors trust, Duration timeout,
            reactor.netty.resources.LoopResources loops) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        X509Certificate[] roots = trust.certificates().toArray(X509Certificate[]::new);
        if (roots.length == 0) {
            throw new IllegalArgumentException("MTA-STS needs at least one trusted CA certificate");
        }
        // Built now, at start-up, so no event loop ever reads a trust store.
        Http11SslContextSpec spec = Http11SslContextSpec.forClient()
                .configure(b -> configure(b, roots));
        HttpClient http = HttpClient.create(ConnectionProvider.newConnection());
        if (loops != null) {
            http = http.runOn(loops);
        }
        this.client = http
                .resolver(new StsAddressResolverGroup(dns))
                .followRedirect(false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .responseTimeout(timeout)
                .secure(s -> s.sslContext(spec).handshakeTimeout(timeout));
    }

    private static void configure(SslContextBuilder b, X509Certificate[] roots) {
        // the Web PKI check of RFC 8461 section 3.3: chain to a root, name mta-sts.DOMAIN
        b.trustManager(roots).endpointIdentificationAlgorithm("HTTPS");
    }

    /** The policy body of {@code domain} (lower case, no final dot), or a {@link StsFetchException}. */
    public Mono<byte[]> fetch(String domain) {
        String url = "https://mta-sts." + domain + "/.well-known/mta-sts.txt";
        AtomicInteger size = new AtomicInteger();
        return client.get().uri(url).response((res, body) -> {
            int code = res.status().code();
            if (code != 200) {
                return Flux.<byte[]>error(new StsFetchException(url + ": HTTP status " + code));
            }
            String type = res.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
            if (!textPlain(type)) {
                return Flux.<byte[]>error(new StsFetchException(url + ": media type " + (type == null ? "missing" : type)
                        + ", not text/plain"));
            }
            String length = res.responseHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
            if (length != null && tooLong(length.trim())) {
                return Flux.<byte[]>error(new StsFetchException(url + ": policy larger than " + MAX_BODY + " bytes"));
            }
            return body.asByteArray();
        }).handle((byte[] chunk, reactor.core.publisher.SynchronousSink<byte[]> sink) -> {
            if (size.addAndGet(chunk.length) > MAX_BODY) {
                sink.error(new StsFetchException(url + ": policy larger than " + MAX_BODY + " bytes"));
            } else {
                sink.next(chunk);
            }
        }).collect(ByteArrayOutputStream::new, (out, chunk) -> out.write(chunk, 0, chunk.length))
                .map(ByteArrayOutputStream::toByteArray)
                .timeout(timeout.multipliedBy(2), Mono.error(() -> new StsFetchException(url + ": timed out",
                        new TimeoutException())))
                .onErrorMap(e -> !(e instanceof StsFetchException), e -> new StsFetchException(url + ": " + describe(e), e));
    }

    /** A Content-Length that announces more than {@link #MAX_BODY} (the count while reading is what binds). */
    private static boolean tooLong(String length) {
        return length.chars().allMatch(c -> c >= '0' && c <= '9') && (length.length() > 9 || Long.parseLong(length) > MAX_BODY);
    }

    /** {@code text/plain}, any parameters (charset) aside, in any case. */
    static boolean textPlain(String type) {
        if (type == null) {
            return false;
        }
        int semi = type.indexOf(';');
        String media = (semi < 0 ? type : type.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        return media.equals("text/plain");
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
