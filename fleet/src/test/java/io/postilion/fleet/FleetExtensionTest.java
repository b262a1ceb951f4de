package io.postilion.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.relay.RelayExtension;
import io.postilion.engine.relay.RelaySettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/** With the fleet on the class path, the engine finds it and accepts kafka_bootstrap_servers (no broker needed). */
class FleetExtensionTest {

    @Test
    void theEngineFindsTheFleetAndNoLongerRefusesKafka() {
        List<RelayExtension> installed = RelayExtension.installed();
        assertEquals(1, installed.stream().filter(e -> e instanceof FleetExtension).count(), installed.toString());
        RelaySettings on = RelaySettings.from(ConfigurationLoader.fromText(
                "kafka_bootstrap_servers = 127.0.0.1:9092\nkafka_group_id = g1\n", "main.cf", List.of()));
        assertTrue(new FleetExtension().wanted(on));
        assertEquals("g1", FleetExtension.consumerProperties(on.kafka(), "h").get("group.id"));
        assertEquals("false", FleetExtension.consumerProperties(on.kafka(), "h").get("enable.auto.commit"));
        RelaySettings off = RelaySettings.from(ConfigurationLoader.fromText("", "main.cf", List.of()));
        assertFalse(new FleetExtension().wanted(off), "no Kafka unless configured");
    }
}
