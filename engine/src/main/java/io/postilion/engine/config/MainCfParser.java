package io.postilion.engine.config;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Why it exists: main.cf is Postfix's configuration syntax and Postilion reads the same files.
 * This class only splits text into {@code name = value} definitions (continuations joined,
 * comments and blank lines dropped, values trimmed); it neither expands {@code $name} nor knows
 * which names exist. Later definitions of a name override earlier ones when the caller folds
 * the list into a map.
 */
public final class MainCfParser {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.\\-/]+");

    /**
     * One {@code name = value} definition.
     *
     * @param name  the parameter name, as written
     * @param value the value, trimmed, not expanded
     * @param line  the 1-based line the definition starts on
     */
    public record Definition(String name, String value, int line) {
    }

    private MainCfParser() {
    }

    /**
     * Splits main.cf text into its definitions, in file order.
     *
     * @param text   the file's content
     * @param source a name for messages (usually the file's path)
     * @throws ConfigurationException (exit 78) on a line that is not {@code name = value}
     */
    public static List<Definition> parse(String text, String source) {
        List<Definition> out = new ArrayList<>();
        for (LogicalLines.Line line : LogicalLines.split(text)) {
            if (line.isOrphanContinuation()) {
                throw ConfigurationException.badValue(null, source + ", line " + line.number()
                        + ": a continuation line (starting with whitespace) with nothing before it to continue");
            }
            int eq = line.text().indexOf('=');
            String name = eq < 0 ? "" : line.text().substring(0, eq).strip();
            if (eq < 0 || !NAME.matcher(name).matches()) {
                throw ConfigurationException.badValue(null, source + ", line " + line.number()
                        + ": expected 'name = value', found '" + line.text().strip() + "'");
            }
            out.add(new Definition(name, line.text().substring(eq + 1).strip(), line.number()));
        }
        return out;
    }
}
