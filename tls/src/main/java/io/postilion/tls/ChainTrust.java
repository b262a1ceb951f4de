package io.postilion.tls;

import java.security.cert.X509Certificate;

/**
 * Where a verifying level's chain must lead (TLS-24): the CA store of smtp_tls_CAfile and
 * smtp_tls_CApath ({@link TrustAnchors}), or a destination's trust anchor files
 * ({@link TrustAnchorFiles}). The name check comes after, the same for both.
 */
@FunctionalInterface
public interface ChainTrust {

    /**
     * Null when {@code chain} (leaf first) leads to a trusted anchor, else why not in OpenSSL's
     * words where it has them. CPU only: runs on the connection's event loop.
     */
    String whyUntrusted(X509Certificate[] chain);
}
