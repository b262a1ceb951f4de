package io.postilion.dns.lookup;

import java.net.InetAddress;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Record;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.Type;

/**
 * Renders a record the way the reply filter sees it, as Postfix's dns_strrecord does:
 * {@code name. ttl IN type value}, IPv6 compressed, MX {@code pref target.}, SRV
 * {@code priority weight port target.}, TLSA {@code usage selector mtype hex} with lower-case hex.
 */
final class RecordText {

    private RecordText() {}

    static String render(Record r) {
        String value;
        if (r instanceof ARecord a) {
            value = io.postilion.dns.AddressText.of(a.getAddress());
        } else if (r instanceof AAAARecord aaaa) {
            value = compress(aaaa.getAddress());
        } else if (r instanceof TLSARecord tlsa) {
            // dnsjava prints the data in upper case; Postfix's "%02x" gives lower case, and a
            // filter pattern written for Postfix must match the same text.
            value = tlsa.getCertificateUsage() + " " + tlsa.getSelector() + " " + tlsa.getMatchingType() + " "
                    + java.util.HexFormat.of().formatHex(tlsa.getCertificateAssociationData());
        } else {
            value = r.rdataToString();
        }
        return r.getName() + " " + r.getTTL() + " " + DClass.string(r.getDClass()) + " " + Type.string(r.getType()) + " "
                + value;
    }

    /** The address as Postfix prints it (inet_ntop): IPv6 compressed. */
    static String compress(InetAddress address) {
        return io.postilion.dns.AddressText.of(address);
    }
}
