package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.Spool;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Ret;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.netty.http.client.HttpClient;

/**
 * The relay's hooks for the fleet: a message given to {@link Relay#ingress()} is stored, counted
 * and delivered like one received by SMTP, and {@link Relay#results()} carries one typed event per
 * recorded recipient result.
 */
class RelayResultsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path spoolDir;

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private Relay relay;

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
        server.close();
    }

    private Configuration cfg(String extra) {
        // Backoff of an hour: the deferred recipient is not tried again while the test watches.
        return ConfigurationLoader.fromText("myhostname = relay.test\nsmtpd_listen = 127.0.0.1:0\n"
                + "metrics_listen = 127.0.0.1:0\ninet_interfaces = 127.0.0.254\n"
                + "relayhost = [127.0.0.1]:" + server.port() + "\nsmtp_connect_timeout = 2s\n"
                + "minimal_backoff_time = 1h\nmaximal_backoff_time = 1h\nqueue_directory = " + spoolDir + "\n" + extra,
                "main.cf", List.of());
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aMessageFromTheIngressIsDeliveredAndEachRecipientGivesOneEventWithItsFacts() throws Exception {
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("later@") ? "450 4.2.1 mailbox busy" : "250 2.1.5 Ok");
        relay = Relay.start(cfg(""), Spool.open(spoolDir, new ChannelSpoolFiles(), Clock.systemUTC()), Clock.systemUTC());
        List<RecipientEvent> events = new CopyOnWriteArrayList<>();
        Disposable watching = relay.results().subscribe(events::add);
        RelayIngress in = relay.ingress();
        assertTrue(in.hasRoomFor(100));
        String id = in.newQueueId();
        byte[] content = "Subject: from elsewhere\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        ReceivedMessage m = new ReceivedMessage(id, "app@client.test",
                List.of(new ReceivedMessage.Recipient("ok@dest.test", Set.of(), ""),
                        new ReceivedMessage.Recipient("later@dest.test", Set.of(), "")),
                BodyType.SEVEN_BIT, false, "", Ret.NONE, content,
                new ReceivedMessage.Client("", "kafka", false, ""), Instant.now());
        in.accept(m).block(WAIT);

        await(() -> events.size() >= 2, "two events");
        await(() -> spoolDir.resolve("deferred").toFile().list().length == 1, "the deferral");
        Thread.sleep(300); // nothing more may come: one event per recorded result
        watching.dispose();
        assertEquals(2, events.size(), events.toString());
        assertEquals(1, server.contents().size(), "the sent recipient's copy went out");

        RecipientEvent sent = events.stream().filter(e -> e.outcome() == Outcome.SENT).findFirst().orElseThrow();
        assertEquals(id, sent.queueId());
        assertEquals(0, sent.index());
        assertEquals("ok@dest.test", sent.address());
        assertEquals(DsnStatus.of(2, 0, 0).statusClass(), sent.status().statusClass());
        assertTrue(sent.isFinal());
        assertTrue(sent.result().relay().contains("127.0.0.1"), sent.result().relay());
        assertTrue(sent.result().verdict().fromServer(), sent.toString());

        RecipientEvent later = events.stream().filter(e -> e.outcome() == Outcome.DEFERRED).findFirst().orElseThrow();
        assertEquals(id, later.queueId());
        assertEquals(1, later.index());
        assertEquals("later@dest.test", later.address());
        assertEquals(DsnStatus.of(4, 2, 1), later.status());
        assertTrue(later.result().reason().contains("mailbox busy"), later.result().reason());
        assertTrue(!later.isFinal());
        assertTrue(!later.delays().total().isNegative());

        String metrics = HttpClient.create().get().uri("http://127.0.0.1:" + relay.metricsPort() + "/metrics")
                .responseContent().aggregate().asString().block(WAIT);
        assertTrue(metrics.contains("postilion_messages_accepted_total 1.0"), "counted like a listener's message");
        assertTrue(metrics.contains("postilion_results_dropped_total 0.0"), metrics);
    }

    @Test
    void aSubscriberThatNeverRequestsHoldsUpNeitherDeliveryNorOtherSubscribers() throws Exception {
        relay = Relay.start(cfg(""), Spool.open(spoolDir, new ChannelSpoolFiles(), Clock.systemUTC()), Clock.systemUTC());
        reactor.core.publisher.BaseSubscriber<RecipientEvent> stuck = new reactor.core.publisher.BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription s) {
                // requests nothing, ever
            }
        };
        relay.results().subscribe(stuck);
        List<RecipientEvent> events = new CopyOnWriteArrayList<>();
        Disposable watching = relay.results().subscribe(events::add);
        for (int i = 0; i < 5; i++) {
            ReceivedMessage m = new ReceivedMessage(relay.ingress().newQueueId(), "app@client.test",
                    List.of(new ReceivedMessage.Recipient("u" + i + "@dest.test", Set.of(), "")), BodyType.SEVEN_BIT, false,
                    "e" + i, Ret.NONE, "Subject: x\r\n\r\ny\r\n".getBytes(StandardCharsets.US_ASCII),
                    new ReceivedMessage.Client("", "kafka", false, ""), Instant.now());
            relay.ingress().accept(m).block(WAIT);
        }
        await(() -> server.contents().size() == 5, "five deliveries");
        await(() -> events.size() == 5, "five events for the subscriber that keeps up");
        assertEquals(Set.of("e0", "e1", "e2", "e3", "e4"), new java.util.HashSet<>(events.stream().map(RecipientEvent::envId).toList()));
        watching.dispose();
        stuck.dispose();
    }

    @Test
    void kafkaSetWithoutTheFleetOnTheClassPathIsRefusedNamingIt() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> RelaySettings.from(cfg("kafka_bootstrap_servers = 127.0.0.1:9092\n")));
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("kafka_bootstrap_servers"), e.getMessage());
    }

    @Test
    void kafkaParametersAreCheckedAndDefaulted() {
        KafkaSettings k = RelaySettings.from(cfg("")).kafka();
        assertTrue(!k.enabled());
        assertEquals("postilion.requests", k.requestTopic());
        assertEquals("postilion.results", k.resultTopic());
        assertEquals("postilion", k.groupId());
        for (String bad : List.of("kafka_request_topic = bad topic", "kafka_result_topic = postilion.requests",
                "kafka_group_id = ", "kafka_bootstrap_servers = nohostport")) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> RelaySettings.from(cfg(bad + "\n")));
            assertEquals(78, e.exitStatus());
            assertTrue(e.getMessage().contains(bad.substring(0, bad.indexOf(' '))), e.getMessage());
        }
    }
}
