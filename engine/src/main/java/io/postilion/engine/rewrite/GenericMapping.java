package io.postilion.engine.rewrite;

import io.postilion.engine.config.LookupTable;
import io.postilion.transport.protocol.AddressQuoting;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * smtp_generic_maps (DATA-26): one-to-one rewriting of an address at delivery time. Keys are tried
 * in Postfix's order: {@code user+ext@domain}, {@code user@domain}, then, only when the domain is
 * local ($myorigin, $mydestination, or an inet_interfaces/proxy_interfaces address literal),
 * {@code user+ext} and {@code user}, then {@code @domain}. A result {@code @otherdomain} keeps the
 * local part (less an extension only the bare key matched); a result without a domain gets {@code @$myorigin}; an
 * unmatched extension is carried over only when propagate_unmatched_extensions says
 * {@code generic}. Of a multi-valued result only the first address is used, with a warning.
 *
 * <p>Addresses are in internal (unquoted) form, in and out.
 */
public final class GenericMapping {

    private final RewriteSettings settings;
    private final LookupTable table;
    private final RewriteLog log;

    public GenericMapping(RewriteSettings settings, RewriteLog log) {
        this.settings = settings;
        this.table = settings.genericMaps();
        this.log = log;
    }

    /** Whether a table is configured at all. */
    public boolean active() {
        return settings.hasGenericMaps();
    }

    /** The address rewritten, or unchanged when no key matches; the null sender is never rewritten. */
    public String apply(String address) {
        return map(address).orElse(address);
    }

    /**
     * The rewritten address, or empty when nothing matched.
     *
     * @throws TableLookupException when the table fails or answers with something that is not an address
     */
    public Optional<String> map(String address) {
        if (!active() || address.isEmpty()) {
            return Optional.empty();
        }
        int at = address.lastIndexOf('@');
        String local = at < 0 ? address : address.substring(0, at);
        String domain = at < 0 ? null : address.substring(at + 1);
        String extension = extension(local);
        String bareLocal = extension == null ? null : local.substring(0, local.length() - extension.length());
        String suffix = domain == null ? "" : "@" + domain;

        String result = find(address);
        String unmatched = null;
        if (result == null && bareLocal != null) {
            result = find(bareLocal + suffix);
            unmatched = result != null ? extension : null;
        }
        if (result == null && domain != null && isLocal(domain)) {
            result = find(local);
            if (result == null && bareLocal != null) {
                result = find(bareLocal);
                unmatched = result != null ? extension : null;
            }
        }
        if (result == null && domain != null) {
            result = find("@" + domain);
        }
        if (result == null) {
            return Optional.empty();
        }
        if (result.startsWith("@")) {
            // @otherdomain keeps the user; an extension that did not match is left out, not carried over
            result = AddressQuoting.quote((unmatched != null ? bareLocal : local) + result);
            unmatched = null;
        }
        List<String> found = AddressList.addresses(result.isEmpty() || result.equals("<>") ? "\"\"" : result);
        if (found.isEmpty()) {
            throw new TableLookupException(settings.table("generic_maps"), address,
                    new IllegalArgumentException("non-address result \"" + result + "\""));
        }
        if (found.size() > 1) {
            log.warn("multi-valued " + settings.table("generic_maps") + " result for " + address);
        }
        String mapped = canonical(found.get(0));
        if (unmatched != null && settings.propagateGenericExtensions()) {
            int ra = mapped.lastIndexOf('@');
            mapped = ra < 0 ? mapped + unmatched : mapped.substring(0, ra) + unmatched + mapped.substring(ra);
        }
        return Optional.of(mapped);
    }

    private String find(String key) {
        try {
            return table.find(key).orElse(null);
        } catch (RuntimeException e) {
            throw new TableLookupException(settings.table("generic_maps"), key, e);
        }
    }

    /** The extension of a local part, delimiter included ("+ext"), or null when it has none. */
    private String extension(String local) {
        String delimiters = settings.recipientDelimiter();
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

    private String canonical(String address) {
        if (address.lastIndexOf('@') < 0 && !settings.myOrigin().isEmpty()) {
            return address + "@" + settings.myOrigin();
        }
        return address;
    }

    private boolean isLocal(String domain) {
        String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
        if (d.equalsIgnoreCase(settings.myOrigin())) {
            return true;
        }
        for (String name : settings.myDestination()) {
            if (!name.contains(":") && name.equalsIgnoreCase(d)) {
                return true;
            }
        }
        if (d.startsWith("[") && d.endsWith("]")) {
            String literal = d.substring(1, d.length() - 1).toLowerCase(Locale.ROOT);
            if (literal.startsWith("ipv6:")) {
                literal = literal.substring(5);
            }
            for (String own : settings.localInterfaces()) {
                String o = own.startsWith("[") && own.endsWith("]") ? own.substring(1, own.length() - 1) : own;
                if (o.equalsIgnoreCase(literal)) {
                    return true;
                }
            }
        }
        return false;
    }
}
