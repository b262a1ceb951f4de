package io.postilion.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md promises every parameter the code reads, with Postfix's default. This test
 * keeps the promise: it finds the names the engine's main code reads through {@link Configuration}
 * (a variable named cfg, config or configuration, the convention of every *Configuration class)
 * and checks that each has a row whose default is the registry's.
 */
class ConfigurationDocTest {

    private static final Pattern READ = Pattern.compile(
            "\\b(?:cfg|config|configuration)\\.(?:string|bool|integer|size|time|choice|list|table|isSet|effectiveName)"
                    + "\\(\"([a-z0-9][a-z0-9_]*)\"\\)");
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9][a-z0-9_]*)` \\| (`[^`]*`|\\(empty\\)) \\| (.+)\\|\\s*$");

    @Test
    void everyParameterTheCodeReadsIsDocumentedWithItsDefault() throws IOException {
        Map<String, String> documented = documentedDefaults();
        List<String> problems = new ArrayList<>();
        for (String name : namesReadByTheCode()) {
            ParameterDefinition d = ParameterRegistry.find(name).orElse(null);
            if (d == null) {
                problems.add(name + ": read by the code but not registered");
                continue;
            }
            check(name, d.defaultValue(), documented, problems);
            String twin = ParameterRegistry.lmtpNameFor(name);
            if (!twin.equals(name)) {
                String twinDefault = ParameterRegistry.find(twin).orElseThrow().defaultValue();
                String derived = d.defaultValue().replace("$smtp_", "$lmtp_").replace("${smtp_", "${lmtp_");
                if (!twin.equals("lmtp_" + name.substring(5)) || !twinDefault.equals(derived)) {
                    check(twin, twinDefault, documented, problems);
                }
            }
        }
        assertTrue(problems.isEmpty(), "docs/configuration.md is out of step:\n  " + String.join("\n  ", problems));
    }

    /**
     * Issue 18: the page marks every registered parameter, supported or not. A parameter read only
     * through another's default (a {@code $name} in that default) counts as read for the registry
     * guard; this catches it when its consumer is not acted on and it is not marked.
     */
    @Test
    void everyRegisteredParameterAppearsOnThePage() throws IOException {
        String page = Files.readString(Path.of("../docs/configuration.md"));
        List<String> absent = new ArrayList<>();
        for (ParameterDefinition d : ParameterRegistry.all()) {
            // An lmtp_ twin is covered by its smtp_ parameter (the page says so once, at the top).
            boolean twin = d.name().startsWith("lmtp_") && ParameterRegistry.all().stream()
                    .anyMatch(o -> d.name().equals(o.twinName()) && page.contains("`" + o.name() + "`"));
            if (!twin && !page.contains("`" + d.name() + "`")) {
                absent.add(d.name());
            }
        }
        assertTrue(absent.isEmpty(), "registered but neither documented nor marked: " + absent);
    }

    @Test
    void theDocumentedRowsAreRegisteredNames() throws IOException {
        for (String name : documentedDefaults().keySet()) {
            assertTrue(ParameterRegistry.find(name).isPresent(), name + " is documented but not registered");
        }
    }

    @Test
    void theScanFindsTheParametersItMustFind() throws IOException {
        TreeSet<String> read = namesReadByTheCode();
        assertTrue(read.contains("smtp_mx_session_limit"), read.toString());
        assertTrue(read.contains("soft_bounce"), read.toString());
        assertTrue(read.contains("2bounce_notice_recipient"), "a name may start with a digit: " + read);
        assertTrue(read.contains("shutdown_grace_time"), read.toString());
        assertFalse(read.isEmpty());
    }

    private static void check(String name, String def, Map<String, String> documented, List<String> problems) {
        String doc = documented.get(name);
        if (doc == null) {
            problems.add(name + ": no row (default " + (def.isEmpty() ? "(empty)" : "`" + def + "`") + ")");
        } else if (!doc.equals(def)) {
            problems.add(name + ": documented default '" + doc + "' but the registry says '" + def + "'");
        }
    }

    private static TreeSet<String> namesReadByTheCode() throws IOException {
        TreeSet<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = READ.matcher(Files.readString(p));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }

    private static Map<String, String> documentedDefaults() throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("../docs/configuration.md"))) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                String def = m.group(2);
                out.put(m.group(1), def.equals("(empty)") ? "" : def.substring(1, def.length() - 1));
            }
        }
        assertFalse(out.isEmpty(), "no parameter rows found in docs/configuration.md");
        return out;
    }

    @Test
    void defaultsWithBackticksCannotBeWrittenAndNoneHaveThem() {
        for (ParameterDefinition d : ParameterRegistry.all()) {
            assertFalse(d.defaultValue().contains("`"), d.name());
        }
    }
}
