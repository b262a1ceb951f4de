package io.postilion.engine.listener;

import io.postilion.tls.CipherSuites;
import io.postilion.tls.TlsProtocols;
import java.util.ArrayList;
import java.util.List;

/**
 * Why it exists: the listener's side of turning Postfix's OpenSSL terms into what BoringSSL takes.
 * The protocol list syntax (TLS-26) and what suite names and exclusions mean live in tls/
 * ({@link TlsProtocols}, {@link CipherSuites}), shared with the client; what stays here is the
 * server's own choice of suites per grade. Pure functions; the caller names the parameter in the
 * start-up error.
 */
final class ServerTlsPolicy {

    /** The protocols BoringSSL (through Netty) can speak, oldest first. */
    static final List<String> SUPPORTED_PROTOCOLS = TlsProtocols.SUPPORTED;

    /** BoringSSL's TLS 1.3 suites (see {@link CipherSuites#TLS13_SUITES}). */
    static final List<String> TLS13_SUITES = CipherSuites.TLS13_SUITES;

    private ServerTlsPolicy() {
    }

    /**
     * The protocols a Postfix protocol list allows, among those BoringSSL speaks, oldest first
     * (main.cf syntax, {@link TlsProtocols#parse}).
     *
     * @throws IllegalArgumentException for an unknown name, no protocol left, or a gap
     */
    static List<String> protocols(String value) {
        return TlsProtocols.parse(value, TlsProtocols.Syntax.MAIN_CF).versions();
    }

    /**
     * The TLS 1.2-and-older suites of a cipher grade, in server preference order, from those the
     * library offers. Every grade Postfix 3.12 knows but {@code null} (low and export are medium
     * there too) means the forward-secret AEAD suites: ECDHE with AES-GCM or ChaCha20-Poly1305,
     * 256-bit first. {@code legacy} appends, after them, ECDHE with AES-CBC and then the static-RSA
     * suites, for clients that know nothing better. PSK suites are never offered (no PSKs exist).
     *
     * @throws IllegalArgumentException for the null grade: BoringSSL has no NULL-encryption suite
     */
    static List<CipherSuites.Suite> grade(String grade, boolean legacy, List<String> available) {
        if (grade.equals("null")) {
            throw new IllegalArgumentException("the null grade cannot be honoured: BoringSSL offers no "
                    + "NULL-encryption suite");
        }
        List<CipherSuites.Suite> suites = new ArrayList<>();
        for (String name : available) {
            CipherSuites.Suite s = CipherSuites.Suite.parse(name);
            if (s == null || s.authentication().equals("PSK") || s.authentication().equals("DSS")
                    || s.encryption().equals("3DES")) {
                continue;
            }
            if ((s.forwardSecret() && s.aead()) || legacy) {
                suites.add(s);
            }
        }
        suites.sort(CipherSuites.preference());
        return suites;
    }
}
