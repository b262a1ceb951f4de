package io.postilion.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A private key and the certificate chain it signs for, leaf first: the listener's server
 * certificate, or the certificate the client presents when a server asks for one (TLS-25).
 * Loaded and checked at start-up (the key belongs to the leaf), so a handshake never reads a file.
 */
public record KeyAndChain(PrivateKey key, List<X509Certificate> chain) {

    public KeyAndChain {
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a certificate chain needs its leaf");
        }
    }

    /** The chain as the array Netty's builders take. */
    public X509Certificate[] chainArray() {
        return chain.toArray(X509Certificate[]::new);
    }
}
