package io.postilion.engine.spool.journal;

import java.util.OptionalLong;
import java.util.regex.Pattern;

/** Segment file names: 16 lower-case hex digits and ".seg", so that names sort as numbers do. */
final class SegmentNames {

    private static final Pattern NAME = Pattern.compile("[0-7][0-9a-f]{15}\\.seg");

    private SegmentNames() {
    }

    static String name(long number) {
        String hex = Long.toHexString(number); // read for every delivery: no format string parsing
        return "0".repeat(16 - hex.length()) + hex + ".seg";
    }

    /** The segment number a name stands for; empty for anything else (a stray file, a temp file). */
    static OptionalLong parse(String name) {
        if (!NAME.matcher(name).matches()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(name.substring(0, 16), 16));
    }
}
