package io.postilion.engine.rewrite;

import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The order in which Postfix looks an email address up in a table (mail_addr_find): the whole
 * address {@code user+ext@domain}, then {@code user@domain}; only when the domain is local,
 * {@code user+ext} and {@code user}; then {@code @domain}. One place for the order, used by
 * smtp_generic_maps (DATA-26) and the sender keys of smtp_sasl_password_maps (SASL-2).
 */
public final class AddressKeys {

    private AddressKeys() {
    }

    /**
     * What the table gave, and whether it matched only once the extension was taken off (a
     * rewrite may then carry the extension over).
     */
    public record Found(String value, boolean withoutExtension) {
    }

    /**
     * The first value {@code lookup} gives for the address's keys in order; empty when none.
     *
     * @param address in internal (unquoted) form, not empty
     * @param delimiters recipient_delimiter: characters any of which starts an extension
     * @param localDomain whether a domain is this system's own
     * @param lookup the table: null when it has no entry for a key
     */
    public static Optional<Found> find(String address, String delimiters, Predicate<String> localDomain,
            Function<String, String> lookup) {
        int at = address.lastIndexOf('@');
        String local = at < 0 ? address : address.substring(0, at);
        String domain = at < 0 ? null : address.substring(at + 1);
        String extension = extension(local, delimiters);
        String bareLocal = extension == null ? null : local.substring(0, local.length() - extension.length());
        String suffix = domain == null ? "" : "@" + domain;

        String v = lookup.apply(address);
        if (v != null) {
            return Optional.of(new Found(v, false));
        }
        if (bareLocal != null && (v = lookup.apply(bareLocal + suffix)) != null) {
            return Optional.of(new Found(v, true));
        }
        if (domain != null && localDomain.test(domain)) {
            if ((v = lookup.apply(local)) != null) {
                return Optional.of(new Found(v, false));
            }
            if (bareLocal != null && (v = lookup.apply(bareLocal)) != null) {
                return Optional.of(new Found(v, true));
            }
        }
        if (domain != null && (v = lookup.apply("@" + domain)) != null) {
            return Optional.of(new Found(v, false));
        }
        return Optional.empty();
    }

    /** The extension of a local part, delimiter included ("+ext"), or null when it has none. */
    public static String extension(String local, String delimiters) {
        if (delimiters.isEmpty()) {
            return null;
        }
        for (int i = 1; i < local.length(); i++) {
            if (delimiters.indexOf(local.charAt(i)) >= 0) {
                return local.substring(i);
            }
        }
        return null;
    }
}
