package io.postilion.engine.config;

import java.util.Optional;

/**
 * Why it exists: Postfix parameters that map a key to a value ({@code *_maps}, header checks,
 * reply filters) name a lookup table ({@code type:name}); the delivery code only needs "find the
 * value for this key". Implementations are loaded and validated when the configuration loads, so
 * {@link #find} does no I/O and is safe on an event loop.
 */
@FunctionalInterface
public interface LookupTable {

    /** The value for a key, or empty when the table has none. */
    Optional<String> find(String key);

    /**
     * Every value the table can return, for tables whose entries are fixed (inline:, texthash:);
     * empty for those that compute values (regexp:, static:). Lets start-up checks look at all
     * values, e.g. that passwords are hashes.
     */
    default Optional<java.util.Collection<String>> fixedValues() {
        return Optional.empty();
    }

    /** A table that has no entries (an empty parameter value). */
    static LookupTable empty() {
        return EmptyTable.INSTANCE;
    }
}
