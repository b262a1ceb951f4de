package io.postilion.engine.listener;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * relay_domains: destinations the listener accepts mail for from any client, as an inbound relay
 * (a backup MX, a gateway in front of a mail store). A domain matches itself and its subdomains,
 * as Postfix's parent_domain_matches_subdomains has it for relay_domains; {@code .example.com}
 * matches subdomains only. Only domain names are taken: a lookup table here would need a lookup
 * per recipient, which stops start-up instead of being ignored.
 */
public final class RelayDomains {

    private final List<String> domains;

    private RelayDomains(List<String> domains) {
        this.domains = List.copyOf(domains);
    }

    /** No relay domains: Postfix's default at compatibility level 2 and later. */
    public static RelayDomains none() {
        return new RelayDomains(List.of());
    }

    /** @throws IllegalArgumentException naming an entry that is not a domain name */
    public static RelayDomains parse(List<String> entries) {
        List<String> out = new ArrayList<>();
        for (String raw : entries) {
            String e = raw.strip().toLowerCase(Locale.ROOT);
            if (e.isEmpty()) {
                continue;
            }
            String name = e.startsWith(".") ? e.substring(1) : e;
            if (e.contains(":") || e.contains("/") || !name.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
                throw new IllegalArgumentException("'" + raw.strip() + "' is not a domain name (lookup tables are not supported here)");
            }
            out.add(e);
        }
        return new RelayDomains(out);
    }

    /** Whether mail to {@code domain} may come from anyone. */
    public boolean matches(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        for (String e : domains) {
            if (e.startsWith(".") ? d.endsWith(e) : d.equals(e) || d.endsWith("." + e)) {
                return true;
            }
        }
        return false;
    }
}
