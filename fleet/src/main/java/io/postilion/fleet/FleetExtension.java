package io.postilion.fleet;

import io.postilion.engine.relay.KafkaSettings;
import io.postilion.engine.relay.Relay;
import io.postilion.engine.relay.RelayExtension;
import io.postilion.engine.relay.RelaySettings;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The fleet as the relay finds it on the class path (META-INF/services): when
 * kafka_bootstrap_servers is set, a started relay publishes its results to kafka_result_topic and
 * consumes requests from kafka_request_topic in group kafka_group_id. The relay starts it once its
 * spool is recovered and stops its intake before it drains deliveries, so that the last results
 * still go out.
 */
public final class FleetExtension implements RelayExtension {

    /** The queue manager's high-water mark for pausing is this many times qmgr_message_active_limit. */
    static final int IN_FLIGHT_PER_ACTIVE = 2;
    /** Requests on their way to the spool at once, at most (one group commit takes many). */
    static final int MAX_PENDING_STORES = 512;

    @Override
    public boolean serves(String parameter) {
        return "kafka_bootstrap_servers".equals(parameter);
    }

    @Override
    public boolean wanted(RelaySettings settings) {
        return settings.kafka().enabled();
    }

    @Override
    public Running start(Relay relay, RelaySettings settings) {
        KafkaSettings k = settings.kafka();
        String host = settings.cfg().string("myhostname");
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(k, host), new ByteArraySerializer(),
                new ByteArraySerializer());
        ResultPublisher publisher = new ResultPublisher(producer, k.resultTopic()).start(relay.results());
        FleetMeters.register(relay.meterRegistry(), publisher);
        KafkaIngress ingress;
        try {
            int active = settings.cfg().integer("qmgr_message_active_limit");
            KafkaIngress.Limits limits = new KafkaIngress.Limits(k.requestTopic(), host,
                    settings.listener().messageSizeLimit(), MAX_PENDING_STORES,
                    (int) Math.min(Integer.MAX_VALUE, Math.max(2L, (long) active * IN_FLIGHT_PER_ACTIVE)));
            ingress = new KafkaIngress(new KafkaConsumer<>(consumerProperties(k, host), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer()), relay.ingress(), limits, Clock.systemUTC()).start();
            FleetMeters.register(relay.meterRegistry(), ingress);
        } catch (RuntimeException e) {
            publisher.close();
            throw e;
        }
        Duration grace = settings.graceTime();
        return new Running() {
            @Override
            public void stopIntake() {
                ingress.stop(grace);
            }

            @Override
            public void close() {
                ingress.stop(Duration.ZERO);
                publisher.close();
            }
        };
    }

    static Properties consumerProperties(KafkaSettings k, String host) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", k.bootstrapServers()));
        p.put(ConsumerConfig.GROUP_ID_CONFIG, k.groupId());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "postilion-" + host);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"); // commits follow the spool (KafkaIngress)
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"); // a new group misses nothing published before it
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "200");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return p;
    }

    static Properties producerProperties(KafkaSettings k, String host) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", k.bootstrapServers()));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "postilion-results-" + host);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return p;
    }
}
