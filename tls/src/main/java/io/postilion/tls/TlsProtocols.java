package io.postilion.tls;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A Postfix protocol list ({@code smtp_tls_protocols}, {@code smtp_tls_mandatory_protocols}, the
 * policy table's {@code protocols=}; TLS-26, ported from the protocol mask of Postfix's
 * tls_protocol_mask in src/tls/tls_misc.c) read into the versions this build can speak.
 *
 * <p>The syntax: elements {@code >=V} and {@code <=V} (no blank after the operator; V a protocol
 * name or a hexadecimal version such as {@code 0303} or {@code 0x0303}), names to include, and
 * {@code !name} to exclude; separated by whitespace, comma or colon in main.cf and by colon only in
 * a policy table (where whitespace and commas separate attributes). An empty list means every
 * protocol. BoringSSL speaks TLSv1 to TLSv1.3: SSLv2 and SSLv3 are known names (so {@code !SSLv3}
 * is fine) that this build never offers, and {@link #unsupported()} says when a list asked for one.
 *
 * @param versions the protocols allowed, oldest first, as Netty names them; never empty
 * @param unsupported protocol names the list includes that this build cannot offer (SSLv2, SSLv3),
 *     for a warning
 */
public record TlsProtocols(List<String> versions, Set<String> unsupported) {

    /** Where a list was written: main.cf separates elements by whitespace, comma or colon. */
    public enum Syntax {
        MAIN_CF("[\\s,:]+"),
        /** A policy table attribute: colon only (a blank or comma would end the attribute). */
        POLICY_TABLE(":+");

        private final String separators;

        Syntax(String separators) {
            this.separators = separators;
        }
    }

    /** What BoringSSL (through Netty) speaks, oldest first. */
    public static final List<String> SUPPORTED = List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

    /** Every protocol: the empty list, and Postfix's default {@code >=TLSv1}. */
    public static final TlsProtocols ALL = new TlsProtocols(SUPPORTED, Set.of());

    /** Names Postfix knows, with their wire versions. */
    private static final Map<String, Integer> VERSIONS = Map.of("sslv2", 0x0002, "sslv3", 0x0300, "tlsv1", 0x0301,
            "tlsv1.1", 0x0302, "tlsv1.2", 0x0303, "tlsv1.3", 0x0304);

    public TlsProtocols {
        versions = List.copyOf(versions);
        unsupported = Set.copyOf(unsupported);
        if (versions.isEmpty()) {
            throw new IllegalArgumentException("no protocol");
        }
    }

    /** Whether TLS 1.3 is among the versions. */
    public boolean tls13() {
        return versions.contains("TLSv1.3");
    }

    /** Whether a version older than TLS 1.3 is allowed: one that needs cipher suites the grade chooses. */
    public boolean belowTls13() {
        return versions.stream().anyMatch(v -> !v.equals("TLSv1.3"));
    }

    /**
     * Reads a list.
     *
     * @throws IllegalArgumentException with the reason: an unknown name or version, an operator
     *     without a version, no protocol this build speaks left, or a gap (BoringSSL takes one
     *     contiguous range of versions, so {@code TLSv1, TLSv1.2} cannot be honoured exactly)
     */
    public static TlsProtocols parse(String value, Syntax syntax) {
        Set<Integer> include = new LinkedHashSet<>();
        Set<Integer> exclude = new LinkedHashSet<>();
        Set<String> unsupported = new LinkedHashSet<>();
        int floor = 0;
        int ceiling = Integer.MAX_VALUE;
        for (String token : value.trim().split(syntax.separators)) {
            if (token.isEmpty()) {
                continue;
            }
            if (token.startsWith(">=")) {
                floor = Math.max(floor, version(token.substring(2), token));
            } else if (token.startsWith("<=")) {
                ceiling = Math.min(ceiling, version(token.substring(2), token));
            } else if (token.startsWith("!")) {
                exclude.add(name(token.substring(1), token));
            } else {
                int v = name(token, token);
                include.add(v);
                if (v < 0x0301) {
                    unsupported.add(token);
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (String p : SUPPORTED) {
            int v = VERSIONS.get(p.toLowerCase(Locale.ROOT));
            if ((include.isEmpty() || include.contains(v)) && !exclude.contains(v) && v >= floor && v <= ceiling) {
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("\"" + value.trim() + "\" leaves no protocol this build speaks ("
                    + String.join(", ", SUPPORTED) + (unsupported.isEmpty() ? "" : "; " + String.join(", ", unsupported)
                    + " is not supported") + ")");
        }
        int first = SUPPORTED.indexOf(out.get(0));
        if (!out.equals(SUPPORTED.subList(first, first + out.size()))) {
            throw new IllegalArgumentException("\"" + value.trim() + "\" allows " + String.join(", ", out)
                    + " with a gap; BoringSSL can only use a contiguous range of versions");
        }
        return new TlsProtocols(out, unsupported);
    }

    private static int name(String name, String token) {
        Integer v = VERSIONS.get(name.toLowerCase(Locale.ROOT));
        if (v == null) {
            throw new IllegalArgumentException("unknown protocol name \"" + token + "\"");
        }
        return v;
    }

    /** A bound: a name or a hexadecimal version (Postfix accepts both, with or without 0x). */
    private static int version(String v, String token) {
        Integer known = VERSIONS.get(v.toLowerCase(Locale.ROOT));
        if (known != null) {
            return known;
        }
        String hex = v.startsWith("0x") || v.startsWith("0X") ? v.substring(2) : v;
        if (hex.isEmpty() || hex.length() > 4 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("unknown protocol version in \"" + token + "\"");
        }
        return Integer.parseInt(hex, 16);
    }
}
