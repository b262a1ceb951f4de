package io.postilion.engine.rewrite;

import io.postilion.engine.config.LookupTable;
import io.postilion.transport.protocol.AddressQuoting;
import java.util.List;
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
        String extension = AddressKeys.extension(local, settings.recipientDelimiter());
        String bareLocal = extension == null ? null : local.substring(0, local.length() - extension.length());

        Optional<AddressKeys.Found> hit = AddressKeys.find(address, settings.recipientDelimiter(), settings::isLocalDomain, this::find);
        if (hit.isEmpty()) {
            return Optional.empty();
        }
        String result = hit.get().value();
        String unmatched = hit.get().withoutExtension() ? extension : null;
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

    private String canonical(String address) {
        if (address.lastIndexOf('@') < 0 && !settings.myOrigin().isEmpty()) {
            return address + "@" + settings.myOrigin();
        }
        return address;
    }
}
