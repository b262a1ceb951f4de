package io.postilion.engine.relay;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.LookupTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses each recipient's route the way Postfix's transport(5) tables do: transport_maps looked
 * up by the full address, then the domain, then each parent domain as {@code .parent}, then
 * {@code *}; a result {@code transport:nexthop} whose empty parts fall back to the defaults;
 * without a match, default_transport to $relayhost or, when that is empty, to the recipient's
 * domain (an MX lookup).
 */
public final class Routing {

    private final LookupTable transportMaps;
    private final String defaultTransport;
    private final String relayhost;

    public Routing(LookupTable transportMaps, String defaultTransport, String relayhost) {
        this.transportMaps = transportMaps;
        this.defaultTransport = defaultTransport;
        this.relayhost = relayhost;
    }

    public static Routing from(Configuration cfg) {
        return new Routing(cfg.table("transport_maps"), cfg.string("default_transport"), cfg.string("relayhost"));
    }

    /**
     * The route of one recipient address.
     *
     * @throws IllegalArgumentException for a route that cannot be used (an unknown transport, an
     *     LMTP route without a next-hop): a configuration error the caller defers with 4.3.5
     */
    public Route route(String recipient) {
        String domain = domainOf(recipient);
        Optional<String> entry = lookup(recipient, domain);
        String[] def = split(defaultTransport);
        String defaultNexthop = def[1].isEmpty() ? (relayhost.isEmpty() ? domain : relayhost) : def[1];
        if (entry.isEmpty()) {
            return new Route(def[0].isEmpty() ? "smtp" : def[0], nexthopOrFail(defaultNexthop, def[0]));
        }
        String[] e = split(entry.get());
        String transport = e[0].isEmpty() ? (def[0].isEmpty() ? "smtp" : def[0]) : e[0];
        String nexthop = e[1].isEmpty() ? (e[0].isEmpty() ? defaultNexthop : domain) : e[1];
        return new Route(transport, nexthopOrFail(nexthop, transport));
    }

    private static String nexthopOrFail(String nexthop, String transport) {
        if (nexthop.isEmpty()) {
            throw new IllegalArgumentException("no next-hop for transport " + transport
                    + ": set one in transport_maps or default_transport (lmtp:unix:/path, lmtp:inet:host:port)");
        }
        return nexthop;
    }

    private Optional<String> lookup(String recipient, String domain) {
        List<String> keys = new ArrayList<>();
        String lower = recipient.toLowerCase(Locale.ROOT);
        keys.add(lower);
        int plus = lower.indexOf('+');
        int at = lower.lastIndexOf('@');
        if (plus > 0 && at > plus) {
            keys.add(lower.substring(0, plus) + lower.substring(at)); // user+ext@domain, then user@domain
        }
        if (!domain.isEmpty()) {
            keys.add(domain);
            for (int dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
                keys.add(domain.substring(dot)); // .parent.domain
            }
        }
        keys.add("*");
        for (String k : keys) {
            Optional<String> v = transportMaps.find(k);
            if (v.isPresent()) {
                return v.map(String::trim);
            }
        }
        return Optional.empty();
    }

    /** {@code transport:nexthop} into its two parts; a value without a colon is a transport. */
    private static String[] split(String value) {
        int colon = value.indexOf(':');
        return colon < 0 ? new String[] {value.trim(), ""}
                : new String[] {value.substring(0, colon).trim(), value.substring(colon + 1).trim()};
    }

    private static String domainOf(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1).toLowerCase(Locale.ROOT);
    }
}
