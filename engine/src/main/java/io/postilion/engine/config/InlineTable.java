package io.postilion.engine.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Why it exists: {@code inline:{ key=value, key2=value2 }} writes a small table in main.cf
 * itself; an entry whose value has spaces or commas is written {@code { key = value text }}.
 * Keys match without regard to case; the first entry for a key wins.
 */
public final class InlineTable implements LookupTable {

    private final Map<String, String> entries;
    private final String spec;

    private InlineTable(Map<String, String> entries, String spec) {
        this.entries = entries;
        this.spec = spec;
    }

    /**
     * Parses the part after {@code inline:}, braces included.
     *
     * @throws IllegalArgumentException with a short reason when it is malformed
     */
    public static InlineTable parse(String body) {
        String b = body.strip();
        if (b.length() < 2 || b.charAt(0) != '{' || b.charAt(b.length() - 1) != '}') {
            throw new IllegalArgumentException("inline table must be written inline:{ key=value, ... }");
        }
        Map<String, String> entries = new LinkedHashMap<>();
        for (String element : PostfixList.split(b.substring(1, b.length() - 1))) {
            String entry = PostfixList.ungroup(element);
            int eq = entry.indexOf('=');
            if (eq <= 0 || entry.substring(0, eq).isBlank()) {
                throw new IllegalArgumentException("inline table entry '" + element + "' is not key=value");
            }
            String key = entry.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            entries.putIfAbsent(key, entry.substring(eq + 1).strip());
        }
        return new InlineTable(Collections.unmodifiableMap(entries), "inline:" + b);
    }

    @Override
    public Optional<String> find(String key) {
        return Optional.ofNullable(entries.get(key.toLowerCase(Locale.ROOT)));
    }

    @Override
    public Optional<java.util.Collection<String>> fixedValues() {
        return Optional.of(java.util.List.copyOf(entries.values()));
    }

    @Override
    public String toString() {
        return spec;
    }
}
