package io.postilion.engine.config;

import io.postilion.tls.KeyAndChain;
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
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a private key and its certificate chain from Postfix's three parameters, once at start-up
 * (it reads files; never on an event loop): the chain files (each a key followed by its chain,
 * leaf first), else the cert file and the key file. Used by the listener ({@code smtpd_tls_*}) and
 * by the client's certificate ({@code smtp_tls_*}, TLS-25). Anything it cannot honour exactly (an
 * unreadable file, a key others can read, an encrypted or PKCS#1 key, a key that is not the leaf's,
 * a second key) stops start-up with exit 78 naming the parameter.
 */
public final class KeyFiles {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private KeyFiles() {
    }

    /**
     * The key and chain the parameters name; empty when neither the chain files nor the cert file
     * is set.
     *
     * @throws ConfigurationException (78) naming the parameter whose files cannot be used
     */
    public static Optional<KeyAndChain> load(Configuration cfg, String certParameter, String keyParameter,
            String chainParameter) {
        return load(cfg, certParameter, keyParameter, chainParameter, true);
    }

    /**
     * As {@link #load(Configuration, String, String, String)}, but only when {@code needed}: the
     * three values are read either way, and the files only when the key will be used.
     */
    public static Optional<KeyAndChain> load(Configuration cfg, String certParameter, String keyParameter,
            String chainParameter, boolean needed) {
        boolean chain = !cfg.list(chainParameter).isEmpty();
        boolean cert = !cfg.string(certParameter).isBlank();
        cfg.string(keyParameter);
        if (!needed) {
            return Optional.empty();
        }
        if (chain) {
            return Optional.of(chainFiles(cfg, chainParameter));
        }
        if (cert) {
            return Optional.of(certAndKey(cfg, certParameter, keyParameter));
        }
        return Optional.empty();
    }

    /** The cert file (chain, leaf first) and the key file (which defaults to the same file). */
    private static KeyAndChain certAndKey(Configuration cfg, String certParameter, String keyParameter) {
        String certName = cfg.effectiveName(certParameter);
        String keyName = cfg.effectiveName(keyParameter);
        Path certFile = Path.of(cfg.string(certParameter).trim());
        String keyValue = cfg.string(keyParameter).isBlank() ? cfg.string(certParameter) : cfg.string(keyParameter);
        Path keyFile = Path.of(keyValue.trim());
        List<String[]> certBlocks = blocks(certName, certFile);
        List<String[]> keyBlocks = certFile.equals(keyFile) ? certBlocks : blocks(keyName, keyFile);
        notReadableByOthers(keyName, keyFile);
        List<String[]> keys = keyBlocks.stream().filter(b -> b[0].endsWith("PRIVATE KEY")).toList();
        if (keys.size() != 1) {
            throw ConfigurationException.badValue(keyName, keyName + " = " + keyFile + ": holds "
                    + keys.size() + " private keys; one is needed");
        }
        PrivateKey key = privateKey(keyName, keyFile, keys.get(0));
        List<X509Certificate> chain = certificates(certName, certFile, certBlocks);
        matches(certName, certFile + " (with the key in " + keyFile + ")", key, chain.get(0));
        return new KeyAndChain(key, chain);
    }

