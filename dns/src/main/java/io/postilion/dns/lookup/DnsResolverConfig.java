package io.postilion.dns.lookup;

import io.postilion.dns.destination.HostNames;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.xbill.DNS.ResolverConfig;

/**
 * Which recursive servers to ask and how patiently: {@code /etc/resolv.conf} by default, or a
 * {@code dns_servers} list of {@code host[:port]} numeric addresses ({@code [v6]:port} for IPv6).
 */
public record DnsResolverConfig(List<InetSocketAddress> servers, Duration timeout, int attempts) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_ATTEMPTS = 2;

    public DnsResolverConfig {
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS servers");
        }
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("DNS timeout must be positive");
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be >= 1");
        }
    }

    /** The system's servers (resolv.conf); reads files, so call it at start-up, not on an event loop. */
    public static DnsResolverConfig fromSystem() {
        List<InetSocketAddress> servers = ResolverConfig.getCurrentConfig().servers();
        if (servers.isEmpty()) {
            servers = List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53));
        }
        return new DnsResolverConfig(servers, DEFAULT_TIMEOUT, DEFAULT_ATTEMPTS);
    }

    /**
     * Parses a {@code dns_servers} value (comma/whitespace separated {@code host[:port]}; numeric hosts
     * only, so that finding the DNS server needs no DNS).
     *
     * @throws IllegalArgumentException naming the bad item
     */
    public static DnsResolverConfig parse(String dnsServers, Duration timeout, int attempts) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String item : dnsServers.split("[,\\s]+")) {
            if (!item.isEmpty()) {
                out.add(parseServer(item));
            }
        }
        return new DnsResolverConfig(out, timeout, attempts);
    }

    static InetSocketAddress parseServer(String item) {
        String host;
        int port = 53;
        if (item.startsWith("[")) {
            int close = item.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("dns_servers: missing ] in \"" + item + "\"");
            }
            host = item.substring(1, close);
            String rest = item.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("dns_servers: garbage after ] in \"" + item + "\"");
                }
                port = parsePort(rest.substring(1), item);
            }
        } else if (item.indexOf(':') != item.lastIndexOf(':')) {
            host = item; // bare IPv6 without port
        } else if (item.indexOf(':') >= 0) {
            host = item.substring(0, item.indexOf(':'));
            port = parsePort(item.substring(item.indexOf(':') + 1), item);
        } else {
            host = item;
        }
        Optional<InetAddress> addr = HostNames.parseNumeric(host);
        if (addr.isEmpty()) {
            throw new IllegalArgumentException("dns_servers: not a numeric address: \"" + item + "\"");
        }
        return new InetSocketAddress(addr.get(), port);
    }

    private static int parsePort(String text, String item) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("dns_servers: bad port in \"" + item + "\"");
    }
}
