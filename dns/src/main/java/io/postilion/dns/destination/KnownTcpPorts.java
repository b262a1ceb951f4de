package io.postilion.dns.destination;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Service name to TCP port: first {@code known_tcp_ports} (DEST-7), then an optional copy of the system
 * services database, read once up front so that no lookup touches a file on an event loop.
 */
public record KnownTcpPorts(Map<String, Integer> known, Map<String, Integer> system) {

    /** Postfix's default {@code known_tcp_ports}. */
    public static final String DEFAULT_SETTING = "lmtp=24, smtp=25, smtps=submissions=465, submission=587";

    public KnownTcpPorts {
        known = Map.copyOf(known);
        system = Map.copyOf(system);
    }

    /** The default table, without the system services database. */
    public static KnownTcpPorts defaults() {
        return parse(DEFAULT_SETTING);
    }

    /**
     * Parses a {@code known_tcp_ports} value: comma/whitespace separated items {@code name=name=...=port}.
     *
     * @throws IllegalArgumentException on a malformed item (a configuration error)
     */
    public static KnownTcpPorts parse(String setting) {
        Map<String, Integer> map = new LinkedHashMap<>();
        for (String item : setting.split("[,\\s]+")) {
            if (item.isEmpty()) {
                continue;
            }
            String[] parts = item.split("=", -1);
            if (parts.length < 2) {
                throw new IllegalArgumentException("known_tcp_ports: missing '=' in \"" + item + "\"");
            }
            String portText = parts[parts.length - 1];
            int port = parsePort(portText);
            if (port < 0) {
                throw new IllegalArgumentException("known_tcp_ports: bad port \"" + portText + "\" in \"" + item + "\"");
            }
            for (int i = 0; i < parts.length - 1; i++) {
                String name = parts[i];
                if (name.isEmpty() || Character.isDigit(name.charAt(0))) {
                    throw new IllegalArgumentException("known_tcp_ports: bad service name \"" + name + "\" in \"" + item + "\"");
                }
                map.put(name, port);
            }
        }
        return new KnownTcpPorts(map, Map.of());
    }

    /** This table plus the tcp entries of a services(5) file; call it at start-up, not on an event loop. */
    public KnownTcpPorts withServicesFile(Path servicesFile) throws IOException {
        Map<String, Integer> sys = new LinkedHashMap<>();
        for (String line : Files.readAllLines(servicesFile, StandardCharsets.ISO_8859_1)) {
            int hash = line.indexOf('#');
            String[] f = (hash >= 0 ? line.substring(0, hash) : line).trim().split("\\s+");
            if (f.length < 2) {
                continue;
            }
            String[] portProto = f[1].split("/");
            if (portProto.length != 2 || !portProto[1].equals("tcp")) {
                continue;
            }
            int port = parsePort(portProto[0]);
            if (port < 0) {
                continue;
            }
            for (int i = 0; i < f.length; i++) {
                if (i != 1) {
                    sys.putIfAbsent(f[i], port);
                }
            }
        }
        return new KnownTcpPorts(known, sys);
    }

    /** The port for a symbolic service name, if known (names are case-sensitive, as in services(5)). */
    public OptionalInt lookup(String name) {
        Integer port = known.get(name);
        if (port == null) {
            port = system.get(name);
        }
        if (port == null) {
            port = known.get(name.toLowerCase(Locale.ROOT));
        }
        return port == null ? OptionalInt.empty() : OptionalInt.of(port);
    }

    /** 1..65535 for an all-digit text, else -1. */
    static int parsePort(String text) {
        if (text.isEmpty() || text.length() > 5) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value >= 1 && value <= 65535 ? value : -1;
    }
}
