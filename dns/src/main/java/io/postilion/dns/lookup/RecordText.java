package io.postilion.dns.lookup;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** Renders a record the way the reply filter sees it: {@code name. ttl IN type value}, IPv6 compressed. */
final class RecordText {

    private RecordText() {}

    static String render(Record r) {
        String value;
        if (r instanceof ARecord a) {
            value = a.getAddress().getHostAddress();
        } else if (r instanceof AAAARecord aaaa) {
            value = compress(aaaa.getAddress());
        } else {
            value = r.rdataToString();
        }
        return r.getName() + " " + r.getTTL() + " " + DClass.string(r.getDClass()) + " " + Type.string(r.getType()) + " "
                + value;
    }

    /** RFC 5952 text for an IPv6 address (longest run of zero groups, length >= 2, becomes "::"). */
    static String compress(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestStart = -1;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
