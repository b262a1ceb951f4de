package io.postilion.engine.listener;

import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.KeyFiles;
import io.postilion.tls.KeyAndChain;
import io.postilion.tls.CipherSuites;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why it exists: the listener's STARTTLS is governed by Postfix's {@code smtpd_tls_*} parameters
 * (CLARIFICATIONS 38): the security level, the certificate and key (or {@code smtpd_tls_chain_files}),
 * the protocols and cipher grades for opportunistic and mandatory TLS and their exclusions. This
 * class reads them once at start-up (it reads files; never on an event loop) into a {@link ServerTls}
 * and stops start-up with exit 78, naming the parameter, for any value it cannot honour exactly,
 * including a private key that others may read.
 */
public final class ServerTlsConfiguration {

    private ServerTlsConfiguration() {
    }

    /**
     * The listener's TLS.
     *
     * @param context the server context for STARTTLS; null when STARTTLS is not offered (level none)
     * @param securityLevel {@code none}, {@code may} or {@code encrypt}
     * @param protocols the protocols allowed, oldest first
     * @param cipherSuites the TLS 1.2-and-older suites in server preference order (TLS 1.3 suites
     *     are BoringSSL's fixed three, all forward-secret AEAD)
     */
    public record ServerTls(SslContext context, String securityLevel, List<String> protocols, List<String> cipherSuites) {

        public ServerTls {
            protocols = List.copyOf(protocols);
            cipherSuites = List.copyOf(cipherSuites);
        }

        /** Whether clients must use STARTTLS before mail is accepted ({@code encrypt}). */
        public boolean mandatory() {
            return securityLevel.equals("encrypt");
        }
    }

    /**
     * The effective {@code smtpd_tls_security_level}: {@code none}, {@code may} or {@code encrypt}.
     * Empty (the default) means {@code may} when a certificate is configured and {@code none}
     * otherwise, as the listener behaved before the level was read.
     *
     * @throws ConfigurationException (78) when {@code may} or {@code encrypt} is set without a certificate
     */
    public static String securityLevel(Configuration cfg) {
        String level = cfg.choice("smtpd_tls_security_level");
        boolean certificate = !cfg.list("smtpd_tls_chain_files").isEmpty() || !cfg.string("smtpd_tls_cert_file").isBlank();
        if (level.isEmpty()) {
            return certificate ? "may" : "none";
        }
        if (!level.equals("none") && !certificate) {
            throw ConfigurationException.badValue("smtpd_tls_security_level", "smtpd_tls_security_level = " + level
                    + ": needs a certificate: set smtpd_tls_chain_files or smtpd_tls_cert_file");
        }
        return level;
    }

    /**
     * Reads every {@code smtpd_tls_*} parameter. Protocol and cipher values are checked at every
     * level; the certificate is loaded unless the level is {@code none}. At {@code encrypt} the
     * mandatory protocols, grade and exclusions apply (as Postfix's smtpd), otherwise the
     * opportunistic ones.
     *
     * @throws ConfigurationException (78) naming the parameter whose value cannot be honoured
     */
    public static ServerTls serverTls(Configuration cfg) {
        String level = securityLevel(cfg);
        boolean mandatory = level.equals("encrypt");
        boolean offered = !level.equals("none");
        if (offered && !OpenSsl.isAvailable()) {
            throw ConfigurationException.badValue("smtpd_tls_security_level", "smtpd_tls_security_level = " + level
                    + ": the BoringSSL library (netty-tcnative) cannot be loaded on this platform: "
                    + OpenSsl.unavailabilityCause());
        }
        List<String> available = new ArrayList<>(OpenSsl.availableOpenSslCipherSuites());
        boolean legacy = cfg.bool("smtpd_tls_legacy_ciphers");
        List<String> opportunisticProtocols = protocols(cfg, "smtpd_tls_protocols");
        List<String> mandatoryProtocols = protocols(cfg, "smtpd_tls_mandatory_protocols");
        // Both sets are checked word by word; only the one in use must leave a suite.
        List<CipherSuites.Suite> opportunistic = suites(cfg, "smtpd_tls_ciphers", legacy, available,
                List.of("smtpd_tls_exclude_ciphers"), offered && !mandatory ? opportunisticProtocols : null);
        List<CipherSuites.Suite> enforced = suites(cfg, "smtpd_tls_mandatory_ciphers", legacy, available,
                List.of("smtpd_tls_exclude_ciphers", "smtpd_tls_mandatory_exclude_ciphers"),
                mandatory ? mandatoryProtocols : null);
        List<String> protocols = mandatory ? mandatoryProtocols : opportunisticProtocols;
        List<String> suites = (mandatory ? enforced : opportunistic).stream().map(CipherSuites.Suite::name).toList();
        if (!offered) {
            return new ServerTls(null, level, protocols, suites);
        }
        String source = cfg.list("smtpd_tls_chain_files").isEmpty() ? "smtpd_tls_cert_file" : "smtpd_tls_chain_files";
        KeyAndChain kc = KeyFiles.load(cfg, "smtpd_tls_cert_file", "smtpd_tls_key_file", "smtpd_tls_chain_files")
                .orElseThrow();
        List<String> names = new ArrayList<>(suites);
        if (protocols.contains("TLSv1.3")) {
            names.addAll(ServerTlsPolicy.TLS13_SUITES); // without one, Netty turns TLS 1.3 off
        }
        try {
            SslContext context = SslContextBuilder.forServer(kc.key(), kc.chainArray())
                    .sslProvider(SslProvider.OPENSSL)
                    .protocols(protocols)
                    .ciphers(names, IdentityCipherSuiteFilter.INSTANCE)
                    .build();
            return new ServerTls(context, level, protocols, suites);
        } catch (Exception e) {
            throw ConfigurationException.badValue(source, source + ": cannot build the TLS context with protocols "
                    + protocols + " and suites " + names + ": " + e.getMessage(), e);
        }
    }

    private static List<String> protocols(Configuration cfg, String name) {
        String value = cfg.string(name);
        try {
            return ServerTlsPolicy.protocols(value);
        } catch (IllegalArgumentException e) {
            throw ConfigurationException.badValue(name, name + " = " + value + ": " + e.getMessage());
        }
    }

    /** The suites of a grade less its exclusions; {@code protocols} null when that set is not the one in use. */
    private static List<CipherSuites.Suite> suites(Configuration cfg, String gradeName, boolean legacy,
            List<String> available, List<String> exclusionNames, List<String> protocols) {
        List<CipherSuites.Suite> suites;
        try {
            suites = ServerTlsPolicy.grade(cfg.choice(gradeName), legacy, available);
        } catch (IllegalArgumentException e) {
            throw ConfigurationException.badValue(gradeName, gradeName + " = " + cfg.choice(gradeName) + ": " + e.getMessage());
        }
        for (String name : exclusionNames) {
            try {
                suites = CipherSuites.exclude(suites, cfg.list(name));
            } catch (IllegalArgumentException e) {
                throw ConfigurationException.badValue(name, name + " = " + String.join(", ", cfg.list(name)) + ": "
                        + e.getMessage());
            }
        }
        boolean needsSuites = protocols != null && protocols.stream().anyMatch(p -> !p.equals("TLSv1.3"));
        if (suites.isEmpty() && needsSuites) {
            String culprit = exclusionNames.get(exclusionNames.size() - 1);
            throw ConfigurationException.badValue(culprit, gradeName + " with " + String.join(" and ", exclusionNames)
                    + " leaves no cipher suite for " + protocols + " (TLS 1.3 alone needs none: limit the protocols to it)");
        }
        return suites;
    }

}
