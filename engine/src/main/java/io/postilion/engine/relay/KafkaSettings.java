package io.postilion.engine.relay;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The fleet's Kafka parameters, checked with the rest of the relay's configuration before
 * anything is touched (CLARIFICATIONS 40, 43): the engine reads and checks them, the fleet module
 * acts on them. An empty kafka_bootstrap_servers leaves Kafka off.
 *
 * @param bootstrapServers kafka_bootstrap_servers, host:port each; empty = off
 * @param requestTopic kafka_request_topic, where delivery requests are consumed from
 * @param resultTopic kafka_result_topic, where per-recipient results are published
 * @param groupId kafka_group_id, the consumer group the relay nodes share
 */
public record KafkaSettings(List<String> bootstrapServers, String requestTopic, String resultTopic, String groupId) {

    /** Kafka's own rule for topic names (legal characters, at most 249 of them). */
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final Pattern SERVER = Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9._-]+):[0-9]{1,5}");

    public KafkaSettings {
        bootstrapServers = List.copyOf(bootstrapServers);
        Objects.requireNonNull(requestTopic, "requestTopic");
        Objects.requireNonNull(resultTopic, "resultTopic");
        Objects.requireNonNull(groupId, "groupId");
    }

    /** Whether the relay is to take requests from Kafka and publish results there. */
    public boolean enabled() {
        return !bootstrapServers.isEmpty();
    }

    /** @throws ConfigurationException (78) naming the first value that cannot be used */
    public static KafkaSettings from(Configuration cfg) {
        List<String> servers = cfg.list("kafka_bootstrap_servers");
        for (String s : servers) {
            int port = SERVER.matcher(s).matches() ? Integer.parseInt(s.substring(s.lastIndexOf(':') + 1)) : 0;
            if (port < 1 || port > 65535) {
                throw bad("kafka_bootstrap_servers", cfg, "expected host:port");
            }
        }
        String request = topic(cfg, "kafka_request_topic");
        String result = topic(cfg, "kafka_result_topic");
        if (request.equals(result)) {
            throw bad("kafka_result_topic", cfg, "the result topic must differ from kafka_request_topic");
        }
        String group = cfg.string("kafka_group_id").trim();
        if (group.isEmpty()) {
            throw bad("kafka_group_id", cfg, "a consumer group id is needed");
        }
        return new KafkaSettings(servers, request, result, group);
    }

    private static String topic(Configuration cfg, String name) {
        String t = cfg.string(name).trim();
        if (!TOPIC.matcher(t).matches() || t.equals(".") || t.equals("..")) {
            throw bad(name, cfg, "a Kafka topic name is 1 to 249 of a-z A-Z 0-9 . _ -");
        }
        return t;
    }

    private static ConfigurationException bad(String name, Configuration cfg, String why) {
        return ConfigurationException.badValue(name, "bad value for parameter " + name + " = '" + cfg.string(name) + "': " + why);
    }
}
