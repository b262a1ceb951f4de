package io.postilion.engine.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Why it exists: {@code texthash:/path} reads a Postfix table source file (the format postmap(1)
 * takes) straight into memory: {@code key whitespace value} per logical line, comments, blank
 * lines and continuation lines as in main.cf. Keys match without regard to case. As in Postfix,
 * the first entry for a key wins; unlike Postfix, a line without a value is an error at load
 * rather than a skipped line, so a broken table never starts.
 */
public final class TextHashTable implements LookupTable {

    private final Map<String, String> entries;
    private final String name;

    private TextHashTable(Map<String, String> entries, String name) {
        this.entries = entries;
        this.name = name;
    }

    /**
     * Parses a table file's content.
     *
     * @param content  the file's text
     * @param name     the table's name for messages ({@code texthash:/path})
     * @param warnings receives a message per duplicate key
     * @throws IllegalArgumentException naming the line when a line has no value
     */
    public static TextHashTable parse(String content, String name, List<String> warnings) {
        Map<String, String> entries = new LinkedHashMap<>();
        for (LogicalLines.Line line : LogicalLines.split(content)) {
            String text = line.text().strip();
            int ws = 0;
            while (ws < text.length() && !Character.isWhitespace(text.charAt(ws))) {
                ws++;
            }
            if (line.isOrphanContinuation() || ws == text.length()) {
                throw new IllegalArgumentException("line " + line.number() + ": expected 'key whitespace value', found '"
                        + text + "'");
            }
            String key = text.substring(0, ws).toLowerCase(Locale.ROOT);
            String value = text.substring(ws).strip();
            if (entries.putIfAbsent(key, value) != null) {
                warnings.add(name + ", line " + line.number() + ": duplicate entry '" + key + "' ignored");
            }
        }
        return new TextHashTable(Collections.unmodifiableMap(entries), name);
    }

    @Override
    public Optional<String> find(String key) {
        return Optional.ofNullable(entries.get(key.toLowerCase(Locale.ROOT)));
    }

    /** The number of entries, for diagnostics. */
    public int size() {
        return entries.size();
    }

    @Override
    public Optional<java.util.Collection<String>> fixedValues() {
        return Optional.of(java.util.List.copyOf(entries.values()));
    }

    @Override
    public String toString() {
        return name;
    }
}
