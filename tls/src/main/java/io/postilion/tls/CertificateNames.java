package io.postilion.tls;

import java.net.IDN;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * TLS-7: which names a verifying level accepts in the server certificate, and whether the
 * certificate carries one (Postfix's add_namechecks in tls_client.c, which hands the names to
 * OpenSSL's host check with partial wildcards off).
 *
 * <p>A match list entry is {@code hostname} (the server's host name), {@code nexthop} (the
 * next-hop domain, before any MX lookup), {@code dot-nexthop} (any proper subdomain of it), a
 * literal name, or {@code .domain} (any proper subdomain). The certificate's DNS subjectAltNames
 * are compared, or its common names when it has no DNS subjectAltName; a leftmost label that is
 * exactly {@code *} stands for one label; {@code foo*.example.com} is compared as plain text.
 *
 * @param references what the certificate must show, lower case and in A-label form: an exact
 *     name, or {@code .domain} for "some name under domain"; empty means nothing can match
 */
public record CertificateNames(List<String> references) {

    public CertificateNames {
        references = List.copyOf(references);
    }

    /**
     * Resolves a match list for one server. {@code hostname} is the server's name (the MX host,
     * or the next hop itself when no MX was looked up); {@code nexthop} the next-hop domain.
     */
    public static CertificateNames resolve(List<String> matchList, String hostname, String nexthop) {
        List<String> refs = new ArrayList<>(matchList.size());
        for (String e : entries(matchList)) {
            String ref;
            switch (e.toLowerCase(Locale.ROOT)) {
                case "hostname" -> ref = hostname;
                case "nexthop" -> ref = nexthop;
                case "dot-nexthop" -> ref = nexthop == null ? null : "." + nexthop;
                default -> ref = e.equals(".") ? null : e; // Postfix ignores a lone "." with a warning
            }
            String a = ref == null ? null : aLabels(ref);
            if (a != null && !a.isEmpty() && !a.equals(".")) {
                refs.add(a);
            }
        }
        return new CertificateNames(refs);
    }

    /** Postfix splits the main.cf lists at commas, white space and colons. */
    private static List<String> entries(List<String> matchList) {
        List<String> out = new ArrayList<>();
        for (String item : matchList) {
            for (String e : item.split("[\\s,:]+")) {
                if (!e.isEmpty()) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    private static String aLabels(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        boolean dot = n.startsWith(".");
        String body = dot ? n.substring(1) : n;
        for (int i = 0; i < body.length(); i++) {
            if (body.charAt(i) > 0x7f) {
                try {
                    body = IDN.toASCII(body, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
                } catch (IllegalArgumentException e) {
                    return null; // not a name a DNS subjectAltName can carry
                }
                break;
            }
        }
        return dot ? "." + body : body;
    }

    /** The name in the certificate that matched, or null when none did. */
    public String match(X509Certificate leaf) {
        if (references.isEmpty()) {
            return null;
        }
        for (String presented : presentedNames(leaf)) {
            String p = presented.toLowerCase(Locale.ROOT);
            for (String ref : references) {
                if (matches(p, ref)) {
                    return presented;
                }
            }
        }
        return null;
    }

    /** DNS subjectAltNames, or the subject's common names when there is none (RFC 6125, OpenSSL). */
    static List<String> presentedNames(X509Certificate leaf) {
        List<String> dns = new ArrayList<>();
        try {
            Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0)) && san.get(1) instanceof String s) {
                        dns.add(s);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return List.of(); // an unreadable extension: no name to trust
        }
        if (!dns.isEmpty()) {
            return dns;
        }
        List<String> cns = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && rdn.getValue() instanceof String s) {
                    cns.add(s);
                }
            }
        } catch (InvalidNameException e) {
            return List.of();
        }
        return cns;
    }

    /**
     * One presented name (lower case) against one reference. A {@code .domain} reference takes
     * any longer name ending in it, a wildcard included (OpenSSL strips the extra leading labels
     * and compares the rest); an exact reference takes the same name, or a {@code *.rest}
     * wildcard with at least two labels in {@code rest} whose star covers exactly one non-empty
     * label.
     */
    static boolean matches(String presented, String ref) {
        if (ref.startsWith(".")) {
            return presented.length() > ref.length() && presented.endsWith(ref);
        }
        if (presented.equals(ref)) {
            return true;
        }
        if (!presented.startsWith("*.") || presented.indexOf('*', 1) >= 0) {
            return false; // no wildcard, or a partial one compared as text above
        }
        String rest = presented.substring(1); // ".example.com"
        if (rest.indexOf('.', 1) < 0) {
            return false; // "*.com" is not a usable wildcard
        }
        if (!ref.endsWith(rest) || ref.length() == rest.length()) {
            return false;
        }
        String label = ref.substring(0, ref.length() - rest.length());
        return !label.isEmpty() && label.indexOf('.') < 0;
    }
}
