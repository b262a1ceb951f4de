package io.postilion.engine.admin;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Set;
import reactor.netty.http.server.HttpServerRequest;

/**
 * The TCP admin listener's guard: every request carries the token from admin_token_file
 * ({@code Authorization: Bearer TOKEN}), compared in constant time, and its Host header names
 * the listen address itself (admin_listen as written, or the address literal the client
 * connected to), so a web page whose name was rebound to this address (DNS rebinding) cannot
 * reach the API through a browser.
 */
public final class TokenGuard implements AdminGuard {

    private final byte[] token;
    private final Set<String> hosts;

    /** {@code hosts}: the Host header values accepted, such as {@code 127.0.0.1:8025}. */
    public TokenGuard(String token, Set<String> hosts) {
        this.token = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.hosts = hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.toSet());
    }

    /** The address the client connected to, as a literal: what a listener on a wildcard address is called. */
    private static boolean namesLocalAddress(String host, Channel channel) {
        if (!(channel.localAddress() instanceof InetSocketAddress local)) {
            return false;
        }
        String ip = local.getAddress().getHostAddress();
        return host.equalsIgnoreCase((ip.contains(":") ? "[" + ip + "]" : ip) + ":" + local.getPort());
    }

    @Override
    public Verdict check(HttpServerRequest request, Channel channel) {
        Requester who = Requester.client((InetSocketAddress) channel.remoteAddress());
        String host = request.requestHeaders().get("Host");
        if (host == null || !(hosts.contains(host.toLowerCase(Locale.ROOT)) || namesLocalAddress(host, channel))) {
            return Verdict.refuse(who, 403, "Host header " + (host == null ? "missing" : "'" + host + "'")
                    + " does not name the admin listener");
        }
        String auth = request.requestHeaders().get("Authorization");
        if (auth == null || !MessageDigest.isEqual(token, auth.getBytes(StandardCharsets.UTF_8))) {
            return Verdict.refuse(who, 401, auth == null ? "no token" : "wrong token");
        }
        return Verdict.admit(who);
    }
}
