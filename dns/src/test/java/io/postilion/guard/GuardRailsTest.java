package io.postilion.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Proves that each guard rail of the build is switched on and bites: a leaked buffer, a blocking
 * call on a non-blocking thread and a hanging test each end in a failure, not a log line.
 */
class GuardRailsTest {

    @Test
    void anUnreleasedByteBufIsReportedByTheLeakGuard() {
        leakOneBuffer();
        List<String> leaks = List.of();
        for (int i = 0; i < 20 && leaks.isEmpty(); i++) {
            leaks = LeakGuard.sweep(1);
        }
        assertFalse(leaks.isEmpty(), "the leak detector reported nothing for an unreleased buffer");
        assertTrue(leaks.get(0).contains("ByteBuf.release() was not called"), leaks.get(0));
        assertTrue(leaks.get(0).contains("leakOneBuffer"), "the report names the allocating method: " + leaks.get(0));
    }

    @Test
    void aTestThatLeaksABufferFails() {
        // EngineTestKit does not read junit-platform.properties; pass on what the build uses.
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled",
                        buildProperties().getProperty("junit.jupiter.extensions.autodetection.enabled"))
                .selectors(selectClass(LeakingCase.class))
                .execute();
        List<Event> failures = results.allEvents().failed().list();
        assertFalse(failures.isEmpty(), "a leaking test class passed");
        String message = failures.get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable)
                .map(Throwable::getMessage).orElse("");
        assertTrue(message.contains("leaked buffer"), message);
    }

    @Test
    void aBlockingCallOnAParallelThreadFailsWithBlockHoundsError() {
        Throwable error = Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                })
                .subscribeOn(Schedulers.parallel())
                .map(Object.class::cast)
                .onErrorResume(Mono::just)
                .block(Duration.ofSeconds(10)) instanceof Throwable t ? t : null;
        assertTrue(error instanceof BlockingOperationError, "BlockHound did not catch Thread.sleep: " + error);
        assertTrue(error.getMessage().contains("java.lang.Thread.sleep"), error.getMessage());
    }

    @Test
    void aFileChannelWriteOnAParallelThreadIsCaught() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("guard", ".bin");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE)) {
            Object outcome = Mono.fromCallable(() -> ch.write(java.nio.ByteBuffer.wrap(new byte[] {1})))
                    .subscribeOn(Schedulers.parallel())
                    .map(Object.class::cast)
                    .onErrorResume(Mono::just)
                    .block(Duration.ofSeconds(10));
            assertTrue(outcome instanceof BlockingOperationError, "file write not caught: " + outcome);
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void aHangingTestFailsByTheDefaultTimeoutWithAThreadDump() {
        Properties props = buildProperties();
        assertEquals("enabled", props.getProperty("junit.jupiter.execution.timeout.mode"));
        assertEquals("true", props.getProperty("junit.jupiter.execution.timeout.threaddump.enabled"));
        Duration configured = parseJunitDuration(props.getProperty("junit.jupiter.execution.timeout.default"));
        assertTrue(configured.compareTo(Duration.ofMinutes(5)) <= 0, "default timeout too long: " + configured);

        // The same mechanism, shortened so that this proof does not itself wait a minute.
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .configurationParameter("junit.jupiter.execution.timeout.default", "300 ms")
                .selectors(selectClass(HangingCase.class))
                .execute();
        Throwable thrown = results.testEvents().failed().list().get(0)
                .getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).orElseThrow();
        assertTrue(thrown instanceof TimeoutException, "expected a timeout, got " + thrown);
    }

    private static Properties buildProperties() {
        Properties props = new Properties();
        try (InputStream in = GuardRailsTest.class.getResourceAsStream("/junit-platform.properties")) {
            props.load(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return props;
    }

    private static Duration parseJunitDuration(String text) {
        String[] parts = text.trim().split("\\s+");
        long n = Long.parseLong(parts[0]);
        String unit = parts.length > 1 ? parts[1] : "s";
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> throw new IllegalArgumentException(text);
        };
    }

    private static void leakOneBuffer() {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        buf.writeLong(42L);
        buf.touch("leakOneBuffer");
    }

    /** Run only through EngineTestKit above (Surefire skips nested classes). */
    static class LeakingCase {
        @Test
        void leaks() {
            leakOneBuffer();
        }
    }

    /** Run only through EngineTestKit above. */
    static class HangingCase {
        @Test
        void hangs() {
            LockSupport.parkNanos(Duration.ofSeconds(30).toNanos());
        }
    }
}
