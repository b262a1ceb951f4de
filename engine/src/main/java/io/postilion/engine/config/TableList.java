package io.postilion.engine.config;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Why it exists: a Postfix table parameter may name several tables
 * ({@code inline:{...}, regexp:/etc/x}); a lookup asks each in order and the first answer wins.
 */
public final class TableList implements LookupTable {

    private final List<LookupTable> tables;

    public TableList(List<LookupTable> tables) {
        this.tables = List.copyOf(tables);
    }

    @Override
    public Optional<String> find(String key) {
        for (LookupTable table : tables) {
            Optional<String> value = table.find(key);
            if (value.isPresent()) {
                return value;
            }
        }
        return Optional.empty();
    }

    /** The tables, in lookup order. */
    public List<LookupTable> tables() {
        return tables;
    }

    @Override
    public Optional<java.util.Collection<String>> fixedValues() {
        java.util.List<String> all = new java.util.ArrayList<>();
        for (LookupTable t : tables()) {
            Optional<java.util.Collection<String>> v = t.fixedValues();
            if (v.isEmpty()) {
                return Optional.empty();
            }
            all.addAll(v.get());
        }
        return Optional.of(all);
    }

    @Override
    public String toString() {
        return tables.stream().map(Object::toString).collect(Collectors.joining(", "));
    }
}
