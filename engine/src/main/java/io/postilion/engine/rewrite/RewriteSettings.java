package io.postilion.engine.rewrite;

import io.postilion.engine.config.LookupTable;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The parameters behind delivery-time rewriting (DATA-22..31), with Postfix's names; in LMTP mode
 * the tables are the lmtp_ twins. An immutable value; {@link #none()} rewrites nothing.
 *
 * @param service smtp or lmtp: the prefix of the table parameters in messages
 * @param genericMaps smtp_generic_maps (empty)
 * @param headerChecks smtp_header_checks (empty)
 * @param mimeHeaderChecks smtp_mime_header_checks (empty)
 * @param nestedHeaderChecks smtp_nested_header_checks (empty)
 * @param bodyChecks smtp_body_checks (empty)
 * @param myOrigin $myorigin: the domain of results without one, a local domain for DATA-26
 * @param myDestination $mydestination: the other local domains for DATA-26
 * @param localInterfaces inet_interfaces and proxy_interfaces: address literals that are local
 * @param propagateUnmatchedExtensions propagate_unmatched_extensions (canonical, virtual)
 * @param recipientDelimiter recipient_delimiter (empty: addresses have no extensions)
 */
public record RewriteSettings(String service, LookupTable genericMaps, LookupTable headerChecks,
        LookupTable mimeHeaderChecks, LookupTable nestedHeaderChecks, LookupTable bodyChecks, String myOrigin,
        List<String> myDestination, List<String> localInterfaces, List<String> propagateUnmatchedExtensions,
        String recipientDelimiter) {

    public RewriteSettings {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(genericMaps, "genericMaps");
        Objects.requireNonNull(headerChecks, "headerChecks");
        Objects.requireNonNull(mimeHeaderChecks, "mimeHeaderChecks");
        Objects.requireNonNull(nestedHeaderChecks, "nestedHeaderChecks");
        Objects.requireNonNull(bodyChecks, "bodyChecks");
        Objects.requireNonNull(myOrigin, "myOrigin");
        myDestination = List.copyOf(myDestination);
        localInterfaces = List.copyOf(localInterfaces);
        propagateUnmatchedExtensions = List.copyOf(propagateUnmatchedExtensions);
        Objects.requireNonNull(recipientDelimiter, "recipientDelimiter");
    }

    /** Nothing configured: Postfix's defaults, which rewrite nothing. */
    /**
     * Whether a domain is this system's own for address lookups (mail_addr_find's local-part
     * keys): $myorigin, a name in $mydestination, or an address literal of inet_interfaces or
     * proxy_interfaces.
     */
    public boolean isLocalDomain(String domain) {
        String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
        if (d.equalsIgnoreCase(myOrigin())) {
            return true;
        }
        for (String name : myDestination()) {
            if (!name.contains(":") && name.equalsIgnoreCase(d)) {
                return true;
            }
        }
        if (d.startsWith("[") && d.endsWith("]")) {
            String literal = d.substring(1, d.length() - 1).toLowerCase(Locale.ROOT);
            if (literal.startsWith("ipv6:")) {
                literal = literal.substring(5);
            }
            for (String own : localInterfaces()) {
                String o = own.startsWith("[") && own.endsWith("]") ? own.substring(1, own.length() - 1) : own;
                if (o.equalsIgnoreCase(literal)) {
                    return true;
                }
            }
        }
        return false;
    }

    public static RewriteSettings none() {
        LookupTable e = LookupTable.empty();
        return new RewriteSettings("smtp", e, e, e, e, e, "", List.of(), List.of(), List.of("canonical", "virtual"), "");
    }

    public boolean hasGenericMaps() {
        return genericMaps != LookupTable.empty();
    }

    /** Whether any header or body check table is configured (DATA-14: then MIME is parsed). */
    public boolean hasChecks() {
        return headerChecks != LookupTable.empty() || mimeHeaderChecks != LookupTable.empty()
                || nestedHeaderChecks != LookupTable.empty() || bodyChecks != LookupTable.empty();
    }

    /** DATA-26: unmatched extensions go on to generic results only when the list names "generic". */
    public boolean propagateGenericExtensions() {
        return propagateUnmatchedExtensions.stream().anyMatch(s -> s.toLowerCase(Locale.ROOT).equals("generic"));
    }

    /** The parameter name of a table, e.g. {@code table("header_checks")} is smtp_header_checks. */
    public String table(String suffix) {
        return service + "_" + suffix;
    }

    public RewriteSettings withService(String v) {
        return new RewriteSettings(v, genericMaps, headerChecks, mimeHeaderChecks, nestedHeaderChecks, bodyChecks,
                myOrigin, myDestination, localInterfaces, propagateUnmatchedExtensions, recipientDelimiter);
    }

    public RewriteSettings withGenericMaps(LookupTable v) {
        return new RewriteSettings(service, v, headerChecks, mimeHeaderChecks, nestedHeaderChecks, bodyChecks,
                myOrigin, myDestination, localInterfaces, propagateUnmatchedExtensions, recipientDelimiter);
    }

    public RewriteSettings withHeaderChecks(LookupTable v) {
        return new RewriteSettings(service, genericMaps, v, mimeHeaderChecks, nestedHeaderChecks, bodyChecks,
                myOrigin, myDestination, localInterfaces, propagateUnmatchedExtensions, recipientDelimiter);
    }

    public RewriteSettings withMimeHeaderChecks(LookupTable v) {
        return new RewriteSettings(service, genericMaps, headerChecks, v, nestedHeaderChecks, bodyChecks,
                myOrigin, myDestination, localInterfaces, propagateUnmatchedExtensions, recipientDelimiter);
    }

    public RewriteSettings withNestedHeaderChecks(LookupTable v) {
        return new RewriteSettings(service, genericMaps, headerChecks, mimeHeaderChecks, v, bodyChecks,
                myOrigin, myDestination, localInterfaces, propagateUnmatchedExtensions, recipientDelimiter);
    }

    public RewriteSettings withBodyChecks(LookupTable v) {
        return new RewriteSettings(service, genericMaps, headerChecks, mimeHeaderChecks, nestedHeaderChecks, v,
                myOrigin, myDestination, localInterfaces, propagateUnmatchedExtensions, recipientDelimiter);
    }

    public RewriteSettings withMyOrigin(String v) {
        return new RewriteSettings(service, genericMaps, headerChecks, mimeHeaderChecks, nestedHeaderChecks,
                bodyChecks, v, myDestination, localInterfaces, propagateUnmatchedExtensions, recipientDelimiter);
    }

    public RewriteSettings withMyDestination(List<String> v) {
        return new RewriteSettings(service, genericMaps, headerChecks, mimeHeaderChecks, nestedHeaderChecks,
                bodyChecks, myOrigin, v, localInterfaces, propagateUnmatchedExtensions, recipientDelimiter);
    }

    public RewriteSettings withLocalInterfaces(List<String> v) {
        return new RewriteSettings(service, genericMaps, headerChecks, mimeHeaderChecks, nestedHeaderChecks,
                bodyChecks, myOrigin, myDestination, v, propagateUnmatchedExtensions, recipientDelimiter);
    }

    public RewriteSettings withPropagateUnmatchedExtensions(List<String> v) {
        return new RewriteSettings(service, genericMaps, headerChecks, mimeHeaderChecks, nestedHeaderChecks,
                bodyChecks, myOrigin, myDestination, localInterfaces, v, recipientDelimiter);
    }

    public RewriteSettings withRecipientDelimiter(String v) {
        return new RewriteSettings(service, genericMaps, headerChecks, mimeHeaderChecks, nestedHeaderChecks,
                bodyChecks, myOrigin, myDestination, localInterfaces, propagateUnmatchedExtensions, v);
    }
}
