package io.postilion.fleet;

import io.postilion.engine.listener.ReceivedMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.relay.Relay;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.JournalSpool;
import io.postilion.transport.protocol.Ret;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet against a real broker (scripts/fleet/kafka.sh start; skipped when it has not been
 * run): a relay with the fleet consumes requests from a topic of 4 partitions, delivers them to a
 * fake SMTP server, publishes one result per recipient to the result topic and commits every
 * partition's offset to its end; and a relay stopped mid-way and started again on the same spool
 * loses nothing (duplicates are allowed and counted).
 */
@Tag("interop")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaFleetIntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Pattern SUBJECT = Pattern.compile("Subject: request (\\d+)\r\n");
    private static String bootstrap;

    @TempDir
    Path spoolDir;

    private FakeSmtpServer server;
    private final List<Relay> relays = new ArrayList<>();
    private String requests;
    private String results;
    private String group;

    @BeforeAll
    static void broker() throws Exception {
        String rig = System.getenv().getOrDefault("RIG_DIR", System.getProperty("java.io.tmpdir") + "/postilion-rig");
        Path file = Path.of(rig, "kafka", "kafka.bootstrap");
        assumeTrue(Files.isReadable(file), "no broker: run scripts/fleet/kafka.sh start (" + file + " is absent)");
        bootstrap = Files.readString(file).trim();
    }

    @BeforeEach
    void topics() throws Exception {
        server = FakeSmtpServer.start();
        String run = UUID.randomUUID().toString().substring(0, 8);
        requests = "it.requests." + run;
        results = "it.results." + run;
        group = "it-" + run;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(requests, 4, (short) 1), new NewTopic(results, 2, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterEach
    void stop() {
        relays.forEach(Relay::close);
        server.close();
    }

    private Relay startRelay() throws Exception {
        return startRelay("");
    }

    private Relay startRelay(String extra) throws Exception {
        Configuration cfg = ConfigurationLoader.fromText("myhostname = relay.test\nsmtpd_listen = 127.0.0.1:0\n"
                + "metrics_listen = 127.0.0.1:0\ninet_interfaces = 127.0.0.254\n"
                + "relayhost = [127.0.0.1]:" + server.port() + "\nqueue_directory = " + spoolDir + "\n"
                + "shutdown_grace_time = 5s\nkafka_bootstrap_servers = " + bootstrap + "\nkafka_request_topic = " + requests
                + "\nkafka_result_topic = " + results + "\nkafka_group_id = " + group + "\n" + extra, "main.cf", List.of());
        Relay relay = Relay.start(cfg, JournalSpool.open(spoolDir, new ChannelSpoolFiles(), Clock.systemUTC()), Clock.systemUTC());
        relays.add(relay);
        return relay;
    }

    /** Publishes requests {@code from} to {@code to - 1}, each to one recipient of its own domain, plus one bad record. */
    private void publish(int from, int to, boolean withBadRecord) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = from; i < to; i++) {
                String domain = "d" + (i % 7) + ".test";
                DeliveryRequestRecord r = new DeliveryRequestRecord("app@client.test",
                        List.of(new ReceivedMessage.Recipient("u" + i + "@" + domain, Set.of(), "")), false, false,
                        "req-" + i, Ret.NONE, ("Subject: request " + i + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII));
                producer.send(new ProducerRecord<>(requests, domain.getBytes(StandardCharsets.US_ASCII), RequestCodec.encode(r)));
                if (withBadRecord && i == from) {
                    producer.send(new ProducerRecord<>(requests, domain.getBytes(StandardCharsets.US_ASCII),
                            "not a request".getBytes(StandardCharsets.US_ASCII)));
                }
            }
            producer.flush();
        }
    }

    /** How many times each request number reached the SMTP server. */
    private Map<Integer, Integer> delivered() {
        Map<Integer, Integer> seen = new HashMap<>();
        for (byte[] c : server.contents()) {
            Matcher m = SUBJECT.matcher(new String(c, StandardCharsets.US_ASCII));
            if (m.find()) {
                seen.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
            }
        }
        return seen;
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** The group's committed offsets against each partition's end. */
    private boolean allCommitted() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int i = 0; i < 4; i++) {
                latest.put(new TopicPartition(requests, i), OffsetSpec.latest());
            }
            var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
            for (var e : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                long end = e.getValue().offset();
                if (end > 0 && (c == null || c.offset() != end)) {
                    return false;
                }
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** The result records on the result topic, read from the start for {@code atLeast} of them. */
    private List<String> readResults(int atLeast) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group + "-reader");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(results));
            long until = System.nanoTime() + WAIT.toNanos();
            while (out.size() < atLeast && System.nanoTime() < until) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    String json = new String(r.value(), StandardCharsets.UTF_8);
                    assertTrue(json.contains("\"queueId\":\"" + new String(r.key(), StandardCharsets.US_ASCII) + "\""),
                            "keyed by queue id: " + json);
                    out.add(json);
                }
            }
        }
        return out;
    }

    @Test
    void requestsAreDeliveredResultsPublishedAndOffsetsCommitted() throws Exception {
        int n = 40;
        publish(0, n, true);
        Relay relay = startRelay();
        await(() -> delivered().size() == n, n + " deliveries");
        List<String> events = readResults(n);
        assertEquals(n, events.size(), "one result per recipient");
        for (int i = 0; i < n; i++) {
            String envId = "\"envId\":\"req-" + i + "\"";
            assertEquals(1, events.stream().filter(e -> e.contains(envId)).count(), "request " + i);
        }
        assertTrue(events.stream().allMatch(e -> e.contains("\"outcome\":\"sent\"") && e.contains("\"final\":true")
                && e.contains("\"dsnStatus\":\"2.")), events.get(0));
        await(this::allCommitted, "every partition committed to its end (the bad record included)");
        assertEquals(Map.of(), delivered().entrySet().stream().filter(e -> e.getValue() != 1)
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), "no duplicates in a clean run");

        // The same run as the relay's /metrics tells it (the fleet's meters in the relay's registry).
        await(() -> metric(relay, "postilion_kafka_uncommitted_requests") == 0, "the re-delivery window closed on /metrics");
        await(() -> metric(relay, "postilion_kafka_results_published_total") == n, n + " results published on /metrics");
        assertEquals(n + 1, metric(relay, "postilion_kafka_requests_consumed_total"), "every record, the bad one included");
        assertEquals(n, metric(relay, "postilion_kafka_requests_stored_total"));
        assertEquals(1, metric(relay, "postilion_kafka_requests_rejected_total"));
        assertTrue(metric(relay, "postilion_kafka_offset_commits_total") >= 1);
        assertEquals(0, metric(relay, "postilion_kafka_partitions_paused"));
        assertEquals(0, metric(relay, "postilion_kafka_results_failed_total"));
        assertEquals(0, metric(relay, "postilion_kafka_results_queued"));
        assertEquals(n, metric(relay, "postilion_messages_accepted_total"), "stored the way SMTP mail is");
    }

    /** One sample from the relay's /metrics, fetched over HTTP as a Prometheus server would. */
    private static double metric(Relay relay, String name) {
        try {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + relay.metricsPort() + "/metrics"))
                            .timeout(Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            java.util.regex.Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? (\\S+)$").matcher(r.body());
            assertTrue(m.find(), name + " on /metrics");
            return Double.parseDouble(m.group(1));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void aRelayStoppedMidwayAndStartedAgainLosesNothing() throws Exception {
        int n = 300;
        server.delay(FakeSmtpServer.Stage.DOT, Duration.ofMillis(20)); // delivery slower than intake: work is in flight at the stop
        publish(0, n, false);
        // A small queue manager: the consumer pauses its partitions at 10 messages in flight, so the
        // stop finds most requests still unread or uncommitted on the topic, not in the spool.
        String small = "qmgr_message_active_limit = 5\n";
        Relay first = startRelay(small);
        await(() -> delivered().size() >= 30, "the first deliveries");
        first.stop(Duration.ZERO); // cut off: deliveries in progress stay queued, stores under way may or may not finish
        relays.remove(first);
        int before = delivered().size();
        startRelay(small);
        await(() -> delivered().size() == n, "all " + n + " requests delivered after the restart (" + before + " before it)");
        await(this::allCommitted, "every partition committed to its end");
        int copies = delivered().values().stream().mapToInt(Integer::intValue).sum();
        System.out.println("fleet restart: " + n + " requests, " + before + " delivered before the stop, "
                + (copies - n) + " duplicate(s)");
        assertEquals(n, delivered().size(), "lost none");
    }
}
