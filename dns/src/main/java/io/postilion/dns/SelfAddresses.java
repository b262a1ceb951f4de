package io.postilion.dns;

import io.postilion.dns.destination.HostNames;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The addresses this MTA answers on, for self detection (LOOKUP-8, LOOKUP-12): {@code inet_interfaces}
 * ({@code all} = every interface address) plus {@code proxy_interfaces}. Built once at start-up.
 */
public record SelfAddresses(Set<InetAddress> addresses) {

    public SelfAddresses {
        addresses = Set.copyOf(addresses);
    }

    public static SelfAddresses none() {
        return new SelfAddresses(Set.of());
    }

    /**
     * @param inetInterfaces {@code all}, or numeric addresses separated by comma/whitespace
     * @param proxyInterfaces numeric addresses, may be empty
     * @throws IllegalArgumentException for a non-numeric item (host names would need a lookup here)
     */
    public static SelfAddresses of(String inetInterfaces, String proxyInterfaces) {
        Set<InetAddress> out = new HashSet<>();
        for (String item : (inetInterfaces + " " + proxyInterfaces).split("[,\\s]+")) {
            if (item.isEmpty() || item.equalsIgnoreCase("loopback-only")) {
                if (item.equalsIgnoreCase("loopback-only")) {
                    out.add(InetAddress.getLoopbackAddress());
                }
                continue;
            }
            if (item.toLowerCase(Locale.ROOT).equals("all")) {
                out.addAll(interfaceAddresses());
                continue;
            }
            String literal = item.startsWith("[") && item.endsWith("]") ? item.substring(1, item.length() - 1) : item;
            Optional<InetAddress> addr = HostNames.parseNumeric(literal);
            out.add(addr.orElseThrow(() -> new IllegalArgumentException("not a numeric interface address: " + item)));
        }
        return new SelfAddresses(out);
    }

    public boolean contains(InetAddress address) {
        return addresses.contains(address);
    }

    private static Set<InetAddress> interfaceAddresses() {
        Set<InetAddress> out = new HashSet<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                out.addAll(Collections.list(nif.getInetAddresses()));
            }
        } catch (SocketException e) {
            out.add(InetAddress.getLoopbackAddress());
        }
        return out;
    }
}
