package io.postilion.transport.session;

import io.netty.handler.ssl.CipherSuiteConverter;
import io.netty.handler.ssl.OpenSslSession;
import io.postilion.tls.PeerCheck;
import io.postilion.tls.TlsLevel;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Locale;
import javax.net.ssl.SSLSession;

/**
 * The line TLS-30 logs after each handshake at smtp_tls_loglevel 1 and above (Postfix's
 * tls_log_summary and tls_print_kex in tls_misc.c): "T TLS connection established to
 * HOST[ADDR]:PORT: PROTOCOL with cipher NAME (USED/ALG bits)", then what the TLS library tells of
 * the key exchange and the server's signature. The cipher is named as OpenSSL names it, as Postfix
 * logs it. What Netty does not expose (the digest the server signed with, the signature scheme of
 * a TLS 1.2 RSA key) is left out rather than guessed.
 */
final class TlsConnectionLine {

    private TlsConnectionLine() {
    }

    /**
     * TLS-5's words: Anonymous without a certificate, Verified only where the level needs a match
     * and it matched, Trusted when the chain leads to a configured CA, Untrusted otherwise.
     */
    static String trust(TlsLevel level, PeerCheck.Result check) {
        if (check == null) {
            return "Anonymous";
        }
        if (level.mustMatch() && check.matched()) {
            return "Verified";
        }
        return check.trusted() ? "Trusted" : "Untrusted";
    }

    static String established(String trust, String server, SSLSession session, Certificate[] chain) {
        return line(trust, "established", server, session, chain);
    }

    /**
     * The same line for a parked TLS session taken up again, "reused" in place of "established"
     * (Postfix logs so for a connection its tlsproxy kept; here the session itself was kept).
     */
    static String reused(String trust, String server, SSLSession session, Certificate[] chain) {
        return line(trust, "reused", server, session, chain);
    }

    private static String line(String trust, String verb, String server, SSLSession session, Certificate[] chain) {
        String protocol = session.getProtocol();
        String cipher = openSslName(session.getCipherSuite());
        int bits = bits(cipher);
        StringBuilder sb = new StringBuilder(160).append(trust).append(" TLS connection ").append(verb).append(" to ").append(server)
                .append(": ").append(protocol).append(" with cipher ").append(cipher).append(" (").append(bits).append('/')
                .append(bits).append(" bits)");
        if (session instanceof OpenSslSession o && o.getNamedGroup() != null) {
            sb.append(" key-exchange ").append(o.getNamedGroup());
        }
        if (chain.length > 0) {
            String sig = signature(chain[0].getPublicKey(), protocol);
            if (sig != null) {
                sb.append(" server-signature ").append(sig);
            }
        }
        return sb.toString();
    }

    /**
     * The OpenSSL name of a suite Netty reports by its Java (IANA) name, as Postfix logs it: a TLS
     * 1.3 suite keeps its IANA name (OpenSSL uses it too; BoringSSL's own "AEAD-..." names are not
     * what Postfix shows), a TLS 1.2 suite gets OpenSSL's (ECDHE-RSA-AES256-GCM-SHA384).
     */
    static String openSslName(String javaName) {
        if (javaName == null) {
            return "unknown";
        }
        if (javaName.startsWith("TLS_") && !javaName.contains("_WITH_")) {
            return javaName;
        }
        String o = CipherSuiteConverter.toOpenSsl(javaName, false);
        return o != null ? o : javaName;
    }

    /** The symmetric key length, read from the suite's name (Postfix prints SSL_CIPHER_get_bits twice). */
    static int bits(String cipher) {
        String c = cipher.toUpperCase(Locale.ROOT).replace('_', '-');
        if (c.contains("AES-256") || c.contains("AES256") || c.contains("CHACHA20") || c.contains("CAMELLIA256")) {
            return 256;
        }
        if (c.contains("AES-128") || c.contains("AES128") || c.contains("CAMELLIA128")) {
            return 128;
        }
        if (c.contains("3DES") || c.contains("DES-CBC3")) {
            return 112;
        }
        return 0;
    }

    /** The server's signature as its key tells it: RSA (RSA-PSS under TLS 1.3) with its size, ECDSA with its curve. */
    static String signature(PublicKey key, String protocol) {
        if (key instanceof RSAPublicKey rsa) {
            return ("TLSv1.3".equals(protocol) ? "RSA-PSS" : "RSA") + " (" + rsa.getModulus().bitLength() + " bits)";
        }
        if (key instanceof ECPublicKey ec) {
            return "ECDSA (" + curve(ec) + ")";
        }
        String alg = key.getAlgorithm();
        if (alg.equalsIgnoreCase("Ed25519") || alg.equalsIgnoreCase("EdDSA")) {
            return "ED25519";
        }
        return null;
    }

    /** OpenSSL's curve names for the JDK's (prime256v1 is secp256r1). */
    private static String curve(ECPublicKey ec) {
        int bits = ec.getParams().getCurve().getField().getFieldSize();
        return switch (bits) {
            case 256 -> "prime256v1";
            case 384 -> "secp384r1";
            case 521 -> "secp521r1";
            default -> bits + " bits";
        };
    }
}
