package io.postilion.engine.relay;

import java.util.Locale;
import java.util.Objects;

/**
 * Where one recipient's mail goes: a transport (smtp or lmtp, the two delivery agents Postilion
 * has) and a next-hop in that transport's syntax. Recipients of one message with equal routes
 * travel in one delivery request.
 *
 * @param transport {@code smtp} or {@code lmtp}
 * @param nexthop a destination as {@link io.postilion.dns.destination.DestinationParser} reads it
 */
public record Route(String transport, String nexthop) {

    public Route {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(nexthop, "nexthop");
        transport = transport.toLowerCase(Locale.ROOT);
        if (!transport.equals("smtp") && !transport.equals("lmtp")) {
            throw new IllegalArgumentException("unknown transport '" + transport + "' (smtp and lmtp are)");
        }
        if (nexthop.isEmpty()) {
            throw new IllegalArgumentException("a route needs a next-hop");
        }
    }

    public boolean lmtp() {
        return transport.equals("lmtp");
    }
}
