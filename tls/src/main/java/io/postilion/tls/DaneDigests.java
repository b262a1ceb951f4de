package io.postilion.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tls_dane_digests} (default {@code sha512 sha256}; Postfix's tls_dane.c): which TLSA matching
 * types this client can check, and with which digest. Each element is {@code name} or
 * {@code name=number}; sha256 is matching type 1 and sha512 type 2 unless told otherwise, any other
 * digest needs its number (1..254). A record whose matching type is not listed (other than 0, the
 * full value, which is always understood) is unusable. Parsed once at start-up; a digest the JDK
 * does not have, or a number given twice, is a configuration error.
 *
 * @param algorithms JDK digest name by matching type
 */
public record DaneDigests(Map<Integer, String> algorithms) {

    /** Postfix's default, {@code sha512 sha256}. */
    public static final DaneDigests DEFAULT = parse("sha512 sha256");

    public DaneDigests {
        algorithms = Collections.unmodifiableMap(new LinkedHashMap<>(algorithms));
    }

    /**
     * Reads a tls_dane_digests value (elements separated by white space or commas).
     *
     * @throws IllegalArgumentException naming the element that is not usable
     */
    public static DaneDigests parse(String value) {
        Map<Integer, String> out = new LinkedHashMap<>();
        for (String element : value.trim().split("[\\s,]+")) {
            if (element.isEmpty()) {
                continue;
            }
            int eq = element.indexOf('=');
            String name = (eq < 0 ? element : element.substring(0, eq)).toLowerCase(Locale.ROOT);
            int type;
            if (eq >= 0) {
                try {
                    type = Integer.parseInt(element.substring(eq + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad matching type in '" + element + "'");
                }
            } else if (name.equals("sha256")) {
                type = 1;
            } else if (name.equals("sha512")) {
                type = 2;
            } else {
                throw new IllegalArgumentException("digest '" + name + "' needs a matching type number (name=number)");
            }
            if (type < 1 || type > 254) {
                throw new IllegalArgumentException("matching type " + type + " of '" + element + "' is not 1..254");
            }
            String jdk = jdkName(name);
            try {
                MessageDigest.getInstance(jdk);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalArgumentException("unknown digest '" + name + "'");
            }
            if (out.putIfAbsent(type, jdk) != null) {
                throw new IllegalArgumentException("matching type " + type + " is given twice");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no digest listed");
        }
        return new DaneDigests(out);
    }

    /** OpenSSL's names (sha256) as the JDK spells them (SHA-256). */
    private static String jdkName(String name) {
        if (name.matches("sha\\d+")) {
            return "SHA-" + name.substring(3);
        }
        if (name.matches("sha3-\\d+")) {
            return name.toUpperCase(Locale.ROOT);
        }
        return name.toUpperCase(Locale.ROOT);
    }

    /** The digest of a matching type, or null when this client cannot check it. */
    String algorithm(int matchingType) {
        return algorithms.get(matchingType);
    }

    /** How long a digest of this matching type is, in octets; -1 when unknown. */
    int length(int matchingType) {
        String a = algorithm(matchingType);
        if (a == null) {
            return -1;
        }
        try {
            return MessageDigest.getInstance(a).getDigestLength();
        } catch (NoSuchAlgorithmException e) {
            return -1; // checked at parse time
        }
    }

    /** The digest of {@code data} for {@code matchingType}; the data itself for type 0. */
    byte[] digest(int matchingType, byte[] data) {
        if (matchingType == 0) {
            return data;
        }
        try {
            return MessageDigest.getInstance(algorithm(matchingType)).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // checked at parse time
        }
    }
}
