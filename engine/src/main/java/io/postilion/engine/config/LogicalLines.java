package io.postilion.engine.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Why it exists: main.cf and Postfix table files share one line discipline, kept in one place.
 * A logical line starts with non-whitespace text; a physical line that starts with whitespace
 * continues the logical line before it (its leading whitespace is kept, the line break dropped);
 * blank lines and lines whose first non-whitespace character is {@code #} are skipped.
 */
final class LogicalLines {

    /**
     * One logical line.
     *
     * @param number the 1-based number of the physical line it starts on
     * @param text   the joined text, trailing whitespace removed; it starts with whitespace only
     *               when a continuation line had nothing before it to continue
     */
    record Line(int number, String text) {

        boolean isOrphanContinuation() {
            return !text.isEmpty() && Character.isWhitespace(text.charAt(0));
        }
    }

    private LogicalLines() {
    }

    static List<Line> split(String content) {
        List<Line> out = new ArrayList<>();
        StringBuilder current = null;
        int currentStart = 0;
        String[] physical = content.split("\r?\n", -1);
        for (int i = 0; i < physical.length; i++) {
            String line = physical[i];
            String stripped = line.strip();
            if (stripped.isEmpty() || stripped.charAt(0) == '#') {
                continue;
            }
            if (Character.isWhitespace(line.charAt(0)) && current != null) {
                current.append(line.stripTrailing());
                continue;
            }
            if (current != null) {
                out.add(new Line(currentStart, current.toString()));
            }
            current = new StringBuilder(line.stripTrailing());
            currentStart = i + 1;
        }
        if (current != null) {
            out.add(new Line(currentStart, current.toString()));
        }
        return out;
    }
}
