package io.postilion.dns;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Why it exists: Postfix prints every IP address with inet_ntop(3), so logs, diagnostics
 * ("host mx[ADDR] said: ...", relay=HOST[ADDR]:PORT) and the DNS reply filter show IPv6 in its
 * compressed form ({@code ::1}, {@code 2001:db8::25}), where Java's
 * {@link InetAddress#getHostAddress()} writes every group ({@code 0:0:0:0:0:0:0:1}). This is the
 * one formatter for an address shown to a person or a log parser.
 */
public final class AddressText {

    private AddressText() {
    }

    /**
     * The address as glibc's inet_ntop writes it: IPv4 dotted; IPv6 lowercase hex without leading
     * zeros, the longest run of two or more zero groups (the first of equal runs) as "::", and an
     * IPv4-compatible or IPv4-mapped address with its last 32 bits dotted. A scope, if any, follows
     * after "%" as getnameinfo(3) adds it.
     */
    public static String of(InetAddress address) {
        if (!(address instanceof Inet6Address v6)) {
            return address.getHostAddress();
        }
        byte[] b = v6.getAddress();
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
        StringBuilder sb = new StringBuilder(40);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (i == 6 && bestStart == 0 && (bestLen == 6 || bestLen == 5 && g[5] == 0xffff)) {
                // inet_ntop's embedded IPv4 form (::a.b.c.d, ::ffff:a.b.c.d)
                if (sb.charAt(sb.length() - 1) != ':') {
                    sb.append(':');
                }
                sb.append(b[12] & 0xff).append('.').append(b[13] & 0xff).append('.').append(b[14] & 0xff).append('.')
                        .append(b[15] & 0xff);
                break;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        if (v6.getScopedInterface() != null) {
            sb.append('%').append(v6.getScopedInterface().getName());
        } else if (v6.getScopeId() != 0) {
            sb.append('%').append(v6.getScopeId());
        }
        return sb.toString();
    }
}
