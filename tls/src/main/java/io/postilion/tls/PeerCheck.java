package io.postilion.tls;

import java.security.cert.Certificate;

/**
 * How one server's certificate is judged once its handshake is done (TLS-5, TLS-13). Postfix lets
 * every handshake finish whatever the certificate and decides afterwards, so a check never fails
 * a handshake: the session turns a failed match at a level that needs one into 4.7.5 "Server
 * certificate not verified" with QUIT. A check is bound to one server when its policy is computed
 * (host name, next-hop domain, fingerprints, TLSA records), so the session knows none of that.
 * CPU only: a check runs on the connection's event loop.
 */
@FunctionalInterface
public interface PeerCheck {

    /** No trust anchor and no name: at most "Untrusted"; a level that must match always fails. */
    PeerCheck NOTHING = chain -> new Result(false, null,
            chain.length == 0 ? "no peer certificate" : "no trust anchors configured");

    /** Judges {@code chain}, leaf first; empty when the server sent no certificate. */
    Result check(Certificate[] chain);

    /**
     * The outcome of one check.
     *
     * @param trusted the chain leads to a trust anchor, a pinned digest or a TLSA record
     *     (Postfix's TLS_CERT_IS_TRUSTED)
     * @param matchedName what matched: the certificate name, or the fingerprint or TLSA record that
     *     authenticated the server; null when nothing did
     * @param problem what failed, for the log ("num=62:hostname mismatch"); null on success
     */
    record Result(boolean trusted, String matchedName, String problem) {

        /** The certificate satisfies a level that needs a match (Postfix's TLS_CERT_IS_MATCHED). */
        public boolean matched() {
            return trusted && matchedName != null;
        }

        /**
         * TLS-5/TLS-30's word for the peer at {@code level}: "Verified" for a match at a level that
         * needs one, except halfdane, whose match (TLSA records reached through an unsigned MX
         * RRset) is only "Trusted"; "Trusted" for a chain that is trusted but not matched;
         * "Untrusted" otherwise ("Anonymous", no certificate at all, is the session's to say).
         */
        public String trustWord(TlsLevel level) {
            if (matched() && level.mustMatch() && level != TlsLevel.HALFDANE) {
                return "Verified";
            }
            return trusted ? "Trusted" : "Untrusted";
        }
    }
}
