package io.postilion.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The CA certificates a verifying level trusts (TLS-24; Postfix's tls_set_ca_certificate_info in
 * tls_certkey.c): those of {@code smtp_tls_CAfile} and {@code smtp_tls_CApath} only, never the
 * system's store unless tls_append_default_CA asks for it. Everything is read when the configuration is loaded, so that a handshake never
 * touches the disk; with no CA configured nothing is trusted and every chain fails.
 */
public final class TrustAnchors implements ChainTrust {

    /** OpenSSL finds CApath certificates by subject hash: only files named HHHHHHHH.N are read. */
    private static final Pattern HASHED_NAME = Pattern.compile("[0-9a-f]{8}\\.[0-9]+");

    /** Trusts nothing (both parameters empty). */
    public static final TrustAnchors NONE = new TrustAnchors(List.of(), null, 9);

    /** smtp_tls_scert_verifydepth's default. */
    public static final int DEFAULT_DEPTH = 9;

    private final List<X509Certificate> certificates;
    private final X509TrustManager pkix;
    private final int verifyDepth;

    private TrustAnchors(List<X509Certificate> certificates, X509TrustManager pkix, int verifyDepth) {
        this.certificates = List.copyOf(certificates);
        this.pkix = pkix;
        this.verifyDepth = verifyDepth;
    }

    /**
     * As {@link #load(String, String)}, adding the JDK's default CAs when {@code appendDefault}
     * (tls_append_default_CA) and a file or directory is set, and limiting chains to
     * {@code verifyDepth} certificates above the leaf (smtp_tls_scert_verifydepth, TLS-24).
     */
    public static TrustAnchors load(String caFile, String caPath, boolean appendDefault, int verifyDepth) {
        if (verifyDepth < 1) {
            throw new IllegalArgumentException("verify depth must be at least 1: " + verifyDepth);
        }
        TrustAnchors own = load(caFile, caPath);
        List<X509Certificate> all = new ArrayList<>(own.certificates);
        if (appendDefault && !all.isEmpty()) {
            all.addAll(jdkDefault().certificates); // tls_append_default_CA: the same store MTA-STS uses
        }
        return all.isEmpty() ? new TrustAnchors(List.of(), null, verifyDepth)
                : new TrustAnchors(all, appendDefault ? trustManager(all) : own.pkix, verifyDepth);
    }

    /** smtp_tls_scert_verifydepth. */
    public int verifyDepth() {
        return verifyDepth;
    }

