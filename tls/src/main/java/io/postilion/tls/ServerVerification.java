package io.postilion.tls;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * What the verifying levels check once a handshake is done (TLS-5, TLS-7, TLS-24; Postfix's
 * verify_extract_name and tls_log_verify_error in tls_client.c and tls_verify.c): the chain must
 * lead to a configured CA and the leaf must carry a name of the level's match list. Postfix lets
 * the handshake finish whatever the certificate and decides afterwards, so a failure here is a
 * 4.7.5 deferral with QUIT (TLS-13), never a handshake failure.
 *
 * @param anchors smtp_tls_CAfile and smtp_tls_CApath, loaded at start-up
 * @param verifyMatch smtp_tls_verify_cert_match (hostname)
 * @param secureMatch smtp_tls_secure_cert_match (nexthop, dot-nexthop; LMTP nexthop)
 */
public record ServerVerification(TrustAnchors anchors, List<String> verifyMatch, List<String> secureMatch) {

    /** Postfix's defaults with no CA: every verifying session fails. */
    public static final ServerVerification NONE = new ServerVerification(TrustAnchors.NONE, List.of("hostname"),
            List.of("nexthop", "dot-nexthop"));

    public ServerVerification {
        Objects.requireNonNull(anchors, "anchors");
        verifyMatch = List.copyOf(verifyMatch);
        secureMatch = List.copyOf(secureMatch);
    }

    /**
     * The check for one server at {@code level}: the server called {@code hostname}, reached for
     * the next-hop domain {@code nexthop} (TLS-7's {@code hostname} and {@code nexthop}).
     */
    public PeerCheck forServer(TlsLevel level, String hostname, String nexthop) {
        return chain -> check(level, chain, hostname, nexthop);
    }

    /**
     * Checks the server's chain (leaf first) at {@code level} for a server called {@code hostname}
     * reached for the next-hop domain {@code nexthop}. CPU only: safe on an event loop.
     */
    public PeerCheck.Result check(TlsLevel level, Certificate[] presented, String hostname, String nexthop) {
        return check(anchors, level == TlsLevel.SECURE ? secureMatch : verifyMatch, presented, hostname, nexthop);
    }

    /**
     * The check for one server with a policy's own trust and match list (TLS-4's {@code tafile=}
     * and {@code match=}, TLS-16's {@code hostname}): {@code trust} replaces the CA store and
     * {@code match}, when present, the level's list.
     */
    public PeerCheck forServer(TlsLevel level, String hostname, String nexthop, ChainTrust trust,
            java.util.Optional<List<String>> match) {
        List<String> names = match.orElse(level == TlsLevel.SECURE ? secureMatch : verifyMatch);
        return chain -> check(trust, names, chain, hostname, nexthop);
    }

    /** The chain must satisfy {@code trust}, then the leaf carry a name of {@code matchList}. */
    static PeerCheck.Result check(ChainTrust trust, List<String> matchList, Certificate[] presented, String hostname,
            String nexthop) {
        X509Certificate[] chain = new X509Certificate[presented.length];
        for (int i = 0; i < presented.length; i++) {
            if (!(presented[i] instanceof X509Certificate x)) {
                return new PeerCheck.Result(false, null, "peer certificate is not X.509");
            }
            chain[i] = x;
        }
        String untrusted = trust.whyUntrusted(chain);
        if (untrusted != null) {
            return new PeerCheck.Result(false, null, untrusted);
        }
        CertificateNames names = CertificateNames.resolve(matchList, hostname, nexthop);
        String matched = names.match(chain[0]);
        // OpenSSL's words for X509_V_ERR_HOSTNAME_MISMATCH, as Postfix logs them
        return new PeerCheck.Result(true, matched, matched == null ? "num=62:hostname mismatch" : null);
    }
}
