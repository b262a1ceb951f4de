package io.postilion.engine.spool;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.relay.QueuedMessage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 at random moments while messages are being stored: every id the child printed (its
 * acknowledgement came) must be recovered. This shows that acknowledgement follows the write and
 * the rename; that it also follows the flushes is shown by the ordering test in SpoolTest
 * (CLARIFICATIONS 25: the page cache outlives a killed process).
 */
class SpoolCrashTest {

    @TempDir
    Path root;

    @Test
    void noAcknowledgedMessageIsLostWhenTheProcessIsKilled() throws Exception {
        Random random = new Random();
        Set<String> acknowledged = new HashSet<>();
        int rounds = 5;
        for (int round = 0; round < rounds; round++) {
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), SpoolCrashChild.class.getName(), root.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            List<String> printed = new ArrayList<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        synchronized (printed) {
                            printed.add(line);
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // the child was killed mid-line
                }
            });
            reader.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline) {
                synchronized (printed) {
                    if (printed.contains("ready")) {
                        break;
                    }
                }
                Thread.sleep(20);
            }
            Thread.sleep(200 + random.nextInt(800));
            child.destroyForcibly();
            assertTrue(child.waitFor(10, TimeUnit.SECONDS), "the child did not die");
            reader.join(5000);
            synchronized (printed) {
                printed.stream().filter(QueueId::looksLikeOne).forEach(acknowledged::add);
            }

            Spool spool = Spool.open(root, new ChannelSpoolFiles(), Clock.systemUTC());
            Set<String> recovered = spool.recover().map(QueuedMessage::queueId).collect(Collectors.toSet())
                    .block(Duration.ofSeconds(30));
            spool.close();
            Set<String> lost = new HashSet<>(acknowledged);
            lost.removeAll(recovered);
            assertTrue(lost.isEmpty(), "round " + round + ": acknowledged but not recovered: " + lost);
        }
        assertTrue(acknowledged.size() > rounds, "the child stored messages: " + acknowledged.size());
    }
}
