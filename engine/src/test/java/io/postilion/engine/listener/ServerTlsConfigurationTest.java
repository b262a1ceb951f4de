package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smtpd_tls_* parameters against the running listener: it is started from
 * {@link ListenerConfiguration#settings} and a BoringSSL client (Netty, OpenSSL provider, so it can
 * still offer TLS 1.1 and old suites the JDK refuses) does STARTTLS offering only what a test
 * names. Each refusal has a control showing the same client succeeds when the setting allows it,
 * so a refusal is the setting's doing.
 */
class ServerTlsConfigurationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final SmtpListenerTest.MemorySink sink = new SmtpListenerTest.MemorySink();
    private final List<SmtpListener> listeners = new ArrayList<>();
    private EventLoopGroup group;
    private Path cert;
    private Path key;
    /** Why the last refused handshake failed, as the client saw it. */
    private String lastFailure = "";
    /** What the client pipeline last caught (it then closes the channel), for a failed write's message. */
    private volatile String pipelineFailure = "none";

    @BeforeEach
    void rsaCertificate() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        X509Bundle rsa = bundle(false);
        cert = Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", rsa.getCertificate().getEncoded()));
        key = privateFile(dir.resolve("key.pem"), pem("PRIVATE KEY", rsa.getKeyPair().getPrivate().getEncoded()));
    }

    @AfterEach
    void stop() {
        listeners.forEach(SmtpListener::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    // ---- what is negotiated ----------------------------------------------------------------

    @Test
    void byDefaultTls13IsNegotiatedAndTls12GetsAForwardSecretAeadSuite() throws Exception {
        int port = start("");
        Negotiated tls13 = startTls(port, client(null, null));
        assertEquals("TLSv1.3", tls13.protocol());
        assertTrue(tls13.cipherSuite().matches("TLS_(AES_(128|256)_GCM|CHACHA20_POLY1305)_SHA(256|384)"),
                tls13.cipherSuite());
        Negotiated tls12 = startTls(port, client(List.of("TLSv1.2"), null));
        assertEquals("TLSv1.2", tls12.protocol());
        assertEquals("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", tls12.cipherSuite(),
                "the server's order: ECDHE with AES-256-GCM first");
        Negotiated jdk = startTls(port, SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).protocols("TLSv1.2").build());
        assertTrue(jdk.cipherSuite().startsWith("TLS_ECDHE_") && jdk.cipherSuite().matches(".*(GCM|CHACHA20).*"),
                jdk.cipherSuite());
    }

    @Test
    void cbcSha1AndStaticRsaSuitesAreRefusedByDefault_andOfferedLastWhenLegacyIsOn() throws Exception {
        int strict = start("");
        int legacy = start("smtpd_tls_legacy_ciphers = yes\n");
        for (String suite : List.of("ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA", "AES128-SHA", "AES128-GCM-SHA256",
                "AES256-GCM-SHA384")) {
            SslContext only = client(List.of("TLSv1.2"), List.of(suite));
            assertNull(startTls(strict, only), suite + " must be refused by default");
            assertTrue(lastFailure.contains("HANDSHAKE_FAILURE"), "no shared suite: " + lastFailure);
            assertNotNull(startTls(legacy, only), suite + " is accepted with smtpd_tls_legacy_ciphers = yes");
        }
        // The client prefers the legacy suites; the server still picks forward secrecy with AEAD.
        Negotiated s = startTls(legacy, client(List.of("TLSv1.2"), List.of("AES128-SHA", "ECDHE-RSA-AES128-SHA",
                "AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-GCM-SHA256")));
        assertEquals("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", s.cipherSuite());
    }

    @Test
    void tls11IsRefusedWhenTheProtocolsSayAtLeastTls12() throws Exception {
        SslContext tls11 = client(List.of("TLSv1.1"), List.of("ECDHE-RSA-AES128-SHA"));
        int allowed = start("smtpd_tls_legacy_ciphers = yes\n");
        assertEquals("TLSv1.1", startTls(allowed, tls11).protocol(), "control: >=TLSv1 (the default) allows it");
        int refused = start("smtpd_tls_legacy_ciphers = yes\nsmtpd_tls_protocols = >=TLSv1.2\n");
        assertNull(startTls(refused, tls11));
        assertTrue(lastFailure.contains("PROTOCOL_VERSION"), lastFailure);
        int excluded = start("smtpd_tls_legacy_ciphers = yes\nsmtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1\n");
        assertNull(startTls(excluded, tls11));
        assertTrue(lastFailure.contains("PROTOCOL_VERSION"), lastFailure);
        assertEquals("TLSv1.2", startTls(excluded, client(List.of("TLSv1.2"), null)).protocol());
    }

    @Test
    void exclusionsRemoveSuites() throws Exception {
        int port = start("smtpd_tls_exclude_ciphers = CHACHA20, AES256\n");
        assertNull(startTls(port, client(List.of("TLSv1.2"), List.of("ECDHE-RSA-CHACHA20-POLY1305"))));
        assertEquals("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                startTls(port, client(List.of("TLSv1.2"), null)).cipherSuite());
        ServerTlsConfiguration.ServerTls tls = ServerTlsConfiguration.serverTls(cfg(
                "smtpd_tls_legacy_ciphers = yes\nsmtpd_tls_exclude_ciphers = kRSA aNULL:RC4, ECDHE+SHA1, ECDSA\n"));
        assertEquals(List.of("ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-GCM-SHA256"),
                tls.cipherSuites());
    }

    @Test
    void theDefaultGradeIsForwardSecretAeadOnlyInServerOrder() {
        ServerTlsConfiguration.ServerTls tls = ServerTlsConfiguration.serverTls(cfg(""));
        assertEquals("may", tls.securityLevel());
        assertEquals(List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"), tls.protocols());
        assertEquals(List.of("ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
                "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"),
                tls.cipherSuites());
        List<String> legacy = ServerTlsConfiguration.serverTls(cfg("smtpd_tls_legacy_ciphers = yes\n")).cipherSuites();
        assertEquals(tls.cipherSuites(), legacy.subList(0, 6), "the AEAD suites stay first");
        assertTrue(legacy.subList(6, legacy.size()).stream().noneMatch(s -> s.contains("PSK")), legacy.toString());
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), ServerTlsPolicy.protocols(">=TLSv1.2"));
        assertEquals(List.of("TLSv1", "TLSv1.1", "TLSv1.2"), ServerTlsPolicy.protocols("<=TLSv1.2"));
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), ServerTlsPolicy.protocols("TLSv1.2:TLSv1.3"));
        assertEquals(List.of("TLSv1.2"), ServerTlsPolicy.protocols(">=0x0303, <=TLSv1.2"));
        assertEquals(ServerTlsPolicy.SUPPORTED_PROTOCOLS, ServerTlsPolicy.protocols(""));
    }

    // ---- what stops start-up -----------------------------------------------------------------

    @Test
    void aKeyFileOthersCanReadStopsStartUpNamingIt() throws Exception {
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        ConfigurationException e = refused("", "smtpd_tls_key_file");
        assertTrue(e.getMessage().contains(key.toString()) && e.getMessage().contains("readable by others"), e.getMessage());
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
        assertNotNull(ListenerConfiguration.settings(cfg("")).tls(), "group-readable is allowed (Postfix's ssl-cert group)");
    }

    @Test
    void badProtocolValuesStopStartUpNamingTheParameter() {
        for (String value : List.of(">=TLSv1.4", "TLSv2", "!TLSv1 !TLSv1.1 !TLSv1.2 !TLSv1.3", "TLSv1, TLSv1.2", "SSLv3",
                ">=TLSv1.3 <=TLSv1.2")) {
            refused("smtpd_tls_protocols = " + value + "\n", "smtpd_tls_protocols");
        }
        refused("smtpd_tls_mandatory_protocols = TLSv1.5\n", "smtpd_tls_mandatory_protocols");
    }

    @Test
    void badCipherValuesStopStartUpNamingTheParameter() {
        refused("smtpd_tls_ciphers = strong\n", "smtpd_tls_ciphers");
        refused("smtpd_tls_ciphers = null\n", "smtpd_tls_ciphers");
        refused("smtpd_tls_mandatory_ciphers = null\n", "smtpd_tls_mandatory_ciphers");
        refused("smtpd_tls_exclude_ciphers = md5\n", "smtpd_tls_exclude_ciphers");
        refused("smtpd_tls_exclude_ciphers = TLS_AES_128_GCM_SHA256\n", "smtpd_tls_exclude_ciphers");
        refused("smtpd_tls_exclude_ciphers = ECDHE\n", "smtpd_tls_exclude_ciphers");
        ConfigurationException none = assertThrows(ConfigurationException.class, () -> ServerTlsConfiguration.serverTls(
                cfg("smtpd_tls_security_level = encrypt\nsmtpd_tls_mandatory_exclude_ciphers = AESGCM, CHACHA20\n")));
        assertEquals("smtpd_tls_mandatory_exclude_ciphers", none.parameter().orElseThrow(), none.getMessage());
        refused("smtpd_tls_mandatory_exclude_ciphers = RC5, nonsense\n", "smtpd_tls_mandatory_exclude_ciphers");
        // No suite for TLS 1.2 is fine when only TLS 1.3 is allowed.
        assertEquals(List.of("TLSv1.3"), ServerTlsConfiguration.serverTls(cfg(
                "smtpd_tls_protocols = TLSv1.3\nsmtpd_tls_exclude_ciphers = ALL\n")).protocols());
    }

    // ---- levels and files --------------------------------------------------------------------

    @Test
    void securityLevels() throws Exception {
        ConfigurationException noCert = assertThrows(ConfigurationException.class, () -> ListenerConfiguration.settings(
                load("smtpd_listen = 127.0.0.1:0\nsmtpd_tls_security_level = encrypt\n")));
        assertEquals(78, noCert.exitStatus());
        assertEquals("smtpd_tls_security_level", noCert.parameter().orElseThrow());
        assertTrue(noCert.getMessage().contains("certificate"), noCert.getMessage());
        assertEquals("none", ServerTlsConfiguration.securityLevel(load("")));
        assertEquals("may", ServerTlsConfiguration.securityLevel(cfg("")));
        assertNull(ListenerConfiguration.settings(cfg("smtpd_tls_security_level = none\n")).tls(), "none: no STARTTLS");
        assertTrue(ListenerConfiguration.settings(cfg("smtpd_tls_security_level = encrypt\n")).tlsRequired(),
                "encrypt: the listener refuses MAIL before STARTTLS (ListenerDefenceTest)");

        // At encrypt the mandatory protocols and exclusions apply, the opportunistic ones do not.
        ServerTlsConfiguration.ServerTls encrypt = ServerTlsConfiguration.serverTls(cfg("smtpd_tls_security_level = encrypt\n"
                + "smtpd_tls_protocols = TLSv1.1\nsmtpd_tls_mandatory_protocols = >=TLSv1.3\n"
                + "smtpd_tls_mandatory_exclude_ciphers = RSA\n"));
        assertTrue(encrypt.mandatory());
        assertEquals(List.of("TLSv1.3"), encrypt.protocols());
        SmtpListener listener = SmtpListener.start(ListenerConfiguration.settings(cfg("")).withTls(encrypt.context()), sink,
                Clock.systemUTC()).block(WAIT);
        listeners.add(listener);
        assertNull(startTls(listener.port(), client(List.of("TLSv1.2"), null)));
        assertTrue(lastFailure.contains("PROTOCOL_VERSION"), lastFailure);
        assertEquals("TLSv1.3", startTls(listener.port(), client(null, null)).protocol());
    }

    @Test
    void chainFilesHoldTheKeyThenTheChain() throws Exception {
        X509Bundle ec = bundle(true);
        String keyPem = pem("PRIVATE KEY", ec.getKeyPair().getPrivate().getEncoded());
        String certPem = pem("CERTIFICATE", ec.getCertificate().getEncoded());
        Path chain = privateFile(dir.resolve("chain.pem"), keyPem + certPem);
        int port = start("smtpd_tls_chain_files = " + chain + "\n");
        Negotiated s = startTls(port, client(List.of("TLSv1.2"), null));
        assertEquals("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", s.cipherSuite(), "the chain file's EC key is used");

        Path withParameters = privateFile(dir.resolve("ecparam.pem"),
                "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + keyPem + certPem);
        assertNotNull(ServerTlsConfiguration.serverTls(cfg("smtpd_tls_chain_files = " + withParameters + "\n")).context(),
                "openssl ecparam -genkey output (EC PARAMETERS first) is taken");
        Path certFirst = privateFile(dir.resolve("certfirst.pem"), certPem + keyPem);
        refused("smtpd_tls_chain_files = " + certFirst + "\n", "smtpd_tls_chain_files");
        Path worldReadable = privateFile(dir.resolve("world.pem"), keyPem + certPem);
        Files.setPosixFilePermissions(worldReadable, PosixFilePermissions.fromString("rw-r--r--"));
        ConfigurationException e = refused("smtpd_tls_chain_files = " + worldReadable + "\n", "smtpd_tls_chain_files");
        assertTrue(e.getMessage().contains(worldReadable.toString()), e.getMessage());
        Path otherKey = privateFile(dir.resolve("mismatch.pem"), Files.readString(key) + certPem);
        refused("smtpd_tls_chain_files = " + otherKey + "\n", "smtpd_tls_chain_files");
        refused("smtpd_tls_chain_files = " + chain + ", " + chain + "\n", "smtpd_tls_chain_files");
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** What a handshake settled on. */
    record Negotiated(String protocol, String cipherSuite) {
    }

    private static Configuration load(String mainCf) {
        return ConfigurationLoader.fromText("myhostname = relay.test\n" + mainCf, "main.cf", List.of());
    }

    /** main.cf with the RSA certificate and key, listening on an ephemeral loopback port. */
    private Configuration cfg(String extra) {
        return load("smtpd_listen = 127.0.0.1:0\nsmtpd_timeout = 10s\nsmtpd_tls_cert_file = " + cert
                + "\nsmtpd_tls_key_file = " + key + "\n" + extra);
    }

    private int start(String extra) {
        SmtpListener listener = SmtpListener.start(ListenerConfiguration.settings(cfg(extra)), sink, Clock.systemUTC())
                .block(WAIT);
        listeners.add(listener);
        return listener.port();
    }

    /** Start-up (the loader, then the listener's settings) stops with 78 naming the parameter. */
    private ConfigurationException refused(String extra, String parameter) {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> ListenerConfiguration.settings(cfg(extra)), extra);
        assertEquals(78, e.exitStatus(), e.getMessage());
        assertEquals(parameter, e.parameter().orElse(null), e.getMessage());
        assertTrue(e.getMessage().contains(parameter), e.getMessage());
        return e;
    }

    private static X509Bundle bundle(boolean ec) throws Exception {
        CertificateBuilder b = new CertificateBuilder().subject("CN=relay.test").addSanDnsName("relay.test")
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .setIsCertificateAuthority(true);
        return (ec ? b.ecp256() : b.rsa2048()).buildSelfSigned();
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    private static Path privateFile(Path file, String text) throws Exception {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** A BoringSSL client offering only these protocols and TLS 1.2-and-older suites (null: its defaults). */
    private static SslContext client(List<String> protocols, List<String> suites) throws Exception {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(InsecureTrustManagerFactory.INSTANCE);
        if (protocols != null) {
            b.protocols(protocols);
        }
        if (suites != null) {
            b.ciphers(suites, IdentityCipherSuiteFilter.INSTANCE);
        }
        return b.build();
    }

    /**
     * EHLO, STARTTLS, the handshake with this client context, then EHLO inside TLS. The session,
     * or null when the handshake failed.
     */
    private Negotiated startTls(int port, SslContext client) throws Exception {
        // Lock-free on the event loop's side: a LinkedBlockingQueue's lock, contended by the polling
        // test thread on a loaded machine, parks the event loop and BlockHound closes the channel.
        BlockingQueue<String> lines = new LinkedTransferQueue<>();
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        c.pipeline().addLast(new LineBasedFrameDecoder(4096), new StringDecoder(StandardCharsets.US_ASCII),
                                new SimpleChannelInboundHandler<String>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, String line) {
                                        lines.add(line);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        pipelineFailure = String.valueOf(cause); // reported if a later write fails
                                        ctx.close(); // a refused handshake; startTls reports it
                                    }
                                });
                    }
                }).connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync().channel();
        try {
            expect(lines, "220 ");
            send(ch, "EHLO client.test");
            assertTrue(expect(lines, "250 ").length() > 0);
            send(ch, "STARTTLS");
            expect(lines, "220 ");
            // A refused handshake is reported through handshakeFuture; Netty also logs it at WARN
            // from this client's pipeline tail (already torn down by then), once per refusal.
            SslHandler ssl = client.newHandler(ch.alloc(), "relay.test", port);
            ch.pipeline().addFirst(ssl);
            assertTrue(ssl.handshakeFuture().await(WAIT.toMillis()), "handshake neither done nor failed");
            if (!ssl.handshakeFuture().isSuccess()) {
                lastFailure = String.valueOf(ssl.handshakeFuture().cause());
                return null;
            }
            Negotiated n = new Negotiated(ssl.engine().getSession().getProtocol(), ssl.engine().getSession().getCipherSuite());
            send(ch, "EHLO client.test");
            expect(lines, "250 ");
            send(ch, "QUIT");
            expect(lines, "221 ");
            return n;
        } finally {
            ch.close().syncUninterruptibly();
        }
    }

    private void send(Channel ch, String command) throws InterruptedException {
        var written = ch.writeAndFlush(Unpooled.copiedBuffer(command + "\r\n", StandardCharsets.US_ASCII)).await();
        assertTrue(written.isSuccess(), () -> command + " not written: " + written.cause() + "; client pipeline saw " + pipelineFailure);
    }

    /** The last line of the next reply, which must start with {@code prefix}. */
    private static String expect(BlockingQueue<String> lines, String prefix) throws InterruptedException {
        while (true) {
            String line = lines.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertNotNull(line, "no reply; expected " + prefix);
            if (line.length() < 4 || line.charAt(3) != '-') {
                assertTrue(line.startsWith(prefix), "expected " + prefix + " but got " + line);
                return line;
            }
        }
    }
}
