package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS-25: the client certificate of smtp_tls_chain_files or smtp_tls_cert_file/smtp_tls_key_file,
 * through the delivery agent built from main.cf, against a scripted STARTTLS server that asks for
 * (or requires) a client certificate signed by a test CA. The files are read and checked at
 * start-up; a file that cannot be used stops start-up naming the parameter.
 */
class ClientCertificateTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static X509Bundle clientCa;
    private static X509Bundle client;
    private static X509Bundle stranger;

    private final List<DeliveryAgent> agents = new ArrayList<>();
    private FakeSmtpServer server;

    @TempDir
    Path dir;

    @BeforeAll
    static void certificates() throws Exception {
        clientCa = new CertificateBuilder().subject("CN=Client CA").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
        client = new CertificateBuilder().subject("CN=relay.client.test").ecp256().addExtendedKeyUsageClientAuth()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildIssuedBy(clientCa);
        stranger = new CertificateBuilder().subject("CN=stranger").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
    }

    /** A server with the shared test certificate that asks for a client certificate from the client CA. */
    private static SslContext asking(ClientAuth how) throws Exception {
        X509Bundle serverCert = new CertificateBuilder().subject("CN=mx.dest.test").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
        return SslContextBuilder.forServer(serverCert.toKeyManagerFactory()).trustManager(clientCa.toTrustManagerFactory())
                .clientAuth(how).build();
    }

    @BeforeEach
    void start() {
        server = FakeSmtpServer.start().startTls(true);
    }

    @AfterEach
    void stop() {
        agents.forEach(DeliveryAgent::close);
        server.close();
    }

    private Path privateFile(String name, String text) throws Exception {
        Path f = Files.writeString(dir.resolve(name), text);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    private DeliveryAgent agent(String... more) {
        List<String> o = new ArrayList<>(List.of("inet_interfaces=127.0.0.254", "inet_protocols=ipv4",
                "myhostname=client.test", "smtp_tls_security_level=encrypt", "smtp_connect_timeout=3s",
                "smtp_helo_timeout=3s", "smtp_starttls_timeout=5s", "smtp_mail_timeout=3s", "smtp_rcpt_timeout=3s",
                "smtp_data_init_timeout=3s", "smtp_data_xfer_timeout=3s", "smtp_data_done_timeout=3s"));
        o.addAll(List.of(more));
        DeliveryAgent a = DeliveryAgent.builder(ConfigurationLoader.fromText("", "(test)", o)).clock(Clock.systemUTC()).build();
        agents.add(a);
        return a;
    }

    private RecipientResult deliver(DeliveryAgent agent) {
        DeliveryRequest request = DeliveryRequest.builder("4CERT1", "s@client.test", "[127.0.0.1]:" + server.port())
                .content(ContentSource.of("Subject: cert\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build();
        return agent.deliver(request).block(WAIT).results().get(0);
    }

    @Test
    void theChainFilesCertificateIsPresentedWhenTheServerAsks_TLS25() throws Exception {
        server.tlsContext(asking(ClientAuth.REQUIRE));
        Path chain = privateFile("client.pem", client.getPrivateKeyPEM() + client.getCertificatePathPEM());
        RecipientResult r = deliver(agent("smtp_tls_chain_files=" + chain));
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
        assertEquals(List.of("CN=relay.client.test"), server.clientCertificates());
    }

    @Test
    void theCertAndKeyFilesWorkTheSameWay_TLS25() throws Exception {
        server.tlsContext(asking(ClientAuth.REQUIRE));
        Path cert = Files.writeString(dir.resolve("cert.pem"), client.getCertificatePathPEM());
        Path key = privateFile("key.pem", client.getPrivateKeyPEM());
        RecipientResult r = deliver(agent("smtp_tls_cert_file=" + cert, "smtp_tls_key_file=" + key));
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
        assertEquals(List.of("CN=relay.client.test"), server.clientCertificates());
    }

    @Test
    void withoutACertificateAServerThatRequiresOneEndsTheSessionBeforeMail_TLS25() throws Exception {
        server.tlsContext(asking(ClientAuth.REQUIRE));
        RecipientResult r = deliver(agent());
        // Under TLS 1.3 the client's side of the handshake is done before the server judges the
        // (missing) certificate; the server's alert then ends the session at the EHLO over TLS
        // (4.4.2 "lost connection"), as OpenSSL clients see it too. Under TLS 1.2 it is TLS-10's
        // 4.7.5 handshake failure. Either way nothing is sent.
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertTrue(r.status().text().equals("4.4.2") || r.status().text().equals("4.7.5"), r.status() + " " + r.reason());
        assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
        assertTrue(server.clientCertificates().stream().noneMatch(c -> !c.isEmpty()), server.clientCertificates().toString());
    }

    @Test
    void aServerThatOnlyMayAskStillGetsTheCertificateAndOneThatNeverAsksGetsNone_TLS25() throws Exception {
        Path chain = privateFile("client.pem", client.getPrivateKeyPEM() + client.getCertificatePathPEM());
        DeliveryAgent agent = agent("smtp_tls_chain_files=" + chain);
        server.tlsContext(asking(ClientAuth.OPTIONAL));
        assertEquals(Outcome.SENT, deliver(agent).outcome());
        server.tlsContext(SslContextBuilder.forServer(stranger.toKeyManagerFactory()).build()); // asks for nothing
        assertEquals(Outcome.SENT, deliver(agent).outcome());
        assertEquals(List.of("CN=relay.client.test", ""), server.clientCertificates(),
                "presented only when the server sends a CertificateRequest");
    }

    @Test
    void filesThatCannotBeUsedStopStartUpNamingTheParameter_TLS25_TLS29() throws Exception {
        Path readable = Files.writeString(dir.resolve("open.pem"), client.getPrivateKeyPEM() + client.getCertificatePathPEM());
        Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rw-r--r--"));
        assertRefused("smtp_tls_chain_files", "smtp_tls_chain_files=" + readable);
        Path cert = Files.writeString(dir.resolve("cert.pem"), client.getCertificatePathPEM());
        Path otherKey = privateFile("other.pem", stranger.getPrivateKeyPEM());
        assertRefused("smtp_tls_cert_file", "smtp_tls_cert_file=" + cert, "smtp_tls_key_file=" + otherKey);
        assertRefused("smtp_tls_cert_file", "smtp_tls_cert_file=" + dir.resolve("missing.pem"));
        // at level none with no table the client never uses TLS, and the files are not read (TLS-29)
        agent("smtp_tls_security_level=none", "smtp_tls_cert_file=" + dir.resolve("missing.pem"));
    }

    private void assertRefused(String parameter, String... options) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> agent(options));
        assertEquals(78, e.exitStatus(), e.getMessage());
        assertEquals(parameter, e.parameter().orElse(null), e.getMessage());
    }
}
