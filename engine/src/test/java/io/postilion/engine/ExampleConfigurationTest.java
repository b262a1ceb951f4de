package io.postilion.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.relay.RelaySettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * docs/examples/ as the relay sees it: the example main.cf passes the relay's whole start-up
 * check (RelaySettings, what stops a start with exit 78), and the systemd unit agrees with it on
 * the queue directory and on which exit statuses are not worth a restart.
 */
class ExampleConfigurationTest {

    private static final Path EXAMPLES = Path.of("..", "docs", "examples"); // surefire runs in engine/

    @Test
    void theExampleMainCfPassesTheRelaysStartUpCheckWithoutWarnings() {
        Configuration cfg = ConfigurationLoader.load(EXAMPLES.resolve("main.cf"), List.of());
        RelaySettings settings = RelaySettings.from(cfg);
        assertTrue(cfg.warnings().isEmpty(), "warnings: " + cfg.warnings());
        assertEquals("127.0.0.1", settings.listener().bind().getHostString());
        assertEquals(2525, settings.listener().bind().getPort());
        assertEquals(9464, settings.metricsListen().getPort());
    }

    @Test
    void theUnitMayWriteExactlyTheQueueDirectoryOfTheExampleMainCf() throws IOException {
        Configuration cfg = ConfigurationLoader.load(EXAMPLES.resolve("main.cf"), List.of());
        Map<String, List<String>> unit = unit();
        String queue = cfg.string("queue_directory");
        assertTrue(Path.of(queue).isAbsolute(), queue);
        assertEquals(List.of(queue), unit.get("ReadWritePaths"));
        assertEquals(List.of(queue), unit.get("WorkingDirectory"));
        assertTrue(unit.get("ExecStart").get(0).contains("relay --config /etc/postilion/main.cf"), unit.toString());
    }

    @Test
    void theUnitIsHardenedAndRestartsOnlyWhatARestartCanMend() throws IOException {
        Map<String, List<String>> unit = unit();
        assertEquals(List.of("postilion"), unit.get("User"));
        assertEquals(List.of("strict"), unit.get("ProtectSystem"));
        assertEquals(List.of("yes"), unit.get("NoNewPrivileges"));
        assertEquals(List.of("yes"), unit.get("PrivateTmp"));
        assertEquals(List.of("yes"), unit.get("ProtectHome"));
        assertEquals(List.of(""), unit.get("CapabilityBoundingSet"));
        assertEquals(List.of("on-failure"), unit.get("Restart"));
        // 64 (usage) and 78 (configuration) need a person; 70 (a spool lane failed) needs a restart.
        assertEquals(List.of("64 78"), unit.get("RestartPreventExitStatus"));
    }

    /** The unit's settings, name to values in order (comments and section headers left out). */
    private static Map<String, List<String>> unit() throws IOException {
        return Files.readAllLines(EXAMPLES.resolve("postilion.service")).stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#") && !l.startsWith("[") && l.contains("="))
                .collect(Collectors.groupingBy(l -> l.substring(0, l.indexOf('=')),
                        Collectors.mapping(l -> l.substring(l.indexOf('=') + 1), Collectors.toList())));
    }
}
