package io.postilion.engine.listener;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Why it exists: Postfix describes the server's TLS protocols and cipher suites in OpenSSL's terms
 * ({@code >=TLSv1.2}, grade {@code medium}, exclusions {@code aNULL, kRSA}), while the listener runs
 * on BoringSSL through Netty, which takes explicit protocol and suite names. This class turns the
 * first into the second, and refuses (with the reason) any value it cannot honour exactly, so a
 * setting is never silently weakened (CLARIFICATIONS 39). Pure functions; the caller names the
 * parameter in the start-up error.
 */
final class ServerTlsPolicy {

    /** The protocols BoringSSL (through Netty) can speak, oldest first. */
    static final List<String> SUPPORTED_PROTOCOLS = List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");

    /**
     * BoringSSL's TLS 1.3 suites: fixed by the library (all forward-secret AEAD), listed so that
     * Netty keeps TLS 1.3 on. Netty's order, so it has nothing to say about them.
     */
    static final List<String> TLS13_SUITES = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    private static final Map<String, Integer> VERSIONS = Map.of("sslv2", 0x0002, "sslv3", 0x0300, "tlsv1", 0x0301,
            "tlsv1.1", 0x0302, "tlsv1.2", 0x0303, "tlsv1.3", 0x0304);

    /** OpenSSL cipher types that name nothing BoringSSL offers: excluding them is already true. */
    private static final Set<String> ABSENT_TYPES = Set.of("aNULL", "eNULL", "NULL", "ADH", "AECDH", "EXP", "EXPORT",
            "EXPORT40", "EXPORT56", "LOW", "MEDIUM", "DES", "RC4", "RC2", "RC5", "IDEA", "SEED", "MD5", "CAMELLIA",
            "CAMELLIA128", "CAMELLIA256", "ARIA", "ARIA128", "ARIA256", "ARIAGCM", "kDH", "kDHr", "kDHd", "DH", "aDH",
            "kECDH", "kECDHr", "kECDHe", "ECDH", "aECDH", "aDSS", "DSS", "kSRP", "SRP", "aSRP", "CCM", "CCM8",
            "AESCCM", "AESCCM8", "kGOST", "aGOST", "aGOST01", "GOST89MAC", "GOST94", "kRSAPSK", "RSAPSK", "kDHEPSK",
            "DHEPSK", "SSLv2");

    private ServerTlsPolicy() {
    }

    /** One TLS 1.2-and-older suite as BoringSSL names it, with the attributes the rules look at. */
    record Suite(String name, String keyExchange, String authentication, String encryption, int bits, String mac) {

        boolean forwardSecret() {
            return keyExchange.equals("ECDHE") || keyExchange.equals("DHE");
        }

        boolean aead() {
            return mac.equals("AEAD");
        }

        /** Parses a BoringSSL/OpenSSL suite name; null for TLS 1.3 names and anything not understood. */
        static Suite parse(String name) {
            if (name.startsWith("TLS_") || name.startsWith("AEAD-")) {
                return null;
            }
            String kx = name.startsWith("ECDHE-") ? "ECDHE"
                    : name.startsWith("DHE-") || name.startsWith("EDH-") ? "DHE"
                    : name.startsWith("PSK-") ? "PSK" : "RSA";
            String au = name.contains("ECDSA") ? "ECDSA" : name.contains("PSK") ? "PSK"
                    : name.contains("DSS") ? "DSS" : "RSA";
            String enc;
            int bits;
            if (name.contains("CHACHA20")) {
                enc = "CHACHA20";
                bits = 256;
            } else if (name.contains("AES128") || name.contains("AES256")) {
                enc = name.contains("GCM") ? "AESGCM" : "AES";
                bits = name.contains("AES128") ? 128 : 256;
            } else if (name.contains("DES-CBC3")) {
                enc = "3DES";
                bits = 112;
            } else {
                return null;
            }
            String mac = enc.equals("AESGCM") || enc.equals("CHACHA20") ? "AEAD"
                    : name.endsWith("-SHA") ? "SHA1" : name.endsWith("-SHA256") ? "SHA256"
                    : name.endsWith("-SHA384") ? "SHA384" : null;
            return mac == null ? null : new Suite(name, kx, au, enc, bits, mac);
        }
    }

