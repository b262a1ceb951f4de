package io.postilion.engine.spool.journal;

import java.util.OptionalLong;
import java.util.regex.Pattern;

/** Segment file names: 16 lower-case hex digits and ".seg", so that names sort as numbers do. */
final class SegmentNames {

    private static final Pattern NAME = Pattern.compile("[0-7][0-9a-f]{15}\\.seg");

    private SegmentNames() {
    }

    static String name(long number) {
        return String.format("%016x.seg", number);
    }

    /** The segment number a name stands for; empty for anything else (a stray file, a temp file). */
    static OptionalLong parse(String name) {
        if (!NAME.matcher(name).matches()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(name.substring(0, 16), 16));
    }
}
