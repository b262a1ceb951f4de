package io.postilion.engine.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Why it exists: turning a table parameter's value ({@code type:name}, or a list of them) into a
 * loaded {@link LookupTable} happens in one place, at configuration load, so file reads never
 * happen on an event loop and a missing or malformed table stops start-up with an error naming
 * the parameter and the file (exit 78). Types: {@code inline:}, {@code static:},
 * {@code texthash:}, {@code regexp:} and {@code pcre:} (read like regexp: with Java patterns).
 * Postfix's indexed types (hash:, lmdb:, ...) need postmap-built files and are refused with a
 * hint to use texthash: on the source file.
 */
public final class LookupTables {

    private LookupTables() {
    }

    /**
     * Opens the tables a parameter names.
     *
     * @param parameter the parameter, for messages
     * @param specs     the list elements ({@code type:name} each)
     * @param warnings  receives non-fatal messages (duplicate keys)
     * @throws ConfigurationException (exit 78) when a table cannot be read or parsed
     */
    public static LookupTable open(String parameter, List<String> specs, Consumer<String> warnings) {
        if (specs.isEmpty()) {
            return LookupTable.empty();
        }
        List<LookupTable> tables = new ArrayList<>();
        for (String spec : specs) {
            tables.add(openOne(parameter, spec, warnings));
        }
        return tables.size() == 1 ? tables.get(0) : new TableList(tables);
    }

    /** Opens one {@code type:name} table; see {@link #open}. */
    public static LookupTable openOne(String parameter, String spec, Consumer<String> warnings) {
        int colon = spec.indexOf(':');
        if (colon <= 0) {
            throw ConfigurationException.badValue(parameter, "bad value for parameter " + parameter + ": '" + spec
                    + "' is not a lookup table (expected type:name)");
        }
        String type = spec.substring(0, colon);
        String name = spec.substring(colon + 1);
        try {
            switch (type) {
                case "inline":
                    return InlineTable.parse(name);
                case "static":
                    return new StaticTable(PostfixList.ungroup(name.strip()));
                case "texthash": {
                    List<String> duplicates = new ArrayList<>();
                    TextHashTable table = TextHashTable.parse(read(parameter, spec, name), spec, duplicates);
                    duplicates.forEach(warnings);
                    return table;
                }
                case "regexp":
                case "pcre": {
                    List<String> findings = new ArrayList<>();
                    RegexpTable table = RegexpTable.parse(read(parameter, spec, name), spec, findings);
                    findings.forEach(warnings);
                    return table;
                }
                case "hash":
                case "btree":
                case "lmdb":
                case "cdb":
                case "dbm":
                case "sdbm":
                    throw new IllegalArgumentException("indexed table type '" + type
                            + ":' is not supported; use texthash:" + name + " on the source file");
                default:
                    throw new IllegalArgumentException("unsupported lookup table type '" + type + ":'");
            }
        } catch (IllegalArgumentException e) {
            throw ConfigurationException.badValue(parameter,
                    "bad value for parameter " + parameter + ": table '" + spec + "': " + e.getMessage(), e);
        }
    }

    private static String read(String parameter, String spec, String file) {
        if (file.isEmpty()) {
            throw new IllegalArgumentException("missing file name");
        }
        Path path = Path.of(file);
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw ConfigurationException.badValue(parameter, "bad value for parameter " + parameter
                    + ": cannot read table file " + path + " (" + spec + "): " + describe(e), e);
        }
    }

    private static String describe(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
