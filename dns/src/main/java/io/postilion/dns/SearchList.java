package io.postilion.dns;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code smtp_dns_resolver_options} (LOOKUP-17): optional search-list expansion, as the C resolver's
 * {@code res_defnames} / {@code res_dnsrch} do, for the A/AAAA queries of host lookups only (never MX,
 * SRV or TLSA). Off by default. The search domains and {@code ndots} come from resolv.conf, read at
 * start-up by whoever builds the settings.
 */
public record SearchList(boolean defnames, boolean dnsrch, List<String> domains, int ndots) {

    public static final SearchList NONE = new SearchList(false, false, List.of(), 1);

    public SearchList {
        domains = List.copyOf(domains);
        if (ndots < 0) {
            throw new IllegalArgumentException("ndots must be >= 0");
        }
    }

    /**
     * Parses a {@code smtp_dns_resolver_options} value ({@code res_defnames}, {@code res_dnsrch};
     * case-sensitive).
     *
     * @throws IllegalArgumentException naming an unknown option (a fatal configuration error)
     */
    public static SearchList parse(String options, List<String> domains, int ndots) {
        boolean defnames = false;
        boolean dnsrch = false;
        for (String o : options.split("[,\\s]+")) {
            switch (o) {
                case "" -> { }
                case "res_defnames" -> defnames = true;
                case "res_dnsrch" -> dnsrch = true;
                default -> throw new IllegalArgumentException("smtp_dns_resolver_options: unknown option \"" + o + "\"");
            }
        }
        return new SearchList(defnames, dnsrch, domains, ndots);
    }

    /** The names to try, in order, for a host lookup of {@code name}. */
    public List<String> candidates(String name) {
        if (name.endsWith(".") || domains.isEmpty() || (!defnames && !dnsrch)) {
            return List.of(name);
        }
        int dots = (int) name.chars().filter(c -> c == '.').count();
        List<String> out = new ArrayList<>();
        if (dnsrch) {
            if (dots >= ndots) {
                out.add(name);
            }
            for (String d : domains) {
                out.add(name + "." + d);
            }
            if (dots < ndots) {
                out.add(name);
            }
            return out;
        }
        if (dots == 0) {
            out.add(name + "." + domains.get(0));
        }
        out.add(name);
        return out;
    }

    public boolean enabled() {
        return (defnames || dnsrch) && !domains.isEmpty();
    }
}
