package io.postilion.dns.lookup;

import java.util.Optional;

/**
 * {@code smtp_dns_reply_filter} (LOOKUP-18): a lookup table consulted with each record of a successful
 * answer rendered as {@code name. ttl IN type value}. The only action is {@code IGNORE}
 * (case-insensitive), which drops the record; any other action, or a table error (an exception), turns
 * the whole query into a temporary failure.
 */
@FunctionalInterface
public interface DnsReplyFilter {

    /** The table's result for one rendered record; empty keeps the record. */
    Optional<String> lookup(String renderedRecord) throws Exception;

    /** No filter (the default, empty setting). */
    static DnsReplyFilter none() {
        return record -> Optional.empty();
    }
}
