package io.postilion.engine.metrics;

import io.netty.channel.Channel;
import io.postilion.engine.config.Configuration;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.netty.http.server.HttpServer;

/**
 * The limits every HTTP listener of the relay applies (http_idle_timeout, http_connection_limit),
 * so that thousands of idle or half-sent requests cannot take the descriptors the SMTP listener
 * needs: a connection that sends nothing for the idle timeout is closed, and one beyond the cap
 * is closed as soon as it is accepted.
 */
public record HttpListenerLimits(Duration idleTimeout, int connectionLimit) {

    public HttpListenerLimits {
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idle timeout must be positive: " + idleTimeout);
        }
        if (connectionLimit < 1) {
            throw new IllegalArgumentException("connection limit must be at least 1: " + connectionLimit);
        }
    }

    /** Postfix-style defaults: 30s and 64 connections. */
    public static HttpListenerLimits defaults() {
        return new HttpListenerLimits(Duration.ofSeconds(30), 64);
    }

    public static HttpListenerLimits from(Configuration cfg) {
        return new HttpListenerLimits(cfg.time("http_idle_timeout"), cfg.integer("http_connection_limit"));
    }

    /**
     * The server with both limits applied; each server so made counts its own connections. The
     * idle timeout covers the wait for a request and the reading of one, so a request sent a
     * byte at a time is cut off too.
     */
    public HttpServer applyTo(HttpServer server) {
        AtomicInteger open = new AtomicInteger();
        return server.idleTimeout(idleTimeout)
                .readTimeout(idleTimeout)
                .requestTimeout(idleTimeout)
                .doOnChannelInit((observer, channel, remote) -> admit(open, channel));
    }

    private void admit(AtomicInteger open, Channel channel) {
        int now = open.incrementAndGet();
        channel.closeFuture().addListener(f -> open.decrementAndGet());
        if (now > connectionLimit) {
            channel.close();
        }
    }
}
