package io.postilion.engine.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * mynetworks as a matcher: the clients that may relay without authenticating. Entries are
 * addresses or CIDR blocks, IPv6 ones optionally in brackets as Postfix writes them
 * ({@code [::1]/128}). Only numeric entries are taken: a name here would need a DNS lookup per
 * connection, which Postfix's default configuration never needs either.
 */
public final class ClientNetworks {

    private final List<Block> blocks;

    private ClientNetworks(List<Block> blocks) {
        this.blocks = List.copyOf(blocks);
    }

    /** @throws IllegalArgumentException naming the entry that is not an address or CIDR block */
    public static ClientNetworks parse(List<String> entries) {
        return parse(entries, "mynetworks");
    }

    /** As {@link #parse(List)}, for the list of another parameter, named in the error. */
    public static ClientNetworks parse(List<String> entries, String parameter) {
        List<Block> out = new ArrayList<>();
        for (String raw : entries) {
            String e = raw.trim();
            if (e.isEmpty()) {
                continue;
            }
            int slash = e.indexOf('/');
            String addr = slash < 0 ? e : e.substring(0, slash);
            if (addr.startsWith("[") && addr.endsWith("]")) {
                addr = addr.substring(1, addr.length() - 1);
            }
            byte[] bytes = numeric(addr, raw, parameter);
            int bits = bytes.length * 8;
            int prefix = bits;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(e.substring(slash + 1));
                } catch (NumberFormatException nfe) {
                    throw new IllegalArgumentException("bad " + parameter + " entry '" + raw + "': bad prefix length");
                }
                if (prefix < 0 || prefix > bits) {
                    throw new IllegalArgumentException("bad " + parameter + " entry '" + raw + "': prefix length out of range");
                }
            }
            out.add(new Block(bytes, prefix));
        }
        return new ClientNetworks(out);
    }

    private static byte[] numeric(String addr, String raw, String parameter) {
        boolean v4 = addr.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        boolean v6 = addr.contains(":") && addr.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException("bad " + parameter + " entry '" + raw + "': not a numeric address or CIDR block");
        }
        try {
            return InetAddress.getByName(addr).getAddress(); // numeric only: no lookup happens
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad " + parameter + " entry '" + raw + "': " + e.getMessage());
        }
    }

    public boolean contains(InetAddress client) {
        byte[] a = client.getAddress();
        for (Block b : blocks) {
            if (b.matches(a)) {
                return true;
            }
        }
        return false;
    }

    private record Block(byte[] network, int prefix) {
        boolean matches(byte[] a) {
            if (a.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[full] & mask) == (network[full] & mask);
        }
    }
}
