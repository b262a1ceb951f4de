package io.postilion.engine.rewrite;

/**
 * A lookup table could not answer (Postfix's "map lookup problem"). The tables loaded from main.cf
 * never fail once loaded, but a table given by a library user may; the caller turns this into a
 * deferral (DATA-26: 4.3.0; DATA-30: 4.3.0 "local data error"), never into a bounce.
 */
public final class TableLookupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String table;

    public TableLookupException(String table, String key, Throwable cause) {
        super(table + " lookup error for " + key, cause);
        this.table = table;
    }

    /** The parameter that names the table, e.g. {@code smtp_header_checks}. */
    public String table() {
        return table;
    }
}
