package io.postilion.dns.lookup;

import java.util.List;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The result of one logical DNS lookup (CNAMEs followed): the records of the requested type, the AD
 * flag, the rcode, and for failures a classified outcome and a Postfix-style reason text.
 *
 * @param queryName the name asked for (A-label form)
 * @param type the record type asked for ({@link Type} constant)
 * @param outcome the classification
 * @param records answer records of {@code type} (empty unless {@code OK})
 * @param authenticated whether every reply on the way carried the AD bit
 * @param rcode the final reply's rcode, or -1 when no reply arrived
 * @param canonicalName the owner of {@code records} after CNAME expansion
 * @param reason empty for {@code OK}; else e.g. "Host or domain name not found. Name service error for
 *     name=example.com type=MX: Host not found, try again"
 */
public record DnsAnswer(
        Name queryName,
        int type,
        DnsOutcome outcome,
        List<Record> records,
        boolean authenticated,
        int rcode,
        Name canonicalName,
        String reason) {

    public DnsAnswer {
        Objects.requireNonNull(queryName, "queryName");
        Objects.requireNonNull(outcome, "outcome");
        records = List.copyOf(records);
        Objects.requireNonNull(canonicalName, "canonicalName");
        Objects.requireNonNull(reason, "reason");
    }

    public boolean ok() {
        return outcome == DnsOutcome.OK;
    }

    /** The records cast to a concrete class, e.g. {@code records(MXRecord.class)}. */
    public <T extends Record> List<T> records(Class<T> kind) {
        return records.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    /** The query name without its trailing dot, as Postfix prints it. */
    public String printableName() {
        return DnsTexts.printable(queryName);
    }
}
