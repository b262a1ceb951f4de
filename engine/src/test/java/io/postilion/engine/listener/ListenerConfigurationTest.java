package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListenerConfigurationTest {

    private static ListenerSettings load(String mainCf) {
        return ListenerConfiguration.settings(ConfigurationLoader.fromText(mainCf, "main.cf", List.of()));
    }

    @Test
    void theDefaultsArePostfixsAndTheRelaysOwnPort() throws Exception {
        ListenerSettings s = load("myhostname = relay.example.test\n");
        assertEquals("127.0.0.1", s.bind().getHostString());
        assertEquals(2525, s.bind().getPort());
        assertEquals("relay.example.test ESMTP Postilion", s.banner());
        assertEquals(10_240_000, s.messageSizeLimit());
        assertEquals(1000, s.recipientLimit());
        assertEquals(BareNewlinePolicy.NORMALIZE, s.bareNewline());
        assertEquals(100, s.sessionLimit());
        assertTrue(s.mynetworks().contains(InetAddress.getByName("127.0.0.1")));
        assertTrue(!s.mynetworks().contains(InetAddress.getByName("192.0.2.1")));
        assertNull(s.tls(), "no certificate, no STARTTLS");
    }

    @Test
    void badValuesStopStartUpNamingTheParameter() {
        var listen = assertThrows(ConfigurationException.class, () -> load("smtpd_listen = localhost:25x\n"));
        assertTrue(listen.getMessage().contains("smtpd_listen"), listen.getMessage());
        var nets = assertThrows(ConfigurationException.class, () -> load("mynetworks = 10.0.0.0/8, example.com\n"));
        assertTrue(nets.getMessage().contains("mynetworks") && nets.getMessage().contains("example.com"), nets.getMessage());
        var cert = assertThrows(ConfigurationException.class, () -> load("smtpd_tls_cert_file = /nonexistent/cert.pem\n"));
        assertTrue(cert.getMessage().contains("smtpd_tls_cert_file"), cert.getMessage());
    }

    @Test
    void ipv6ListenAddressesTakeBrackets() {
        ListenerSettings s = load("smtpd_listen = [::1]:2599\n");
        assertEquals(2599, s.bind().getPort());
        assertTrue(s.bind().getAddress().isLoopbackAddress());
    }

    @Test
    void authNeedsTlsAndBcryptHashes(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var noTls = assertThrows(ConfigurationException.class, () -> load("smtpd_sasl_auth_enable = yes\n"));
        assertTrue(noTls.getMessage().contains("smtpd_tls_cert_file"), noTls.getMessage());
        java.nio.file.Path cert = dir.resolve("cert.pem");
        java.nio.file.Path key = dir.resolve("key.pem");
        var x = new io.netty.pkitesting.CertificateBuilder().subject("CN=relay.test").setIsCertificateAuthority(true)
                .buildSelfSigned();
        java.nio.file.Files.writeString(cert, "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder()
                .encodeToString(x.getCertificate().getEncoded()) + "\n-----END CERTIFICATE-----\n");
        java.nio.file.Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder()
                .encodeToString(x.getKeyPair().getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        java.nio.file.Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        java.nio.file.Path plain = java.nio.file.Files.writeString(dir.resolve("plain"), "alice hunter2\n");
        String tls = "smtpd_tls_cert_file = " + cert + "\nsmtpd_tls_key_file = " + key + "\nsmtpd_sasl_auth_enable = yes\n";
        var plaintext = assertThrows(ConfigurationException.class,
                () -> load(tls + "smtpd_sasl_password_maps = texthash:" + plain + "\n"));
        assertTrue(plaintext.getMessage().contains("smtpd_sasl_password_maps") && plaintext.getMessage().contains("plaintext"),
                plaintext.getMessage());
        java.nio.file.Path hashed = java.nio.file.Files.writeString(dir.resolve("hashed"), "alice "
                + at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(4, "s3cret".toCharArray()) + "\n");
        ListenerSettings ok = load(tls + "smtpd_sasl_password_maps = texthash:" + hashed + "\n");
        assertTrue(ok.auth() != null && ok.tls() != null);
        assertTrue(ok.auth().verify("alice", "s3cret").block(java.time.Duration.ofSeconds(10)));
    }
}
