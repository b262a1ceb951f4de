package io.postilion.bench.fleet;

import io.postilion.bench.BenchHost;
import io.postilion.bench.relay.ProcessCpu;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.fleet.DeliveryRequestRecord;
import io.postilion.fleet.RequestCodec;
import io.postilion.transport.protocol.Ret;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import reactor.core.publisher.Mono;

/**
 * {@code postilion-bench fleet}: relay nodes (separate JVMs on loopback, fleet/target/postilion-fleet.jar)
 * consuming one Kafka request topic and delivering to one counting sink ({@link FleetSink}), in
 * three parts:
 * <ul>
 *   <li>scale: 1, 2 and 3 nodes in alternating rounds; each round a fresh topic, group and fleet,
 *       a warm-up, then N requests published at once; messages per second from the first publish to
 *       the last delivery, and the CPU per message of the nodes, the broker and this harness;</li>
 *   <li>kill: a fleet of 3 under the same load, one node killed with SIGKILL once 30% are delivered
 *       and started again on its spool 2 s later (as its supervisor would): lost must be 0;
 *       duplicates are counted;</li>
 *   <li>limit: a fleet of 3 with a destination concurrency limit of 10, against a sink that answers
 *       the content after a delay, alternately with the limit shared through Redis and with each
 *       node's own: the most connections and transactions open at the sink at once.</li>
 * </ul>
 * The Kafka broker and redis-server come from the project's scripts (scripts/fleet/kafka.sh and
 * redis.sh) in a directory of this run, unless --bootstrap / --redis name running ones. Every wait is
 * bounded. Exit 0, or 1 when a message was lost, a limit was exceeded or a wait ran out.
 */
public final class FleetCommand {

    private static final String USAGE = "usage: postilion-bench fleet [--parts scale,kill,limit] [--messages 20000] [--warmup 2000]"
            + " [--size 1024] [--rounds 3] [--nodes 1,2,3] [--partitions 6] [--kill-nodes 3] [--kill-rounds 1] [--limit 10] [--limit-rounds 1]"
            + " [--limit-messages 3000] [--data-delay 50ms] [--bootstrap HOST:PORT] [--redis redis://HOST:PORT]"
            + " [--jar fleet/target/postilion-fleet.jar] [--java PATH] [--scripts scripts/fleet]";

    private final PrintStream out;
    private List<String> parts = List.of("scale", "kill", "limit");
    private int messages = 20_000;
    private int warmup = 2_000;
    private int size = 1024;
    private int rounds = 3;
    private List<Integer> nodeCounts = List.of(1, 2, 3);
    private int partitions = 6;
    private int killNodes = 3;
    private int killRounds = 1;
    private int limitRounds = 1;
    private int limit = 10;
    private int limitMessages = 3_000;
    private Duration dataDelay = Duration.ofMillis(50);
    private String bootstrap;
    private String redisUrl;
    private Path jar = Path.of("fleet/target/postilion-fleet.jar");
    private String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private Path scripts = Path.of("scripts/fleet");
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private Path work;
    private KafkaProducer<byte[], byte[]> producer;
    private Admin admin;
    private int fleetNumber;
    private boolean failed;

