package io.postilion.dns.destination;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Turns a request's next-hop string (plus fallback relays) into an ordered {@link DestinationList},
 * following Postfix's destination syntax (DEST-1..16). Pure and thread-safe; never throws on bad input.
 */
public final class DestinationParser {

    /** Linux's {@code sizeof(sun_path)}: a longer path cannot be connected to (DEST-14). */
    static final int UNIX_PATH_MAX = 108;

    private final DeliveryProtocol protocol;
    private final KnownTcpPorts ports;
    private final String defaultService;
    private final boolean smtputf8;
    private final boolean wrapperMode;

    /**
     * @param protocol SMTP or LMTP syntax
     * @param ports the {@code known_tcp_ports} table (and services database)
     * @param defaultService {@code smtp_tcp_port} / {@code lmtp_tcp_port}
     * @param smtputf8 whether UTF-8 host names are acceptable ({@code smtputf8_enable})
     * @param wrapperMode {@code smtp_tls_wrappermode}, only for the port-465 hint (DEST-13)
     */
    public DestinationParser(DeliveryProtocol protocol, KnownTcpPorts ports, String defaultService,
            boolean smtputf8, boolean wrapperMode) {
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.ports = Objects.requireNonNull(ports, "ports");
        this.defaultService = Objects.requireNonNull(defaultService, "defaultService");
        this.smtputf8 = smtputf8;
        this.wrapperMode = wrapperMode;
    }

    /** Postfix's SMTP defaults: service {@code smtp} (25), default known_tcp_ports. */
    public static DestinationParser smtp() {
        return new DestinationParser(DeliveryProtocol.SMTP, KnownTcpPorts.defaults(), "smtp", true, false);
    }

    /** Postfix's LMTP defaults: service {@code 24}, default known_tcp_ports. */
    public static DestinationParser lmtp() {
        return new DestinationParser(DeliveryProtocol.LMTP, KnownTcpPorts.defaults(), "24", true, false);
    }

    public DeliveryProtocol protocol() {
        return protocol;
    }

    /**
     * Parses the request next-hop and appends the fallback relays (DEST-1, DEST-2, DEST-11).
     *
     * @param nexthop the request's next-hop string
     * @param fallbackRelays {@code smtp_fallback_relay} / {@code lmtp_fallback_relay}, may be empty
     */
    public DestinationList parse(String nexthop, String fallbackRelays) {
        Objects.requireNonNull(nexthop, "nexthop");
        String fallback = fallbackRelays == null ? "" : fallbackRelays;
        List<String> warnings = new ArrayList<>();
        String rest = nexthop;
        if (protocol == DeliveryProtocol.LMTP) {
            if (rest.startsWith("unix:")) {
                if (!split(fallback).isEmpty()) {
                    warnings.add("ignoring fallback relay setting \"" + fallback + "\" for UNIX-domain destination \""
                            + nexthop + "\"");
                }
                ParsedDestination unix = parseUnix(rest.substring("unix:".length()), warnings);
                if (unix instanceof BadDestination bad) {
                    return DestinationList.failed(bad, warnings);
                }
                return new DestinationList(List.of((Destination) unix), Optional.empty(), warnings);
            }
            if (rest.startsWith("inet:")) {
                rest = rest.substring("inet:".length());
            }
        }
        List<Destination> out = new ArrayList<>();
        List<String> items = split(rest);
        if (items.isEmpty()) {
            return DestinationList.failed(BadDestination.of(nexthop, "empty next-hop destination \"" + nexthop + "\""),
                    warnings);
        }
        for (String item : items) {
            ParsedDestination p = parseItem(item, warnings);
            if (p instanceof BadDestination bad) {
                return DestinationList.failed(bad, warnings);
            }
            out.add((Destination) p);
        }
        for (String item : split(fallback)) {
            ParsedDestination p = parseItem(item, warnings);
            if (p instanceof BadDestination bad) {
                return DestinationList.failed(bad, warnings);
            }
            out.add(((InetDestination) p).asFallbackRelay());
        }
        return new DestinationList(out, Optional.empty(), warnings);
    }

    /** Parses one TCP destination item (no list splitting, no LMTP prefix handling). */
    public ParsedDestination parseItem(String item) {
        return parseItem(item, new ArrayList<>());
    }

