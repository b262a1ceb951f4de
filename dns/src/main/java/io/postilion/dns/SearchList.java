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

    /**
     * The names to try, in order, for a host lookup of {@code name}, as the C resolver's
     * {@code res_search} orders them (Postfix hands these flags to it and clears them otherwise): the
     * name as given first when it has at least {@code ndots} dots; then the search domains, when the
     * name has no dot and {@code res_defnames} is on, or has dots (none trailing) and {@code res_dnsrch}
     * is on, only the first domain unless {@code res_dnsrch} is on; then the name as given if not tried
     * yet. So {@code res_dnsrch} alone leaves single-label names alone, as on glibc.
     */
    public List<String> candidates(String name) {
        if (name.endsWith(".") || domains.isEmpty() || (!defnames && !dnsrch)) {
            return List.of(name);
        }
        int dots = (int) name.chars().filter(c -> c == '.').count();
        List<String> out = new ArrayList<>();
        if (dots >= ndots) {
            out.add(name);
        }
        if (dots == 0 ? defnames : dnsrch) {
            for (String d : dnsrch ? domains : domains.subList(0, 1)) {
                String candidate = d.isEmpty() || d.equals(".") ? name : name + "." + d;
                if (!out.contains(candidate)) {
                    out.add(candidate);
                }
            }
        }
        if (!out.contains(name)) {
            out.add(name);
        }
        return out;
    }

    /**
     * What the system resolver would search: resolv.conf's {@code search} (or {@code domain}) list
     * and {@code ndots}, as dnsjava reads them; without a list, the domain of the machine's name,
     * as the C resolver falls back to.
     */
    public record ResolvConf(List<String> domains, int ndots) {

        public ResolvConf {
            domains = List.copyOf(domains);
        }

        /** Reads resolv.conf: call it at start-up, never on an event loop. */
        public static ResolvConf read(String hostName) {
            org.xbill.DNS.ResolverConfig config = org.xbill.DNS.ResolverConfig.getCurrentConfig();
            List<String> domains = config.searchPath().stream().map(n -> n.toString(true)).toList();
            int dot = hostName.indexOf('.');
            if (domains.isEmpty() && dot > 0 && dot < hostName.length() - 1) {
                domains = List.of(hostName.substring(dot + 1));
            }
            return new ResolvConf(domains, Math.max(0, config.ndots()));
        }
    }

    public boolean enabled() {
        return (defnames || dnsrch) && !domains.isEmpty();
    }
}