    private FleetCommand(PrintStream out) {
        this.out = out;
    }

    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        FleetCommand c = new FleetCommand(out);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help")) {
                out.println(USAGE);
                return 0;
            }
            if (i + 1 >= args.length) {
                err.println("fleet: " + a + " needs a value; " + USAGE);
                return 64;
            }
            String v = args[++i];
            switch (a) {
                case "--parts" -> c.parts = List.of(v.split(","));
                case "--messages" -> c.messages = Integer.parseInt(v);
                case "--warmup" -> c.warmup = Integer.parseInt(v);
                case "--size" -> c.size = Integer.parseInt(v);
                case "--rounds" -> c.rounds = Integer.parseInt(v);
                case "--nodes" -> c.nodeCounts = Arrays.stream(v.split(",")).map(Integer::valueOf).toList();
                case "--partitions" -> c.partitions = Integer.parseInt(v);
                case "--kill-nodes" -> c.killNodes = Integer.parseInt(v);
                case "--kill-rounds" -> c.killRounds = Integer.parseInt(v);
                case "--limit-rounds" -> c.limitRounds = Integer.parseInt(v);
                case "--limit" -> c.limit = Integer.parseInt(v);
                case "--limit-messages" -> c.limitMessages = Integer.parseInt(v);
                case "--data-delay" -> c.dataDelay = Duration.ofMillis(Long.parseLong(v.replace("ms", "")));
                case "--bootstrap" -> c.bootstrap = v;
                case "--redis" -> c.redisUrl = v;
                case "--jar" -> c.jar = Path.of(v);
                case "--java" -> c.java = v;
                case "--scripts" -> c.scripts = Path.of(v);
                default -> {
                    err.println("fleet: unknown argument " + a + "; " + USAGE);
                    return 64;
                }
            }
        }
        if (!Files.isReadable(c.jar)) {
            err.println("fleet: " + c.jar + " is missing; build it with mvn -B -q -pl fleet -am package -DskipTests");
            return 66;
        }
        if (c.messages < 1 || c.messages > 1_000_000 || c.rounds < 1 || c.rounds > 20 || c.partitions < 1
                || c.nodeCounts.stream().anyMatch(n -> n < 1 || n > 8) || c.killNodes < 2 || c.killNodes > 8) {
            err.println("fleet: out of range (messages 1..1000000, rounds 1..20, nodes 1..8, kill-nodes 2..8)");
            return 64;
        }
        return c.execute();
    }

    private int execute() throws Exception {
        work = Files.createTempDirectory("postilion-fleet-bench");
        boolean ownBroker = bootstrap == null;
        boolean ownRedis = redisUrl == null && parts.contains("limit");
        try {
            if (ownBroker) {
                bootstrap = rig("kafka.sh", "kafka/kafka.bootstrap");
            }
            if (ownRedis) {
                redisUrl = rig("redis.sh", "redis.url");
            }
            out.printf("# fleet bench: run %s, broker %s%s, jar %s, java %s, work %s%n", run, bootstrap,
                    redisUrl == null ? "" : ", redis " + redisUrl, jar, java, work);
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
            producer = new KafkaProducer<>(producerProperties(), new ByteArraySerializer(), new ByteArraySerializer());
            try (FleetSink sink = new FleetSink(Duration.ZERO)) {
                if (parts.contains("scale")) {
                    scale(sink);
                }
                if (parts.contains("kill")) {
                    kill(sink);
                }
            }
            if (parts.contains("limit")) {
                try (FleetSink slow = new FleetSink(dataDelay)) {
                    limit(slow);
                }
            }
        } finally {
            if (producer != null) {
                producer.close(Duration.ofSeconds(10));
            }
            if (admin != null) {
                admin.close(Duration.ofSeconds(10));
            }
            if (ownBroker) {
                script("kafka.sh", "stop");
            }
            if (ownRedis) {
                script("redis.sh", "stop");
            }
            BenchHost.deleteTree(work);
        }
        out.println(failed ? "fleet: FAILED" : "fleet: ok");
        return failed ? 1 : 0;
    }

    // ---- the three parts

    private void scale(FleetSink sink) throws Exception {
        Map<Integer, List<Double>> rates = new TreeMap<>();
        Map<Integer, List<Double>> cpus = new TreeMap<>();
        out.printf("# scale: %d messages of %d bytes per round after a warm-up of %d per node, %d partitions,"
                + " nodes %s alternating, %d rounds%n", messages, size, warmup, partitions, nodeCounts, rounds);
        for (int round = 1; round <= rounds; round++) {
            for (int n : nodeCounts) {
                Fleet f = startFleet(sink, n, List.of());
                try {
                    if (!f.warm(sink)) {
                        continue;
                    }
                    String prefix = f.prefix + "t.";
                    Cpu before = f.cpu();
                    long t0 = System.nanoTime();
                    publish(f.topic, prefix, messages);
                    if (!awaitDelivered(sink, prefix, messages, timeoutFor(messages))) {
                        failed = true;
                        out.printf("scale nodes=%d round=%d: only %d of %d delivered in time%n", n, round,
                                sink.distinct(prefix), messages);
                        continue;
                    }
                    double seconds = (sink.lastDeliveryNanos() - t0) / 1e9;
                    Cpu used = f.cpu().minus(before);
                    double rate = messages / seconds;
                    rates.computeIfAbsent(n, k -> new ArrayList<>()).add(rate);
                    cpus.computeIfAbsent(n, k -> new ArrayList<>()).add(used.nodes * 1e6 / messages);
                    out.printf("scale nodes=%d round=%d msgs_per_s=%.0f per_node=%.0f seconds=%.2f cpu_us_per_msg nodes=%.0f"
                                    + " broker=%.0f harness=%.0f all=%.0f duplicates=%d%n", n, round, rate, rate / n, seconds,
                            used.nodes * 1e6 / messages, used.broker * 1e6 / messages, used.harness * 1e6 / messages,
                            used.all() * 1e6 / messages, sink.duplicates(prefix));
                } finally {
                    f.stop();
                }
            }
        }
        double one = median(rates.getOrDefault(1, List.of()));
        for (Map.Entry<Integer, List<Double>> e : rates.entrySet()) {
            double m = median(e.getValue());
            out.printf("median nodes=%d msgs_per_s=%.0f per_node=%.0f ratio_to_1_node=%s node_cpu_us_per_msg=%.0f%n", e.getKey(), m,
                    m / e.getKey(), one > 0 ? String.format("%.2f", m / one) : "n/a", median(cpus.get(e.getKey())));
        }
    }

    private void kill(FleetSink sink) throws Exception {
        out.printf("# kill: %d nodes, %d messages, the second node SIGKILLed once 30%% are delivered, restarted 2 s later%n",
                killNodes, messages);
        for (int round = 1; round <= killRounds; round++) {
            Fleet f = startFleet(sink, killNodes, List.of());
            try {
                if (!f.warm(sink)) {
                    continue;
                }
                String prefix = f.prefix + "t.";
                long t0 = System.nanoTime();
                publish(f.topic, prefix, messages);
                awaitDelivered(sink, prefix, messages * 3 / 10, timeoutFor(messages));
                long atKill = sink.distinct(prefix);
                FleetNode victim = f.nodes.get(1);
                // its re-delivery window just before the kill: what the next owner may read again
                double window = victim.metric("postilion_kafka_uncommitted_requests");
                victim.kill();
                Mono.delay(Duration.ofSeconds(2)).block(); // a supervisor's restart delay
                victim.start();
                boolean all = awaitDelivered(sink, prefix, messages, timeoutFor(messages) + 120);
                sink.awaitQuiet(Duration.ofSeconds(5), Duration.ofSeconds(60)); // re-deliveries still on their way
                long delivered = sink.distinct(prefix);
                long lost = messages - delivered;
                long duplicates = sink.duplicates(prefix);
                if (!all || lost != 0) {
                    failed = true;
                }
                out.printf("kill round=%d published=%d delivered=%d lost=%d duplicates=%d delivered_at_kill=%d"
                                + " victim_uncommitted_before_kill=%.0f seconds=%.1f%n",
                        round, messages, delivered, lost, duplicates, atKill, window, (sink.lastDeliveryNanos() - t0) / 1e9);
            } finally {
                f.stop();
            }
        }
    }

    private void limit(FleetSink sink) throws Exception {
        out.printf("# limit: %d nodes, smtp_destination_concurrency_limit=%d, %d messages, the sink answers the content"
                + " after %d ms; shared (redis_url set) and local (each node its own limit) alternating%n", killNodes, limit,
                limitMessages, dataDelay.toMillis());
        List<Integer> sharedPeaks = new ArrayList<>();
        for (int round = 1; round <= limitRounds; round++) {
            for (boolean shared : List.of(true, false)) {
                List<String> extra = new ArrayList<>(List.of("smtp_destination_concurrency_limit=" + limit));
                if (shared) {
                    extra.add("redis_url=" + redisUrl);
                }
                Fleet f = startFleet(sink, killNodes, extra);
                try {
                    String prefix = f.prefix + "t.";
                    sink.resetPeaks();
                    long t0 = System.nanoTime();
                    publish(f.topic, prefix, limitMessages);
                    boolean all = awaitDelivered(sink, prefix, limitMessages, timeoutFor(limitMessages) + limitMessages
                            * dataDelay.toMillis() / 1000 / Math.max(1, limit));
                    if (!all) {
                        failed = true;
                    }
                    int maxTx = sink.maxInTransaction();
                    if (shared) {
                        sharedPeaks.add(Math.max(maxTx, sink.maxOpen()));
                        if (maxTx > limit * 1.05 || sink.maxOpen() > limit * 1.05) {
                            failed = true; // the issue's bar: the fleet holds its limit within 5%
                        }
                    }
                    out.printf("limit %s round=%d max_connections=%d max_transactions=%d limit=%d msgs_per_s=%.0f delivered=%d%n",
                            shared ? "shared" : "local", round, sink.maxOpen(), maxTx, limit,
                            sink.distinct(prefix) / ((sink.lastDeliveryNanos() - t0) / 1e9), sink.distinct(prefix));
                } finally {
                    f.stop();
                }
            }
        }
        out.printf("limit shared: most connections or transactions at once %s against a fleet-wide limit of %d%n",
                sharedPeaks.stream().mapToInt(Integer::intValue).max().orElse(-1), limit);
    }

    // ---- one fleet

    /** CPU seconds used by the nodes, the broker and this process. */
    private record Cpu(double nodes, double broker, double harness) {
        Cpu minus(Cpu o) {
            return new Cpu(nodes - o.nodes, broker - o.broker, harness - o.harness);
        }

        double all() {
            return nodes + broker + harness;
        }
    }

    /** The nodes of one round, with their topic and group. */
    private final class Fleet {
        final String prefix;
        final String topic;
        final List<FleetNode> nodes = new ArrayList<>();

        Fleet(String prefix, String topic) {
            this.prefix = prefix;
            this.topic = topic;
        }

        /** Publishes {@code warmup} requests per node and waits for them; false (and failed) when they do not arrive. */
        boolean warm(FleetSink sink) throws Exception {
            int count = warmup * nodes.size();
            if (count == 0) {
                return true;
            }
            String p = prefix + "w.";
            publish(topic, p, count);
            if (!awaitDelivered(sink, p, count, timeoutFor(count))) {
                failed = true;
                out.printf("warm-up of %d nodes: only %d of %d delivered in time%n", nodes.size(), sink.distinct(p), count);
                return false;
            }
            return true;
        }

        Cpu cpu() {
            double n = nodes.stream().mapToDouble(FleetNode::cpuSeconds).sum();
            return new Cpu(n, brokerCpu(), ProcessCpu.own(ProcessHandle.current().pid(), false));
        }

        void stop() throws InterruptedException {
            for (FleetNode node : nodes) {
                node.stop();
            }
        }
    }

    private Fleet startFleet(FleetSink sink, int n, List<String> extra) throws Exception {
        int number = ++fleetNumber;
        String prefix = run + "." + number + ".";
        String topic = "bench." + run + "." + number + ".requests";
        String group = "bench-" + run + "-" + number;
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        Fleet f = new Fleet(prefix, topic);
        List<String> options = new ArrayList<>(List.of("kafka_bootstrap_servers=" + bootstrap, "kafka_request_topic=" + topic,
                "kafka_result_topic=bench." + run + ".results", "kafka_group_id=" + group, "inet_interfaces=127.0.0.254",
                "relayhost=[127.0.0.1]:" + sink.port(), "minimal_backoff_time=1s", "maximal_backoff_time=2s"));
        options.addAll(extra);
        List<String> javaCommand = List.of(java, "-XX:+UseSerialGC", "-Xmx512m");
        try {
            for (int i = 1; i <= n; i++) {
                FleetNode node = new FleetNode("node" + i, work.resolve("fleet" + number + "/node" + i), javaCommand, jar,
                        options);
                f.nodes.add(node);
                node.start();
            }
            awaitGroup(group, n);
        } catch (Exception e) {
            f.stop();
            throw e;
        }
        return f;
    }

    /** Waits until the group has n members and is stable, so that no round starts with a rebalance pending. */
    private void awaitGroup(String group, int n) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < until) {
            ConsumerGroupDescription d;
            try {
                d = admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException)) {
                    throw e;
                }
                d = null; // no member has joined yet
            }
            if (d != null && d.groupState() == GroupState.STABLE && d.members().size() == n
                    && d.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
                return;
            }
            Mono.delay(Duration.ofMillis(200)).block(); // the next look at the group
        }
        throw new IllegalStateException("group " + group + " did not settle with " + n + " members within 90 s");
    }

    // ---- requests

    private Properties producerProperties() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "postilion-fleet-bench");
        return p;
    }

    /**
     * Publishes {@code count} requests with ids prefix0..; each to one recipient at one of
     * 4 x partitions domains, keyed by the domain and spread evenly over the partitions (an
     * application partitions by destination domain).
     */
    private void publish(String topic, String prefix, int count) throws Exception {
        int domains = partitions * 4;
        byte[] filler = filler();
        for (int i = 0; i < count; i++) {
            int d = i % domains;
            String domain = "d" + d + ".fleet.test";
            String id = prefix + i;
            byte[] head = ("X-Fleet-Id: " + id + "\r\nFrom: <bench@fleet.bench>\r\nTo: <u" + i + "@" + domain
                    + ">\r\nSubject: fleet bench " + id + "\r\nMessage-ID: <" + id + "@fleet.bench>\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            byte[] content = new byte[head.length + filler.length];
            System.arraycopy(head, 0, content, 0, head.length);
            System.arraycopy(filler, 0, content, head.length, filler.length);
            DeliveryRequestRecord r = new DeliveryRequestRecord("bench@fleet.bench",
                    List.of(new ReceivedMessage.Recipient("u" + i + "@" + domain, Set.of(), "")), false, false, "", Ret.NONE,
                    content);
            producer.send(new ProducerRecord<>(topic, d % partitions, domain.getBytes(StandardCharsets.US_ASCII),
                    RequestCodec.encode(r)));
        }
        producer.flush();
    }

    /** Body lines of 78 letters to make a message of about {@code size} bytes. */
    private byte[] filler() {
        StringBuilder b = new StringBuilder();
        String line = "x".repeat(76) + "\r\n";
        while (b.length() + line.length() <= Math.max(line.length(), size - 200)) {
            b.append(line);
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    // ---- waiting, bounded

    private static long timeoutFor(int count) {
        return 60 + count / 100; // seconds: at least 100 messages a second, plus start-up
    }

    private static boolean awaitDelivered(FleetSink sink, String prefix, long count, long seconds) throws InterruptedException {
        return sink.awaitDistinct(prefix, count, Duration.ofSeconds(seconds));
    }

    private static double median(List<Double> xs) {
        if (xs == null || xs.isEmpty()) {
            return 0;
        }
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int m = s.size() / 2;
        return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
    }

    // ---- the rig

    private double brokerCpu() {
        try {
            Path pidFile = work.resolve("rig/kafka/kafka.pid");
            if (!Files.isReadable(pidFile)) {
                return 0; // a broker of someone else's (--bootstrap): not counted
            }
            // the recorded pid is timeout(1)'s, which runs the broker's JVM as its child
            return ProcessCpu.tree(Long.parseLong(Files.readString(pidFile).trim()));
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Starts a rig component with its script in this run's directory and returns what it wrote to {@code file}. */
    private String rig(String scriptName, String file) throws Exception {
        script(scriptName, "start");
        return Files.readString(work.resolve("rig").resolve(file), StandardCharsets.US_ASCII).trim();
    }

    private void script(String scriptName, String verb) throws IOException, InterruptedException {
        Path s = scripts.resolve(scriptName);
        if (!Files.isReadable(s)) {
            throw new IOException(s + " not found: run from the project's root or give --scripts");
        }
        ProcessBuilder pb = new ProcessBuilder("bash", s.toString(), verb).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("rig.log").toFile()));
        Files.createDirectories(work.resolve("rig"));
        pb.environment().put("RIG_DIR", work.resolve("rig").toString());
        pb.environment().put("KAFKA_LIFETIME_SECONDS", "3600");
        pb.environment().put("REDIS_MAX_SECONDS", "3600");
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(s + " " + verb + " did not finish in 120 s; see " + work.resolve("rig.log"));
        }
        if (p.exitValue() != 0) {
            throw new IOException(s + " " + verb + " failed (" + p.exitValue() + "): "
                    + Files.readString(work.resolve("rig.log")));
        }
    }
}
