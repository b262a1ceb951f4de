package io.postilion.tls;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Postfix speaks of cipher suites in OpenSSL's terms (a grade, exclusions such as {@code aNULL},
 * {@code kRSA}, {@code ECDHE+SHA1}); BoringSSL through Netty takes an explicit list of suite names.
 * This class is the one translation, for the client (TLS-6, TLS-27) and the listener: what a suite
 * name means, which suites a grade offers, and what an exclusion removes. Values it cannot honour
 * exactly are refused with the reason, never silently weakened (CLARIFICATIONS 39). TLS 1.3 suites
 * are fixed by the library (all forward-secret AEAD) and grades do not restrict them (TLS-27).
 */
public final class CipherSuites {

    /** BoringSSL's TLS 1.3 suites, listed so that Netty keeps TLS 1.3 on. */
    public static final List<String> TLS13_SUITES = List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256");

    /** OpenSSL cipher types that name nothing BoringSSL offers: excluding them is already true. */
    private static final Set<String> ABSENT_TYPES = Set.of("aNULL", "eNULL", "NULL", "ADH", "AECDH", "EXP", "EXPORT",
            "EXPORT40", "EXPORT56", "LOW", "MEDIUM", "DES", "RC4", "RC2", "RC5", "IDEA", "SEED", "MD5", "CAMELLIA",
            "CAMELLIA128", "CAMELLIA256", "ARIA", "ARIA128", "ARIA256", "ARIAGCM", "kDH", "kDHr", "kDHd", "DH", "aDH",
            "kECDH", "kECDHr", "kECDHe", "ECDH", "aECDH", "aDSS", "DSS", "kSRP", "SRP", "aSRP", "CCM", "CCM8",
            "AESCCM", "AESCCM8", "kGOST", "aGOST", "aGOST01", "GOST89MAC", "GOST94", "kRSAPSK", "RSAPSK", "kDHEPSK",
            "DHEPSK", "SSLv2");

    private CipherSuites() {
    }

    /** One TLS 1.2-and-older suite as BoringSSL names it, with the attributes the rules look at. */
    public record Suite(String name, String keyExchange, String authentication, String encryption, int bits, String mac) {

        public boolean forwardSecret() {
            return keyExchange.equals("ECDHE") || keyExchange.equals("DHE");
        }

        public boolean aead() {
            return mac.equals("AEAD");
        }

        /** Parses a BoringSSL/OpenSSL suite name; null for TLS 1.3 names and anything not understood. */
        public static Suite parse(String name) {
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
     * The client's TLS 1.2-and-older suites for a grade, from those the library offers, in
     * preference order: forward-secret AEAD first, then forward-secret CBC, then static-RSA AEAD and
     * CBC, 256-bit before 128-bit within each. {@code high} is OpenSSL's HIGH (no 3DES);
     * {@code medium} adds 3DES last where the library has it. PSK and DSS suites are never
     * offered (no PSK exists; OpenSSL's grades put no DSS suite in BoringSSL's set).
     *
     * @throws IllegalArgumentException for the null grade: BoringSSL has no NULL-encryption suite
     */
    public static List<Suite> clientGrade(CipherGrade grade, List<String> available) {
        if (grade == CipherGrade.NULL) {
            throw new IllegalArgumentException("the null grade cannot be honoured: BoringSSL offers no "
                    + "NULL-encryption suite");
        }
        List<Suite> suites = new ArrayList<>();
        for (String name : available) {
            Suite s = Suite.parse(name);
            if (s == null || s.authentication().equals("PSK") || s.authentication().equals("DSS")) {
                continue;
            }
            if (s.encryption().equals("3DES") && grade != CipherGrade.MEDIUM) {
                continue;
            }
            suites.add(s);
        }
        suites.sort(preference());
        return suites;
    }

    /** Forward-secret AEAD first, then by strength; ECDSA before RSA, AES before ChaCha20 at equal rank. */
    public static Comparator<Suite> preference() {
        return Comparator.comparingInt(CipherSuites::rank)
                .thenComparing(Comparator.comparingInt(Suite::bits).reversed())
                .thenComparing(s -> s.encryption().equals("CHACHA20") ? 1 : 0)
                .thenComparing(s -> s.authentication().equals("ECDSA") ? 0 : 1);
    }

    /** 0: forward-secret AEAD; 1: forward-secret CBC; 2: static RSA with AEAD; 3: static RSA CBC; 4: 3DES. */
    private static int rank(Suite s) {
        if (s.encryption().equals("3DES")) {
            return 4;
        }
        return (s.forwardSecret() ? 0 : 2) + (s.aead() ? 0 : 1);
    }

    /**
     * Removes the suites an exclusion list names: suite names, or OpenSSL cipher types
     * ({@code kRSA}, {@code SHA1}, {@code AES256}, {@code ECDHE}, ...; {@code a+b} for both), as
     * Postfix passes them to OpenSSL with a {@code !}. Elements are separated by whitespace, comma or
     * colon. Types that exist in OpenSSL but name nothing BoringSSL offers ({@code aNULL},
     * {@code RC4}, {@code MD5}, ...) remove nothing.
     *
     * @throws IllegalArgumentException for a word that is neither, or a TLS 1.3 suite (fixed by the library)
     */
    public static List<Suite> exclude(List<Suite> suites, List<String> exclusions) {
        List<Suite> out = new ArrayList<>(suites);
        for (String element : exclusions) {
            for (String token : element.split("[\\s,:]+")) {
                if (token.isEmpty()) {
                    continue;
                }
                Predicate<Suite> match = s -> true;
                for (String term : token.split("\\+", -1)) {
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
