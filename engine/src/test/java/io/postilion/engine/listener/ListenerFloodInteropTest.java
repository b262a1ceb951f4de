package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.cli.RelayProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SMTPD-1 as the issue states it, against {@code postilion relay} in a JVM of its own with a
 * 256 MB heap: two outsiders pipeline 16 MB each of NOOP and EHLO and never read a reply, with the
 * junk and error limits raised to 1,000,000 so only back-pressure can save the relay; then a
 * client from mynetworks must get its 220 within 5 s. Prints the figure.
 */
@Tag("interop")
class ListenerFloodInteropTest {

    @TempDir
    Path dir;

    @Test
    void smtpd1_after16MbOfUnreadPipelinedCommandsA256MbRelayStillGreetsWithin5s() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try (RelayProcess relay = RelayProcess.start(dir.resolve("relay.log"), List.of("-Xmx256m"), "myhostname=relay.test",
                "inet_interfaces=127.0.0.254", "smtpd_listen=127.0.0.1:0", "metrics_listen=127.0.0.1:0",
                "mynetworks=127.0.0.1/32", "queue_directory=" + dir.resolve("spool"), "smtpd_junk_command_limit=1000000",
                "smtpd_hard_error_limit=1000000", "smtpd_soft_error_limit=1000000")) {
            int smtp = relay.smtpPort();

            AtomicLong written = new AtomicLong();
            List<Thread> flooders = new ArrayList<>();
            for (String command : List.of("NOOP\r\n", "EHLO flood.test\r\n")) {
                Socket s = new Socket();
                sockets.add(s);
                s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.5"), 0));
                s.connect(new InetSocketAddress("127.0.0.1", smtp), 3000);
                byte[] chunk = command.repeat(8192).getBytes(StandardCharsets.US_ASCII);
                Thread t = new Thread(() -> {
                    try {
                        OutputStream out = s.getOutputStream();
                        for (long n = 0; n < 16L << 20; n += chunk.length) {
                            out.write(chunk);
                            written.addAndGet(chunk.length);
                        }
                    } catch (IOException closed) {
                        // ended by the test
                    }
                });
                t.setDaemon(true);
                t.start();
                flooders.add(t);
            }
            long floodEnds = System.nanoTime() + 10_000_000_000L;
            for (Thread t : flooders) {
                t.join(Math.max(1, (floodEnds - System.nanoTime()) / 1_000_000));
            }
            long t0 = System.nanoTime();
            String greeting;
            try (Socket c = new Socket()) {
                c.connect(new InetSocketAddress("127.0.0.1", smtp), 5000);
                c.setSoTimeout(5000);
                greeting = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("SMTPD-1 flood: %d bytes of unread NOOP/EHLO taken by TCP in 10 s (of %d offered); "
                    + "a mynetworks client got %s after %d ms; relay heap -Xmx256m%n", written.get(), 2 * (16L << 20),
                    greeting, ms);
            assertTrue(greeting != null && greeting.startsWith("220 "), "greeting: " + greeting);
            assertTrue(ms < 5000, "220 after " + ms + " ms");
            assertTrue(relay.isAlive(), "the relay died");
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
