package io.postilion.engine.config;

import java.util.Optional;

/** Why it exists: an empty table parameter still yields a table, so callers need no null checks. */
enum EmptyTable implements LookupTable {
    INSTANCE;

    @Override
    public Optional<String> find(String key) {
        return Optional.empty();
    }

    @Override
    public Optional<java.util.Collection<String>> fixedValues() {
        return Optional.of(java.util.List.of());
    }

    @Override
    public String toString() {
        return "(empty table)";
    }
}
