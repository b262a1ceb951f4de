package io.postilion.dns;

import java.util.Objects;

/**
 * What DANE (TLS-8, RFC 7672 section 2.2) needs to know about the lookup that named a destination's
 * servers: whether the MX (or SRV) RRset was DNSSEC-validated, and the owner name it was found at
 * after CNAME expansion. Servers that came from no such RRset (a bracketed destination, the A/AAAA
 * fallback when there is no MX, LMTP) count as validated: their name was chosen by the sender, not
 * by DNS.
 *
 * @param validated the RRset came with the AD bit, or there was none
 * @param owner the RRset's owner after CNAME expansion, in A-label form; empty when there was none
 */
public record ServerRrset(boolean validated, String owner) {

    /** No MX/SRV RRset named the servers: nothing DNS could have forged. */
    public static final ServerRrset NONE = new ServerRrset(true, "");

    public ServerRrset {
        Objects.requireNonNull(owner, "owner");
    }
}
