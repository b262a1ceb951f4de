package io.postilion.engine.agent;

import io.postilion.engine.config.ClientNetworks;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * debug_peer_list as a matcher (MISC-3): the peers whose SMTP conversations are logged line by
 * line. An entry is a domain name (matching that name and, as Postfix's
 * parent_domain_matches_subdomains does for this list, its subdomains; ".domain" matches the
 * subdomains only), or a numeric address or CIDR block. A request whose next-hop domain matches
 * is logged for every session; otherwise a session is when its server's name or address matches.
 */
public final class DebugPeers {

    private static final DebugPeers NONE = new DebugPeers(List.of(), ClientNetworks.parse(List.of()), true);

    private final List<String> domains;
    private final ClientNetworks networks;
    private final boolean empty;

    private DebugPeers(List<String> domains, ClientNetworks networks, boolean empty) {
        this.domains = List.copyOf(domains);
        this.networks = networks;
        this.empty = empty;
    }

    public static DebugPeers none() {
        return NONE;
    }

    /** @throws IllegalArgumentException naming a malformed numeric entry */
    public static DebugPeers parse(List<String> entries) {
        List<String> domains = new ArrayList<>();
        List<String> numeric = new ArrayList<>();
        for (String raw : entries) {
            String e = raw.trim().toLowerCase(Locale.ROOT);
            if (e.isEmpty()) {
                continue;
            }
            if (e.startsWith("[") || e.contains(":") || e.contains("/") || e.matches("[0-9.]+")) {
                numeric.add(e);
            } else {
                domains.add(e.endsWith(".") ? e.substring(0, e.length() - 1) : e);
            }
        }
        return new DebugPeers(domains, ClientNetworks.parse(numeric, "debug_peer_list"),
                domains.isEmpty() && numeric.isEmpty());
    }

    public boolean isEmpty() {
        return empty;
    }

    /** Whether the request's next-hop (its first domain, without brackets or port) is listed. */
    public boolean matchesNexthop(String nexthop) {
        if (empty) {
            return false;
        }
        return matchesName(ConnectionReuse.hostPart(ConnectionReuse.firstItem(nexthop)));
    }

    /** Whether a server, by host name or by address, is listed. */
    public boolean matchesServer(String hostname, SocketAddress address) {
        if (empty) {
            return false;
        }
        if (matchesName(hostname)) {
            return true;
        }
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            InetAddress a = inet.getAddress();
            return networks.contains(a);
        }
        return false;
    }

    private boolean matchesName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        for (String d : domains) {
            if (d.startsWith(".") ? n.endsWith(d) : n.equals(d) || n.endsWith("." + d)) {
                return true;
            }
        }
        return false;
    }
}
