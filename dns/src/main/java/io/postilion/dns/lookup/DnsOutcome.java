package io.postilion.dns.lookup;

/**
 * How a DNS query ended, in the classes Postfix's resolver glue distinguishes (LOOKUP-4, LOOKUP-11).
 */
public enum DnsOutcome {
    /** At least one record of the requested type. */
    OK,
    /** NXDOMAIN, NODATA, or a CNAME chain that never ends within the query budget. */
    NOT_FOUND,
    /** SERVFAIL, timeout, or an unusable (truncated, unparseable) reply: try again later. */
    TEMPORARY,
    /** REFUSED, NOTIMP, FORMERR and other rcodes that retrying will not fix. */
    NON_RECOVERABLE,
    /** A reply whose records are unusable (e.g. every MX target an invalid name). */
    MALFORMED,
    /** A reply filter removed every record (LOOKUP-18). */
    POLICY
}