    /**
     * Reads the CA file (PEM, any number of certificates) and the hashed CA directory; empty or
     * null means not set.
     *
     * @throws IllegalArgumentException naming the file that cannot be read or holds no certificate
     */
    public static TrustAnchors load(String caFile, String caPath) {
        List<X509Certificate> all = new ArrayList<>();
        if (caFile != null && !caFile.isBlank()) {
            List<X509Certificate> found = read(Path.of(caFile.trim()));
            if (found.isEmpty()) {
                throw new IllegalArgumentException("no CA certificate in " + caFile.trim());
            }
            all.addAll(found);
        }
        if (caPath != null && !caPath.isBlank()) {
            Path dir = Path.of(caPath.trim());
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("cannot read CA directory " + dir + ": not a directory");
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    if (HASHED_NAME.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f)) {
                        all.addAll(read(f));
                    }
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read CA directory " + dir + ": " + e.getMessage(), e);
            }
        }
        return all.isEmpty() ? NONE : new TrustAnchors(all, trustManager(all), DEFAULT_DEPTH);
    }

    /**
     * The JDK's default trust store (its cacerts, or what javax.net.ssl.trustStore names): the Web
     * PKI roots MTA-STS relies on when smtp_tls_mta_sts_CAfile is empty (CLARIFICATIONS 42). Read
     * now, at start-up, like every other anchor.
     */
    public static TrustAnchors jdkDefault() {
        try {
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init((KeyStore) null);
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509TrustManager x && x.getAcceptedIssuers().length > 0) {
                    List<X509Certificate> all = List.of(x.getAcceptedIssuers());
                    return new TrustAnchors(all, trustManager(all), DEFAULT_DEPTH);
                }
            }
            throw new IllegalArgumentException("the JDK's default trust store holds no CA certificate");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the JDK's default trust store: " + e.getMessage(), e);
        }
    }

    /** The CA certificates, for a TLS context that checks them during the handshake (MTA-STS's HTTPS). */
    public List<X509Certificate> certificates() {
        return certificates;
    }

    private static List<X509Certificate> read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> out = new ArrayList<>(certs.size());
            for (Certificate c : certs) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException("cannot load CA certificates from " + file + ": " + e.getMessage(), e);
        }
    }

    private static X509TrustManager trustManager(List<X509Certificate> anchors) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (X509Certificate c : anchors) {
                store.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
            f.init(store);
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    warmUp(x, anchors.get(0));
                    return x;
                }
            }
            throw new IllegalStateException("the PKIX trust manager factory made no X.509 trust manager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up certificate validation: " + e.getMessage(), e);
        }
    }

    /**
     * Runs the validator once now, so that its classes and the security properties it reads are
     * loaded at start-up rather than on an event loop during the first handshake.
     */
    private static void warmUp(X509TrustManager tm, X509Certificate any) {
        // The validator's checkers read their lists from files when first used; a chain made of a
        // CA alone never reaches them, so they are loaded by name.
        for (String lazy : new String[] {"sun.security.util.UntrustedCertificates", "sun.security.util.AnchorCertificates"}) {
            try {
                Class.forName(lazy, true, ClassLoader.getSystemClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // another JDK: whatever it reads lazily shows up under BlockHound in the tests
            }
        }
        try {
            tm.checkServerTrusted(new X509Certificate[] {any}, "UNKNOWN");
        } catch (CertificateException | RuntimeException e) {
            // a CA certificate need not pass as a server's; only the loading mattered
        }
    }

    /** How many CA certificates were loaded. */
    public int size() {
        return certificates.size();
    }

    /**
     * Whether {@code chain} (the server's certificates, leaf first) leads to one of these CAs and
     * is valid now: signatures, dates, basic constraints and the server purpose, no name check
     * (that is {@link CertificateNames}'s job). Null on success, else why not, in Postfix's words
     * where it has them. Pure computation on memory: safe on an event loop.
     */
    public String whyUntrusted(X509Certificate[] chain) {
        if (chain.length == 0) {
            return "no peer certificate";
        }
        X509Certificate leaf = chain[0];
        if (pkix == null) {
            return untrustedIssuer(chain);
        }
        try {
            pkix.checkServerTrusted(chain, "UNKNOWN"); // TLS 1.3's auth type: the key must sign
            return pathLength(chain) - 1 > verifyDepth ? "num=22:certificate chain too long" : null;
        } catch (CertificateException e) {
            try {
                leaf.checkValidity();
            } catch (java.security.cert.CertificateExpiredException x) {
                return "certificate has expired";
            } catch (java.security.cert.CertificateNotYetValidException x) {
                return "certificate not yet valid";
            }
            return untrustedIssuer(chain);
        }
    }

    /**
     * How many certificates the validated path holds, leaf and CA included: up to the first
     * presented certificate that is a CA of ours, or one above the first that a CA of ours issued.
     */
    private int pathLength(X509Certificate[] chain) {
        for (int i = 0; i < chain.length; i++) {
            if (certificates.contains(chain[i])) {
                return i + 1;
            }
            for (X509Certificate ca : certificates) {
                if (chain[i].getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
                    return i + 2;
                }
            }
        }
        return chain.length + 1;
    }

    private static String untrustedIssuer(X509Certificate[] chain) {
        X509Certificate top = chain[chain.length - 1];
        if (chain.length == 1 && top.getSubjectX500Principal().equals(top.getIssuerX500Principal())) {
            return "self-signed certificate";
        }
        return "untrusted issuer " + top.getIssuerX500Principal().getName();
    }
}
