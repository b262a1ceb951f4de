package io.postilion.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.cli.Main;
import io.postilion.transport.netty.NettyTransport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * netty_transport's configuration errors (CLARIFICATIONS 42, 39, 40): an unknown value, and a
 * transport this process cannot run, both stop start-up with exit 78 naming the parameter; an
 * unavailable transport is never replaced by another.
 *
 * <p>The unavailable case runs the relay command in a JVM of its own started with
 * {@code -Dio.netty.transport.noNative=true}, Netty's own switch that makes its epoll and io_uring
 * checks fail: the product's check, Netty's finding, the command's exit status, nothing faked.
 * (io_uring itself works on this machine, so the kernel cannot be asked to refuse it.)
 */
class NettyTransportSettingTest {

    @TempDir
    Path dir;

    @Test
    void anUnknownValueIsAConfigurationError() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> ConfigurationLoader.fromText("netty_transport = kqueue\n", "main.cf", List.of()));
        assertEquals(78, e.exitStatus());
        assertEquals("netty_transport", e.parameter().orElseThrow());
        assertTrue(e.getMessage().contains("kqueue"), e.getMessage());
    }

    @Test
    void theDefaultIsEpollAndEachValueNamesItsTransport() {
        assertEquals(NettyTransport.EPOLL, NettyTransportSetting.from(Configuration.defaults()));
        assertEquals(NettyTransport.NIO, NettyTransportSetting.from(
                ConfigurationLoader.fromText("", "(test)", List.of("netty_transport=nio"))));
    }

    @Test
    void aTransportNettyCannotLoadStopsTheRelayWith78NamingTheParameter() throws Exception {
        for (String transport : new String[] {"io_uring", "epoll"}) {
            Path queue = Files.createDirectories(dir.resolve("queue-" + transport));
            Path stderr = dir.resolve(transport + ".err");
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dio.netty.transport.noNative=true", "-cp", System.getProperty("java.class.path"),
                    Main.class.getName(), "relay", "-o", "netty_transport=" + transport, "-o", "queue_directory=" + queue,
                    "-o", "smtpd_listen=127.0.0.1:0", "-o", "metrics_listen=127.0.0.1:0"));
            Process p = new ProcessBuilder(command).redirectError(stderr.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("the relay did not stop: " + Files.readString(stderr));
            }
            String err = Files.readString(stderr, StandardCharsets.UTF_8);
            assertEquals(78, p.exitValue(), err);
            assertTrue(err.contains("netty_transport = " + transport + ": the " + transport
                    + " transport is not available here"), err);
            assertTrue(err.contains("noNative"), "Netty's reason is given: " + err);
            try (var left = Files.list(queue)) {
                assertFalse(left.findAny().isPresent(), "nothing created in queue_directory before the check");
            }
        }
    }
}
