package io.postilion.transport.session;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A table the session consults with the server's address as the key: the IP address as text
 * (no brackets, no port), or the socket path of a UNIX-domain server, as Postfix's per-server
 * {@code *_maps} are looked up with the address it connected to, never the host name. The
 * transport knows nothing of table types; the configuration hands it the lookup.
 *
 * @param name the parameter that names the table, for the warning when a lookup fails
 * @param lookup the value for an address, empty for none; may throw when the table cannot answer
 */
public record AddressMap(String name, Function<String, Optional<String>> lookup) {

    /** No table: every lookup comes back empty. */
    public static final AddressMap NONE = new AddressMap("", address -> Optional.empty());

    public AddressMap {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(lookup, "lookup");
    }

    /**
     * The value for {@code address}.
     *
     * @throws RuntimeException when the table cannot answer (Postfix's map lookup error)
     */
    public Optional<String> find(String address) {
        return lookup.apply(address);
    }
}