    /** Splits on commas and whitespace; empty items vanish (DEST-1). */
    static List<String> split(String s) {
        List<String> items = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= s.length(); i++) {
            boolean sep = i == s.length() || s.charAt(i) == ',' || Character.isWhitespace(s.charAt(i));
            if (sep) {
                if (start >= 0) {
                    items.add(s.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
        }
        return items;
    }

    private ParsedDestination parseUnix(String path, List<String> warnings) {
        String key = path;
        if (path.isEmpty()) {
            return BadDestination.of(key, "empty UNIX-domain socket path in \"unix:\"");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length >= UNIX_PATH_MAX) {
            // DEST-14, Postfix's smtp_connect_unix: a warning, and the words of appendix B
            warnings.add("unix-domain name too long: " + path);
            return BadDestination.of(key, "Server configuration error");
        }
        return new UnixDestination(key, path);
    }

    private ParsedDestination parseItem(String item, List<String> warnings) {
        String hostPart;
        String servicePart;
        boolean bracketed = item.startsWith("[");
        boolean ipv6Prefix = false;
        if (bracketed) {
            int close = item.indexOf(']');
            if (close < 0) {
                return BadDestination.of(item, "missing \"]\" in destination \"" + item + "\"");
            }
            hostPart = item.substring(1, close);
            String after = item.substring(close + 1);
            if (after.isEmpty()) {
                servicePart = "";
            } else if (after.charAt(0) == ':') {
                servicePart = after.substring(1);
            } else {
                return BadDestination.of(item, "garbage after \"]\" in destination \"" + item + "\": \"" + after + "\"");
            }
            if (hostPart.regionMatches(true, 0, "IPv6:", 0, 5)) {
                hostPart = hostPart.substring(5);
                ipv6Prefix = true;
            }
        } else {
            int colon = item.lastIndexOf(':');
            if (colon < 0) {
                hostPart = item;
                servicePart = "";
            } else {
                hostPart = item.substring(0, colon);
                servicePart = item.substring(colon + 1);
            }
        }

        Optional<InetAddress> literal = HostNames.parseNumeric(hostPart);
        if (ipv6Prefix && !(literal.isPresent() && literal.get() instanceof Inet6Address)) {
            return BadDestination.of(item, "bad IPv6 address \"" + hostPart + "\" in destination \"" + item + "\"");
        }
        if (!bracketed && literal.isPresent() && literal.get() instanceof Inet6Address) {
            // Cannot happen with last-colon splitting, but keep the rule explicit: IPv6 needs brackets.
            return BadDestination.of(item, "IPv6 address must be bracketed in destination \"" + item + "\"");
        }
        String queryName = hostPart;
        if (literal.isEmpty()) {
            if (HostNames.isAscii(hostPart)) {
                if (!HostNames.isValidHostname(hostPart)) {
                    return BadDestination.of(item, "bad host name \"" + hostPart + "\" in destination \"" + item + "\"");
                }
            } else {
                if (!smtputf8 || !printableUtf8(hostPart)) {
                    return BadDestination.of(item, "bad host name \"" + hostPart + "\" in destination \"" + item + "\"");
                }
                queryName = HostNames.toAscii(hostPart);
                if (queryName.equals(hostPart)) {
                    warnings.add("cannot convert \"" + hostPart + "\" to an A-label; querying it unchanged");
                }
            }
        }

        String service = servicePart.isEmpty() ? defaultService : servicePart;
        ParsedPort port = resolveService(service);
        if (port.error != null) {
            return BadDestination.of(item, port.error + " in destination \"" + item + "\"");
        }
        if (port.port == 465 && !wrapperMode) {
            warnings.add("port 465 for destination \"" + item + "\" needs smtp_tls_wrappermode = yes and "
                    + "smtp_tls_security_level = encrypt (or stronger)");
        }
        return new InetDestination(item, hostPart, queryName, bracketed, literal, service, port.port, false);
    }

    private record ParsedPort(int port, String error) {}

    private ParsedPort resolveService(String service) {
        if (service.isEmpty()) {
            return new ParsedPort(0, "empty service");
        }
        if (Character.isDigit(service.charAt(0))) {
            for (int i = 0; i < service.length(); i++) {
                char c = service.charAt(i);
                if (c < '0' || c > '9') {
                    return new ParsedPort(0, "garbage after numerical service \"" + service + "\"");
                }
            }
            int port = KnownTcpPorts.parsePort(service);
            if (port < 0) {
                return new ParsedPort(0, "port number out of range: \"" + service + "\"");
            }
            return new ParsedPort(port, null);
        }
        OptionalInt port = ports.lookup(service);
        if (port.isEmpty()) {
            return new ParsedPort(0, "unknown service \"" + service + "\"");
        }
        return new ParsedPort(port.getAsInt(), null);
    }

    private static boolean printableUtf8(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSurrogate(c)
                    && !(Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))) {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                i++;
            }
        }
        return !s.startsWith(".") && !s.contains("..") && !s.toLowerCase(Locale.ROOT).isEmpty();
    }
}
