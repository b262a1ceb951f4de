package io.postilion.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.agent.DeliveryAgent;
import io.postilion.engine.relay.Relay;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.Spool;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.session.Transaction;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No parameter is accepted and ignored (issue 18, CLARIFICATIONS 39 and 44(d)): every registered
 * parameter is either read by production code, or marked in {@link ParameterSupport}; a marked
 * parameter set to anything but its default stops start-up (refused) or warns (inert).
 */
class ParameterSupportTest {

    @TempDir
    Path dir;

    /**
     * The guard: a relay is started and delivers one message (SMTP), an LMTP agent is built, with
     * reads tracked; every registered parameter must be read, be the $-default of one that is
     * read, or carry a mark. A parameter added to the registry and read nowhere fails this test.
     */
    @Test
    void everyRegisteredParameterIsReadOrMarked() throws Exception {
        Set<String> read = ConcurrentHashMap.newKeySet();
        Configuration.observeReads(read::add);
        try (FakeSmtpServer server = FakeSmtpServer.start()) {
            Configuration cfg = ConfigurationLoader.fromText("myhostname = relay.test\nsmtpd_listen = 127.0.0.1:0\n"
                    + "metrics_listen = 127.0.0.1:0\ninet_interfaces = 127.0.0.254\n"
                    + "queue_directory = " + dir + "\nrelayhost = [127.0.0.1]:" + server.port() + "\n", "main.cf", List.of());
            try (Relay relay = Relay.start(cfg, Spool.open(dir, new ChannelSpoolFiles(), Clock.systemUTC()), Clock.systemUTC())) {
                SmtpSession s = SmtpClient.create(SessionSettings.smtp("app.test").withTls(TlsLevel.NONE, false)
                                .withTimeouts(Timeouts.all(Duration.ofSeconds(5))))
                        .connect(Endpoint.inet("relay.test", new InetSocketAddress("127.0.0.1", relay.smtpPort())))
                        .block(Duration.ofSeconds(10)).session();
                s.handshake(false).block(Duration.ofSeconds(10));
                s.transaction(new Transaction("MAIL FROM:<app@client.test>", List.of("RCPT TO:<u@dest.test>"),
                        ContentSource.of("Subject: guard\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)),
                        ContentOptions.defaults(), false)).block(Duration.ofSeconds(10));
                long until = System.nanoTime() + 10_000_000_000L;
                while (server.contents().isEmpty() && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                assertEquals(1, server.contents().size(), "the relay delivered");
            }
            DeliveryAgent.builder(cfg).lmtp().build();
            // What is read only once it is switched on: STARTTLS and AUTH in the listener, TCP admin.
            Configuration on = ConfigurationLoader.fromText(switchedOn(), "main.cf", List.of());
            io.postilion.engine.relay.RelaySettings.from(on);
            io.postilion.engine.maillog.MailLogFile.from(on); // what RelayCommand checks before it locks the spool
        } finally {
            Configuration.observeReads(null);
        }
        Set<String> wired = new TreeSet<>(read);
        Pattern ref = Pattern.compile("\\$\\{?\\(?([a-z0-9_]+)");
        boolean grew = true;
        while (grew) { // a parameter only used as the default of a read one is read through it
            grew = false;
            for (ParameterDefinition d : ParameterRegistry.all()) {
                if (wired.contains(d.name())) {
                    Matcher m = ref.matcher(d.defaultValue());
                    while (m.find()) {
                        grew |= wired.add(m.group(1));
                    }
                }
            }
        }
        List<String> ignored = new ArrayList<>();
        for (ParameterDefinition d : ParameterRegistry.all()) {
            if (!wired.contains(d.name()) && ParameterSupport.of(d.name()).isEmpty()) {
                ignored.add(d.name());
            }
        }
        assertEquals(List.of(), ignored, "registered, never read, not marked in ParameterSupport: wire them or mark them");
    }

    @Test
    void everyRefusedParameterSetToAnotherValueStopsStartUpNamingIt_andEveryInertOneWarns() {
        for (var e : ParameterSupport.all().entrySet()) {
            String name = e.getKey();
            String value = otherValue(ParameterRegistry.find(name).orElseThrow());
            Configuration cfg = ConfigurationLoader.fromText(name + " = " + value + "\n", "main.cf", List.of());
            Configuration view = name.startsWith("lmtp_") ? cfg.forLmtp() : cfg;
            if (e.getValue().kind() == ParameterSupport.Kind.REFUSED) {
                ConfigurationException x = assertThrows(ConfigurationException.class, () -> ParameterSupport.check(view), name);
                assertEquals(78, x.exitStatus());
                assertEquals(name, x.parameter().orElseThrow());
            } else {
                assertEquals(List.of(name), ParameterSupport.check(view), name);
            }
        }
        assertEquals(List.of(), ParameterSupport.check(Configuration.defaults()), "defaults are never refused");
    }

    private static final String BEGIN = "<!-- generated from ParameterSupport by ParameterSupportTest: do not edit by hand -->";
    private static final String END = "<!-- end of the generated list -->";

    /**
     * docs/configuration.md lists the marks as ParameterSupport holds them. Run with
     * {@code -Dregenerate.docs=true} to rewrite the list after changing a mark.
     */
    @Test
    void theConfigurationPageListsEveryMark() throws Exception {
        StringBuilder sb = new StringBuilder(BEGIN).append('\n');
        sb.append("| Parameter | Set to another value than its default | Why |\n|---|---|---|\n");
        java.util.Set<String> done = new java.util.HashSet<>();
        for (var e : ParameterSupport.all().entrySet()) {
            if (!done.add(e.getKey())) {
                continue;
            }
            String names = "`" + e.getKey() + "`";
            String twin = ParameterRegistry.find(e.getKey()).orElseThrow().twin().orElse(null);
            if (twin != null && done.add(twin)) {
                names += ", `" + twin + "`";
            }
            sb.append("| ").append(names).append(" | ")
                    .append(e.getValue().kind() == ParameterSupport.Kind.REFUSED ? "stops start-up (exit 78)" : "a warning")
                    .append(" | ").append(e.getValue().why()).append(" |\n");
        }
        sb.append(END);
        Path page = Path.of("../docs/configuration.md");
        String text = java.nio.file.Files.readString(page);
        int from = text.indexOf(BEGIN);
        int to = text.indexOf(END);
        assertTrue(from >= 0 && to > from, "docs/configuration.md has no generated list of marks");
        String updated = text.substring(0, from) + sb + text.substring(to + END.length());
        if (Boolean.getBoolean("regenerate.docs")) {
            java.nio.file.Files.writeString(page, updated);
        }
        assertEquals(updated, text, "the list of marks in docs/configuration.md is out of date: run this test with "
                + "-Dregenerate.docs=true");
    }

    /** main.cf text with a certificate, AUTH and the TCP admin endpoint configured (files under the temp dir). */
    private String switchedOn() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        var x = new io.netty.pkitesting.CertificateBuilder().subject("CN=relay.test").setIsCertificateAuthority(true)
                .buildSelfSigned();
        java.nio.file.Files.writeString(cert, "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder()
                .encodeToString(x.getCertificate().getEncoded()) + "\n-----END CERTIFICATE-----\n");
        java.nio.file.Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder()
                .encodeToString(x.getKeyPair().getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        java.nio.file.Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path users = java.nio.file.Files.writeString(dir.resolve("users"), "alice "
                + at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(4, "pw".toCharArray()) + "\n");
        Path token = java.nio.file.Files.writeString(dir.resolve("token"), "0123456789abcdef0123456789abcdef\n");
        return "myhostname = relay.test\nsmtpd_listen = 127.0.0.1:0\nmetrics_listen = 127.0.0.1:0\n"
                + "queue_directory = " + dir.resolve("q2") + "\nsmtpd_tls_cert_file = " + cert + "\nsmtpd_tls_key_file = " + key
                + "\nsmtpd_sasl_auth_enable = yes\nsmtpd_sasl_password_maps = texthash:" + users
                + "\nadmin_listen = 127.0.0.1:0\nadmin_token_file = " + token + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\nmaillog_file_prefixes = " + dir + "\n";
    }

    /** A valid value other than the default, by type. */
    private static String otherValue(ParameterDefinition d) {
        return switch (d.type().kind()) {
            case BOOLEAN -> Boolean.TRUE.equals(d.type().parse(expandedDefault(d))) ? "no" : "yes";
            case INTEGER -> String.valueOf(((Integer) d.type().parse(expandedDefault(d))) + 1);
            case SIZE -> String.valueOf(((Long) d.type().parse(expandedDefault(d))) + 1);
            case TIME -> "7s".equals(expandedDefault(d)) ? "8s" : "7s";
            case TABLE -> "inline:{a=b}";
            case ENUM, ENUM_LIST -> d.type().choices().stream().filter(c -> !c.isEmpty() && !c.equals(expandedDefault(d)))
                    .sorted().findFirst().orElseThrow();
            default -> d.name().endsWith("_ports") ? "smtp=2526" : "127.0.0.9";
        };
    }

    private static String expandedDefault(ParameterDefinition d) {
        return Configuration.defaults().values().get(d.name());
    }
}
