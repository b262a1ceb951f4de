package io.postilion.dns.lookup;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code smtp_dns_reply_filter} (LOOKUP-18): a lookup table consulted with each record of a successful
 * answer rendered as {@code name. ttl IN type value}. The only action is {@code IGNORE}
 * (case-insensitive, the first word of the result), which drops the record; any other action, or a
 * table error (an exception), turns the whole query into a temporary failure.
 */
@FunctionalInterface
public interface DnsReplyFilter {

    /** No filter (the default, empty setting): answers pass untouched and no record is rendered. */
    DnsReplyFilter NONE = record -> Optional.empty();

    /** The table's result for one rendered record; empty keeps the record. */
    Optional<String> lookup(String renderedRecord) throws Exception;

    /** What warnings about the table name it as: the parameter that configured it. */
    default String title() {
        return "smtp_dns_reply_filter";
    }

    /** No filter. */
    static DnsReplyFilter none() {
        return NONE;
    }

    /** {@code table} named {@code title} (e.g. {@code lmtp_dns_reply_filter}) in warnings. */
    static DnsReplyFilter named(String title, DnsReplyFilter table) {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(table, "table");
        return new DnsReplyFilter() {
            @Override
            public Optional<String> lookup(String renderedRecord) throws Exception {
                return table.lookup(renderedRecord);
            }

            @Override
            public String title() {
                return title;
            }
        };
    }
}
