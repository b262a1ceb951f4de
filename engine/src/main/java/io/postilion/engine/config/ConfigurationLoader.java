package io.postilion.engine.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why it exists: loading is where every configuration check happens, so that errors surface at
 * start-up and never later (CLARIFICATIONS item 6). It folds main.cf definitions and {@code -o}
 * overrides over the registry's defaults, refuses unknown {@code -o} names (exit 64), expands
 * every value, checks it against its parameter's type and opens every lookup table (exit 78 on a
 * bad value or an unreadable table), and warns (logged, and kept on the result) about unknown
 * main.cf names that nothing refers to.
 */
public final class ConfigurationLoader {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigurationLoader.class);

    private ConfigurationLoader() {
    }

    /**
     * Loads a main.cf file with {@code -o} overrides. {@code config_directory} defaults to the
     * file's directory.
     *
     * @param mainCf    the main.cf file
     * @param overrides the arguments of {@code -o} options, each {@code name=value}
     * @throws ConfigurationException 64 for a bad or unknown {@code -o}, 78 for a bad value or an
     *                                unreadable main.cf or table
     */
    public static Configuration load(Path mainCf, List<String> overrides) {
        String text;
        try {
            text = Files.readString(mainCf, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw ConfigurationException.badValue(null, "cannot read configuration file " + mainCf + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        }
        Path dir = mainCf.toAbsolutePath().getParent();
        Map<String, String> injected = new HashMap<>();
        if (dir != null) {
            injected.put("config_directory", dir.toString());
        }
        return build(MainCfParser.parse(text, mainCf.toString()), mainCf.toString(), overrides, injected);
    }

    /**
     * Loads main.cf text with {@code -o} overrides (for tests, and for running without a file).
     *
     * @param mainCfText main.cf content (may be empty)
     * @param source     its name, for messages
     * @param overrides  the arguments of {@code -o} options, each {@code name=value}
     */
    public static Configuration fromText(String mainCfText, String source, List<String> overrides) {
        return build(MainCfParser.parse(mainCfText, source), source, overrides, Map.of());
    }

    /**
     * Splits one {@code -o} argument into name and value and checks the name is known.
     *
     * @throws ConfigurationException (exit 64) when it is not {@code name=value} or the name is unknown
     */
    public static Map.Entry<String, String> parseOverride(String argument) {
        int eq = argument.indexOf('=');
        String name = eq < 0 ? "" : argument.substring(0, eq).strip();
        if (name.isEmpty()) {
            throw ConfigurationException.usage(null, "-o expects name=value, got '" + argument + "'");
        }
        if (!ParameterRegistry.isKnown(name)) {
            throw ConfigurationException.usage(name, "unknown parameter name in -o " + argument + ": " + name);
        }
        return Map.entry(name, argument.substring(eq + 1).strip());
    }

    private static Configuration build(List<MainCfParser.Definition> definitions, String source,
                                       List<String> overrides, Map<String, String> injected) {
        List<Map.Entry<String, String>> dashO = new ArrayList<>();
        for (String argument : overrides) {
            dashO.add(parseOverride(argument));
        }
        Map<String, String> explicit = new LinkedHashMap<>();
        Map<String, Integer> unknownLines = new LinkedHashMap<>();
        for (MainCfParser.Definition d : definitions) {
            explicit.remove(d.name());
            explicit.put(d.name(), d.value());
            if (!ParameterRegistry.isKnown(d.name())) {
                unknownLines.put(d.name(), d.line());
            }
        }
        for (Map.Entry<String, String> o : dashO) {
            explicit.put(o.getKey(), o.getValue());
        }

        RawValues raw = new RawValues(explicit, injected);
        ParameterExpander expander = new ParameterExpander(raw::get);
        raw.expander = expander;

        Map<String, String> values = new TreeMap<>();
        Map<String, Object> typed = new HashMap<>();
        for (ParameterDefinition d : ParameterRegistry.all()) {
            String value = expander.value(d.name());
            if (value == null) {
                value = "";
            }
            values.put(d.name(), value);
            try {
                typed.put(d.name(), d.type().parse(value));
            } catch (IllegalArgumentException e) {
                String written = raw.get(d.name());
                String shown = written != null && !written.equals(value)
                        ? "'" + written + "' (expands to '" + value + "')" : "'" + value + "'";
                throw ConfigurationException.badValue(d.name(), "bad value for parameter " + d.name() + " = "
                        + shown + ": " + e.getMessage());
            }
        }
        Set<String> referenced = expander.referenced();

        List<ConfigurationWarning> warnings = new ArrayList<>();
        for (Map.Entry<String, Integer> unknown : unknownLines.entrySet()) {
            String name = unknown.getKey();
            if (!referenced.contains(name)) {
                warnings.add(new ConfigurationWarning(name, source + ", line " + unknown.getValue()
                        + ": unknown parameter name '" + name + "' (ignored)"));
            }
            try {
                String value = expander.value(name);
                values.put(name, value == null ? "" : value);
            } catch (ConfigurationException e) {
                if (referenced.contains(name)) {
                    throw e;
                }
                values.put(name, explicit.get(name));
            }
        }

        Map<String, LookupTable> tables = new HashMap<>();
        Map<List<String>, LookupTable> opened = new HashMap<>();
        Set<String> tableWarnings = new LinkedHashSet<>();
        for (ParameterDefinition d : ParameterRegistry.all()) {
            if (d.type().kind() != ParameterType.Kind.TABLE) {
                continue;
            }
            @SuppressWarnings("unchecked")
            List<String> specs = (List<String>) typed.get(d.name());
            LookupTable table = opened.get(specs);
            if (table == null) {
                List<String> messages = new ArrayList<>();
                table = LookupTables.open(d.name(), specs, messages::add);
                opened.put(specs, table);
                for (String m : messages) {
                    if (tableWarnings.add(m)) {
                        warnings.add(new ConfigurationWarning(d.name(), m));
                    }
                }
            }
            tables.put(d.name(), table);
        }

        for (ConfigurationWarning w : warnings) {
            LOG.warn("{}", w.message());
        }
        Configuration normal = new Configuration(values, typed, tables, explicit.keySet(), warnings);
        return normal.withStressView(stressValues(explicit, injected, values, typed));
    }

    /**
     * The values that differ while a server is under stress: Postfix's master sets the pseudo
     * parameter {@code stress} to "yes" then, so a default like {@code ${stress?{10}:{300}}s}
     * reads 10s. The listener switches to these values when its slots for outsiders are full.
     */
    private static Map<String, Object[]> stressValues(Map<String, String> explicit, Map<String, String> injected,
            Map<String, String> values, Map<String, Object> typed) {
        Map<String, String> withStress = new HashMap<>(injected);
        withStress.put("stress", "yes");
        RawValues raw = new RawValues(explicit, withStress);
        ParameterExpander expander = new ParameterExpander(raw::get);
        raw.expander = expander;
        Map<String, Object[]> changed = new HashMap<>();
        for (ParameterDefinition d : ParameterRegistry.all()) {
            if (d.type().kind() == ParameterType.Kind.TABLE) {
                continue;
            }
            String value = expander.value(d.name());
            value = value == null ? "" : value;
            if (!value.equals(values.get(d.name()))) {
                try {
                    changed.put(d.name(), new Object[] {value, d.type().parse(value)});
                } catch (IllegalArgumentException e) {
                    throw ConfigurationException.badValue(d.name(), "bad value for parameter " + d.name()
                            + " under stress = '" + value + "': " + e.getMessage());
                }
            }
        }
        return changed;
    }

    /** The unexpanded value of each name: explicit, else injected, else computed or registered default. */
    private static final class RawValues {

        private final Map<String, String> explicit;
        private final Map<String, String> injected;
        private ParameterExpander expander;
        private boolean derivingMyDomain;

        RawValues(Map<String, String> explicit, Map<String, String> injected) {
            this.explicit = explicit;
            this.injected = injected;
        }

        String get(String name) {
            String value = explicit.get(name);
            if (value != null) {
                return value;
            }
            value = injected.get(name);
            if (value != null) {
                return value;
            }
            if (name.equals("myhostname")) {
                String host = LocalHostNames.systemHostName();
                return explicit.containsKey("mydomain") && host.indexOf('.') < 0
                        ? host + ".$mydomain" : LocalHostNames.defaultMyHostname(host, null);
            }
            if (name.equals("mydomain")) {
                if (derivingMyDomain) {
                    throw ConfigurationException.badValue("mydomain", "parameter expansion loop: mydomain is "
                            + "derived from myhostname, which refers to mydomain; set mydomain explicitly");
                }
                derivingMyDomain = true;
                try {
                    String host = expander.value("myhostname");
                    return LocalHostNames.defaultMyDomain(host == null ? "" : host);
                } finally {
                    derivingMyDomain = false;
                }
            }
            return ParameterRegistry.find(name).map(ParameterDefinition::defaultValue).orElse(null);
        }
    }
}
