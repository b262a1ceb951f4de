package io.postilion.engine.rewrite;

import io.postilion.engine.config.InlineTable;
import io.postilion.engine.config.LookupTable;
import io.postilion.engine.config.RegexpTable;

/** Small tables for the rewriting tests. */
final class Tables {

    private Tables() {
    }

    /** {@code inline:{ k=v, ... }} written as its body, e.g. {@code "{ a@x=b@y }"}. */
    static LookupTable inline(String body) {
        return InlineTable.parse(body);
    }

    /** A regexp: table from its lines. */
    static LookupTable regexp(String... lines) {
        return RegexpTable.parse(String.join("\n", lines) + "\n", "regexp:test");
    }

    /** A table whose every lookup fails, as a broken remote table would. */
    static LookupTable failing() {
        return key -> {
            throw new IllegalStateException("table unavailable");
        };
    }
}
