package io.postilion.engine.admin;

import io.netty.channel.Channel;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Decides whether one admin request may go on, before the API looks at it: the UNIX socket asks
 * the kernel who the peer is, the TCP listener asks for the token and the right Host header.
 */
@FunctionalInterface
public interface AdminGuard {

    /** Called on the event loop: must not block. */
    Verdict check(HttpServerRequest request, Channel channel);
}
