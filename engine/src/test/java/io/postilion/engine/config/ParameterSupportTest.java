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
                    + "relayhost = [127.0.0.1]:" + server.port() + "\n", "main.cf", List.of());
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
