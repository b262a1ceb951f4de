package io.postilion.engine.agent;

import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.LookupTable;
import io.postilion.engine.config.LookupTables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * smtp_sasl_mechanism_filter (SASL-3): which of a server's AUTH mechanisms the client will consider,
 * as a Postfix string list. Patterns are tried in order and the first that matches decides:
 * a name (any case), {@code !name} to drop it, {@code /file/name} for more patterns read from a
 * file at start-up, {@code type:table} matching a mechanism the table has a key for. A mechanism
 * no pattern matches is dropped; an empty filter keeps every mechanism.
 */
public final class MechanismFilter {

    /** One pattern: a name or a table, maybe negated. */
    private record Pattern(boolean negated, String name, LookupTable table) {
        boolean matches(String mechanism) {
            return table != null ? table.find(mechanism.toLowerCase(Locale.ROOT)).isPresent()
                    || table.find(mechanism).isPresent() : name.equalsIgnoreCase(mechanism);
        }
    }

    private final List<Pattern> patterns;

    private MechanismFilter(List<Pattern> patterns) {
        this.patterns = List.copyOf(patterns);
    }

    /** Keeps every mechanism. */
    public static MechanismFilter none() {
        return new MechanismFilter(List.of());
    }

    /**
     * @throws ConfigurationException (78) naming the parameter when a file or table cannot be read
     */
    public static MechanismFilter parse(String parameter, List<String> items, Consumer<String> warnings) {
        List<Pattern> out = new ArrayList<>();
        add(parameter, items, warnings, out, 0);
        return new MechanismFilter(out);
    }

    private static void add(String parameter, List<String> items, Consumer<String> warnings, List<Pattern> out, int depth) {
        for (String item : items) {
            boolean negated = item.startsWith("!");
            String p = negated ? item.substring(1) : item;
            if (p.startsWith("/")) {
                if (depth > 10) {
                    throw ConfigurationException.badValue(parameter, parameter + ": files nest too deep at " + p);
                }
                add(parameter, readPatterns(parameter, Path.of(p)), warnings, out, depth + 1);
            } else if (p.indexOf(':') > 0) {
                out.add(new Pattern(negated, null, LookupTables.openOne(parameter, p, warnings)));
            } else if (!p.isEmpty()) {
                out.add(new Pattern(negated, p, null));
            }
        }
    }

    private static List<String> readPatterns(String parameter, Path file) {
        try {
            List<String> words = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                for (String w : l.split("[\\s,]+")) {
                    if (!w.isEmpty()) {
                        words.add(w);
                    }
                }
            }
            return words;
        } catch (IOException e) {
            throw ConfigurationException.badValue(parameter, parameter + ": cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Whether the filter is set at all. */
    boolean active() {
        return !patterns.isEmpty();
    }

    /** Whether the client considers {@code mechanism}. */
    boolean keeps(String mechanism) {
        if (patterns.isEmpty()) {
            return true;
        }
        for (Pattern p : patterns) {
            if (p.matches(mechanism)) {
                return !p.negated();
            }
        }
        return false;
    }

    /** The server's mechanisms this filter keeps, in the server's order. */
    List<String> filter(List<String> offered) {
        return offered.stream().filter(this::keeps).toList();
    }

    /** Whether a name pattern asks for XOAUTH2 (CLARIFICATIONS 42: never chosen otherwise). */
    boolean namesXoauth2() {
        return patterns.stream().anyMatch(p -> !p.negated() && p.table() == null && p.name().equalsIgnoreCase("xoauth2"));
    }
}