    /**
     * The chain files, Postfix's form: each file holds a private key followed by its certificate
     * chain, leaf first. One key is supported: a second algorithm's key (Postfix's RSA plus ECDSA)
     * cannot be honoured and stops start-up.
     */
    private static KeyAndChain chainFiles(Configuration cfg, String chainParameter) {
        String name = cfg.effectiveName(chainParameter);
        List<String[]> all = new ArrayList<>();
        List<Path> files = cfg.list(chainParameter).stream().map(Path::of).toList();
        for (Path file : files) {
            List<String[]> blocks = blocks(name, file);
            if (blocks.stream().anyMatch(b -> b[0].endsWith("PRIVATE KEY"))) {
                notReadableByOthers(name, file);
            }
            all.addAll(blocks);
        }
        String where = name + " = " + String.join(", ", cfg.list(chainParameter));
        long keys = all.stream().filter(b -> b[0].endsWith("PRIVATE KEY")).count();
        if (keys != 1) {
            throw ConfigurationException.badValue(name, where + ": holds " + keys + " private keys; this build takes one "
                    + "key with its chain");
        }
        if (!all.get(0)[0].endsWith("PRIVATE KEY")) {
            throw ConfigurationException.badValue(name, where + ": the private key must come first, then its certificates");
        }
        PrivateKey key = privateKey(name, files.get(0), all.get(0));
        List<X509Certificate> chain = certificates(name, files.get(0), all.subList(1, all.size()));
        matches(name, String.join(", ", cfg.list(chainParameter)), key, chain.get(0));
        return new KeyAndChain(key, chain);
    }

    /** The PEM blocks of a file as {label, base64}, in order. */
    private static List<String[]> blocks(String parameter, Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw ConfigurationException.badValue(parameter, parameter + " = " + file + ": cannot read it: " + e, e);
        }
        List<String[]> out = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (!m.group(1).endsWith("PARAMETERS")) { // openssl ecparam -genkey writes EC PARAMETERS first
                out.add(new String[] {m.group(1), m.group(2).replaceAll("\\s", "")});
            }
        }
        if (out.isEmpty()) {
            throw ConfigurationException.badValue(parameter, parameter + " = " + file + ": no PEM block in it");
        }
        return out;
    }

    /** Postfix warns about a private key others can read; the relay refuses to start with one. */
    private static void notReadableByOthers(String parameter, Path file) {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return; // no POSIX permissions on this file system
        }
        try {
            if (view.readAttributes().permissions().contains(PosixFilePermission.OTHERS_READ)) {
                throw ConfigurationException.badValue(parameter, parameter + ": the private key file " + file
                        + " is readable by others; chmod o-r " + file);
            }
        } catch (IOException e) {
            throw ConfigurationException.badValue(parameter, parameter + " = " + file + ": cannot read its permissions: " + e, e);
        }
    }

    private static PrivateKey privateKey(String parameter, Path file, String[] block) {
        if (!block[0].equals("PRIVATE KEY")) {
            throw ConfigurationException.badValue(parameter, parameter + " = " + file + ": a \"" + block[0]
                    + "\" block; give the key unencrypted in PKCS#8 form (BEGIN PRIVATE KEY; openssl pkey converts it)");
        }
        byte[] der = Base64.getDecoder().decode(block[1]);
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException e) {
                // try the next algorithm
            }
        }
        throw ConfigurationException.badValue(parameter, parameter + " = " + file + ": not an EC, RSA or Ed25519 private key");
    }

    private static List<X509Certificate> certificates(String parameter, Path file, List<String[]> blocks) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory f = CertificateFactory.getInstance("X.509");
            for (String[] b : blocks) {
                if (b[0].equals("CERTIFICATE")) {
                    out.add((X509Certificate) f.generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(b[1]))));
                }
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw ConfigurationException.badValue(parameter, parameter + " = " + file + ": a certificate cannot be read: " + e, e);
        }
        if (out.isEmpty()) {
            throw ConfigurationException.badValue(parameter, parameter + " = " + file + ": no certificate in it");
        }
        return out;
    }

    /** The key must be the one the leaf certificate certifies: sign with one, verify with the other. */
    private static void matches(String parameter, String where, PrivateKey key, X509Certificate leaf) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> key.getAlgorithm();
        };
        byte[] probe = "postilion key check".getBytes(StandardCharsets.US_ASCII);
        boolean ok;
        try {
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(leaf.getPublicKey());
            verify.update(probe);
            ok = verify.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw ConfigurationException.badValue(parameter, parameter + " = " + where
                    + ": the private key does not belong to the first certificate");
        }
    }
}
