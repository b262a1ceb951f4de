package io.postilion.engine.config;

import java.util.Optional;

/**
 * Why it exists: {@code static:value} answers every key with the same value (written
 * {@code static:{ text with spaces }} when the value has spaces), as in Postfix.
 */
public final class StaticTable implements LookupTable {

    private final String value;

    public StaticTable(String value) {
        this.value = value;
    }

    @Override
    public Optional<String> find(String key) {
        return Optional.of(value);
    }

    @Override
    public String toString() {
        return "static:" + value;
    }
}
