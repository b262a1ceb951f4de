package io.postilion.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/rules.md true: every rule id a test method is named after ({@code _REPLY14},
 * {@code _LOOKUP3_LOOKUP14}, {@code smtpd3_}) has a row in that page's section tables, and no id
 * the page lists under "Not yet named by a test" is a test's name any more.
 *
 * <p>Run from the engine module, so the repository root is {@code ..}; every module's
 * {@code src/test/java} is scanned.
 */
class RuleDocTest {

    private static final String PREFIXES = "DEST|LOOKUP|SESS|XFER|DATA|TIME|REPLY|TLS|SASL|CACHE|LOG|MISC|SMTPD";

    /**
     * A rule id in a name: an upper-case prefix with an optional {@code -} or {@code _} before the
     * number ({@code REPLY14}, {@code REPLY-14}), or a lower-case prefix whose number is followed by
     * {@code _} ({@code smtpd3_}). Not preceded by a letter or digit, so {@code Math.log10} and
     * {@code tls11IsRefused} (a TLS version, not TLS-11) are not ids.
     */
    static final Pattern RULE_ID = Pattern.compile(
            "(?<![A-Za-z0-9])(?:(" + PREFIXES + ")[-_]?([0-9]+)|(" + PREFIXES.toLowerCase() + ")([0-9]+)_)(?![0-9])");

    /** A method declaration: {@code void name(}, or a dynamic-test factory returning DynamicTests. */
    private static final Pattern METHOD = Pattern.compile(
            "\\b(?:void|(?:Stream|Collection|Iterable|List)<DynamicTest>)\\s+(\\w+)\\s*\\(");

    private static final Pattern ROW = Pattern.compile("^\\|\\s*((?:" + PREFIXES + ")-[0-9]+)\\s*\\|");

    private static final String NOT_YET = "## Not yet named by a test";

    private static final Path ROOT = Path.of("..");

    @Test
    void everyRuleIdATestIsNamedAfterHasARowInDocsRulesMd() throws IOException {
        Map<String, Set<String>> named = ruleIdsInTestMethodNames();
        assertFalse(named.isEmpty(), "no rule id found in any test method name under "
                + ROOT.toAbsolutePath().normalize() + "/*/src/test/java: is the scan looking in the right place?");

        Set<String> rows = new TreeSet<>();
        Set<String> notYet = new TreeSet<>();
        boolean inNotYet = false;
        for (String line : Files.readAllLines(ROOT.resolve("docs/rules.md"), StandardCharsets.UTF_8)) {
            if (line.startsWith("## ")) {
                inNotYet = line.trim().equals(NOT_YET);
            }
            Matcher row = ROW.matcher(line);
            if (row.find()) {
                (inNotYet ? notYet : rows).add(row.group(1));
            }
        }

        List<String> missing = new ArrayList<>();
        List<String> stale = new ArrayList<>();
        named.forEach((id, methods) -> {
            if (!rows.contains(id)) {
                missing.add(id + " (" + String.join(", ", methods) + ")");
            }
            if (notYet.contains(id)) {
                stale.add(id + " (" + String.join(", ", methods) + ")");
            }
        });
        assertTrue(missing.isEmpty(), "rule ids named by tests but without a row in docs/rules.md's section tables "
                + "(add a row: what the rule requires, the Postfix source file, the test classes):\n  "
                + String.join("\n  ", missing));
        assertTrue(stale.isEmpty(), "rule ids listed under \"" + NOT_YET.substring(3) + "\" in docs/rules.md that a "
                + "test is now named after (move the row into its section's table):\n  " + String.join("\n  ", stale));
    }

    @Test
    void theRuleIdPatternReadsTheFormsTheTestsUse() {
        assertTrue(ids("cnameChasedForTheDomain_LOOKUP3_LOOKUP14").equals(Set.of("LOOKUP-3", "LOOKUP-14")));
        assertTrue(ids("smtpd3_theHardErrorLimitEndsTheSession").equals(Set.of("SMTPD-3")));
        assertTrue(ids("// REPLY-14 and DATA3").equals(Set.of("REPLY-14", "DATA-3")));
        assertTrue(ids("tls11IsRefusedWhenTheProtocolsSayAtLeastTls12").isEmpty());
        assertTrue(ids("Math.log10(x); catalog5_; SMTPUTF8").isEmpty());
    }

    private static Set<String> ids(String text) {
        Set<String> ids = new TreeSet<>();
        Matcher m = RULE_ID.matcher(text);
        while (m.find()) {
            String prefix = m.group(1) != null ? m.group(1) : m.group(3).toUpperCase();
            String number = m.group(2) != null ? m.group(2) : m.group(4);
            ids.add(prefix + "-" + Integer.parseInt(number));
        }
        return ids;
    }

    /** Rule id to the test methods ({@code Class.method}) named after it. */
    private static Map<String, Set<String>> ruleIdsInTestMethodNames() throws IOException {
        Map<String, Set<String>> named = new TreeMap<>();
        List<Path> roots;
        try (Stream<Path> modules = Files.list(ROOT)) {
            roots = modules.map(m -> m.resolve("src/test/java")).filter(Files::isDirectory).sorted().toList();
        }
        for (Path root : roots) {
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
                    String cls = f.getFileName().toString().replaceFirst("\\.java$", "");
                    String source;
                    try {
                        source = Files.readString(f, StandardCharsets.UTF_8);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    Matcher method = METHOD.matcher(source);
                    while (method.find()) {
                        for (String id : ids(method.group(1))) {
                            named.computeIfAbsent(id, k -> new TreeSet<>()).add(cls + "." + method.group(1));
                        }
                    }
                });
            }
        }
        return named;
    }
}