    /**
     * The protocols a Postfix protocol list allows, among those BoringSSL speaks, oldest first.
     * Syntax as Postfix's: names to allow, {@code !name} to exclude, {@code >=name} and
     * {@code <=name} (or hexadecimal versions) as bounds, separated by space, comma or colon;
     * empty allows every protocol.
     *
     * @throws IllegalArgumentException for an unknown name, no protocol left, or a gap BoringSSL
     *     cannot express (it only takes a contiguous range)
     */
    static List<String> protocols(String value) {
        Set<String> include = new LinkedHashSet<>();
        Set<String> exclude = new LinkedHashSet<>();
        int floor = 0;
        int ceiling = 0;
        for (String token : value.trim().split("[\\s,:]+")) {
            if (token.isEmpty()) {
                continue;
            }
            if (token.startsWith(">=")) {
                floor = version(token.substring(2));
            } else if (token.startsWith("<=")) {
                ceiling = version(token.substring(2));
            } else if (token.startsWith("!")) {
                exclude.add(protocolName(token.substring(1)));
            } else {
                include.add(protocolName(token));
            }
        }
        List<String> out = new ArrayList<>();
        for (String p : SUPPORTED_PROTOCOLS) {
            String key = p.toLowerCase(Locale.ROOT);
            int v = VERSIONS.get(key);
            if ((include.isEmpty() || include.contains(key)) && !exclude.contains(key)
                    && (floor == 0 || v >= floor) && (ceiling == 0 || v <= ceiling)) {
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("leaves no protocol this build speaks (" + String.join(", ", SUPPORTED_PROTOCOLS) + ")");
        }
        int first = SUPPORTED_PROTOCOLS.indexOf(out.get(0));
        if (!out.equals(SUPPORTED_PROTOCOLS.subList(first, first + out.size()))) {
            throw new IllegalArgumentException("allows " + String.join(", ", out)
                    + " with a gap; BoringSSL can only use a contiguous range of versions");
        }
        return out;
    }

    private static String protocolName(String token) {
        String key = token.toLowerCase(Locale.ROOT);
        if (!VERSIONS.containsKey(key)) {
            throw new IllegalArgumentException("unknown protocol name \"" + token + "\"");
        }
        return key;
    }

    private static int version(String token) {
        String key = token.toLowerCase(Locale.ROOT);
        if (key.equals("none")) {
            return 0;
        }
        Integer v = VERSIONS.get(key);
        if (v != null) {
            return v;
        }
        try {
            return Integer.parseInt(key.startsWith("0x") ? key.substring(2) : key, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unknown protocol version \"" + token + "\"");
        }
    }

    /**
     * The TLS 1.2-and-older suites of a cipher grade, in server preference order, from those the
     * library offers. Every grade Postfix 3.12 knows but {@code null} (low and export are medium
     * there too) means the forward-secret AEAD suites: ECDHE with AES-GCM or ChaCha20-Poly1305,
     * 256-bit first. {@code legacy} appends, after them, ECDHE with AES-CBC and then the static-RSA
     * suites, for clients that know nothing better. PSK suites are never offered (no PSKs exist).
     *
     * @throws IllegalArgumentException for the null grade: BoringSSL has no NULL-encryption suite
     */
    static List<Suite> grade(String grade, boolean legacy, List<String> available) {
        if (grade.equals("null")) {
            throw new IllegalArgumentException("the null grade cannot be honoured: BoringSSL offers no "
                    + "NULL-encryption suite");
        }
        List<Suite> suites = new ArrayList<>();
        for (String name : available) {
            Suite s = Suite.parse(name);
            if (s == null || s.authentication().equals("PSK") || s.authentication().equals("DSS")
                    || s.encryption().equals("3DES")) {
                continue;
            }
            if ((s.forwardSecret() && s.aead()) || legacy) {
                suites.add(s);
            }
        }
        suites.sort(Comparator.comparingInt(ServerTlsPolicy::rank)
                .thenComparing(Comparator.comparingInt(Suite::bits).reversed())
                .thenComparing(s -> s.encryption().equals("CHACHA20") ? 1 : 0)
                .thenComparing(s -> s.authentication().equals("ECDSA") ? 0 : 1));
        return suites;
    }

    /** 0: forward-secret AEAD; 1: forward-secret CBC; 2: static RSA with AEAD; 3: static RSA CBC. */
    private static int rank(Suite s) {
        return (s.forwardSecret() ? 0 : 2) + (s.aead() ? 0 : 1);
    }

    /**
     * Removes the suites an exclusion list names: suite names, or OpenSSL cipher types
     * ({@code kRSA}, {@code SHA1}, {@code AES256}, {@code ECDHE}, ...; {@code a+b} for both), as
     * Postfix passes them to OpenSSL with a {@code !}. Types that exist in OpenSSL but name nothing
     * BoringSSL offers ({@code aNULL}, {@code RC4}, {@code MD5}, ...) remove nothing.
     *
     * @throws IllegalArgumentException for a word that is neither, or a TLS 1.3 suite (fixed by the library)
     */
    static List<Suite> exclude(List<Suite> suites, List<String> exclusions) {
        List<Suite> out = new ArrayList<>(suites);
        for (String element : exclusions) {
            for (String token : element.split("[\\s,:]+")) {
                if (token.isEmpty()) {
                    continue;
                }
                Predicate<Suite> match = s -> true;
                for (String term : token.split("\\+")) {
                    match = match.and(term(term));
                }
                out.removeIf(match);
            }
        }
        return out;
    }

    private static Predicate<Suite> term(String t) {
        if (TLS13_SUITES.contains(t) || t.startsWith("TLS_") || t.startsWith("AEAD-")) {
            throw new IllegalArgumentException(t + " is a TLS 1.3 suite, which BoringSSL does not let us turn off "
                    + "(use <=TLSv1.2 in the protocols instead)");
        }
        switch (t) {
            case "ALL", "HIGH", "DEFAULT":
                return s -> true;
            case "kRSA", "RSA":
                return s -> s.keyExchange().equals("RSA");
            case "aRSA":
                return s -> s.authentication().equals("RSA");
            case "aECDSA", "ECDSA":
                return s -> s.authentication().equals("ECDSA");
            case "kECDHE", "ECDHE", "kEECDH", "EECDH":
                return s -> s.keyExchange().equals("ECDHE");
            case "kDHE", "DHE", "kEDH", "EDH":
                return s -> s.keyExchange().equals("DHE");
            case "PSK", "kPSK", "aPSK", "kECDHEPSK", "ECDHEPSK":
                return s -> s.authentication().equals("PSK");
            case "AES":
                return s -> s.encryption().startsWith("AES");
            case "AES128", "AES256":
                return s -> s.encryption().startsWith("AES") && s.bits() == Integer.parseInt(t.substring(3));
            case "AESGCM":
                return s -> s.encryption().equals("AESGCM");
            case "CHACHA20":
                return s -> s.encryption().equals("CHACHA20");
            case "3DES":
                return s -> s.encryption().equals("3DES");
            case "SHA1", "SHA":
                return s -> s.mac().equals("SHA1");
            case "SHA256", "SHA384":
                return s -> s.mac().equals(t);
            case "SSLv3", "TLSv1":
                return s -> s.mac().equals("SHA1");
            case "TLSv1.2":
                return s -> !s.mac().equals("SHA1");
            default:
                break;
        }
        if (ABSENT_TYPES.contains(t)) {
            return s -> false;
        }
        if (t.matches("[A-Z0-9]+(-[A-Z0-9]+)+")) {
            return s -> s.name().equals(t); // a suite name; one BoringSSL lacks is already excluded
        }
        throw new IllegalArgumentException("unknown cipher or cipher type \"" + t + "\"");
    }
}
