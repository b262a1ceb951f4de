package io.postilion.engine.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * http_idle_timeout and http_connection_limit on a running HTTP listener (the metrics one; the
 * TCP admin listener applies the same limits): a connection over the cap is closed at once, one
 * that stops half-way through a request is closed after the idle timeout.
 */
class HttpListenerLimitsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void theParametersAreReadWithTheirDefaults() {
        assertEquals(HttpListenerLimits.defaults(), HttpListenerLimits.from(ConfigurationLoader.fromText("", "t", List.of())));
        assertEquals(new HttpListenerLimits(Duration.ofSeconds(5), 3), HttpListenerLimits.from(ConfigurationLoader.fromText(
                "http_idle_timeout = 5s\nhttp_connection_limit = 3\n", "t", List.of())));
    }

    @Test
    void aConnectionBeyondTheCapIsClosedAtOnce() throws Exception {
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0),
                MetricsEndpoint.newRegistry(), new HttpListenerLimits(Duration.ofSeconds(60), 2)).block(WAIT)) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket s = connect(endpoint.port());
                    held.add(s);
                    // Served once, and kept open: the listener has counted it before the next comes.
                    assertTrue(get(s, true).startsWith("HTTP/1.1 200"), "connection " + i + " within the cap");
                }
                try (Socket third = connect(endpoint.port())) {
                    long t0 = System.nanoTime();
                    assertEquals(-1, readOrTimeout(third, Duration.ofSeconds(5)), "the third connection is closed");
                    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos(), "at once, not after a timeout");
                }
                assertTrue(get(held.get(0), false).startsWith("HTTP/1.1 200"), "the connections within the cap are still served");
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            // The count goes down again as connections close.
            long until = System.nanoTime() + WAIT.toNanos();
            String answer = "";
            while (System.nanoTime() < until && !answer.startsWith("HTTP/1.1 200")) {
                try (Socket again = connect(endpoint.port())) {
                    answer = get(again, false);
                } catch (IOException closedStill) {
                    answer = "";
                }
            }
            assertTrue(answer.startsWith("HTTP/1.1 200"), "served again once the held connections closed: " + answer);
        }
    }

    @Test
    void aConnectionIdleOrHalfWayThroughARequestIsClosedAfterTheIdleTimeout() throws Exception {
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0),
                MetricsEndpoint.newRegistry(), new HttpListenerLimits(Duration.ofMillis(500), 64)).block(WAIT)) {
            for (String sent : List.of("", "GET /metr", "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")) {
                try (Socket s = connect(endpoint.port())) {
                    s.getOutputStream().write(sent.getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    long t0 = System.nanoTime();
                    int first = readOrTimeout(s, Duration.ofSeconds(8));
                    long tookMs = (System.nanoTime() - t0) / 1_000_000;
                    if (first != -1) {
                        // Reactor Netty may answer a timed-out request with a status line first.
                        assertEquals(-1, drain(s), "closed after the answer, having sent '" + sent + "'");
                    }
                    assertTrue(tookMs >= 300 && tookMs < 5_000, "closed after about 500 ms, having sent '" + sent + "': "
                            + tookMs + " ms");
                }
            }
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        return s;
    }

    /** The first byte read, -1 at end of stream, or fails when nothing comes within {@code limit}. */
    private static int readOrTimeout(Socket s, Duration limit) throws IOException {
        s.setSoTimeout((int) limit.toMillis());
        try {
            return s.getInputStream().read();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("still open after " + limit);
        } catch (IOException reset) {
            return -1;
        }
    }

    private static int drain(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        try {
            while (in.read() != -1) {
                // the rest of the answer
            }
        } catch (IOException reset) {
            // closed
        }
        return -1;
    }

    /** Sends a GET and returns the whole answer; {@code keepAlive} leaves the connection open. */
    private static String get(Socket s, boolean keepAlive) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (keepAlive ? "" : "Connection: close\r\n") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return head.toString();
            }
            head.append((char) b);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        if (m.find()) {
            in.readNBytes(Integer.parseInt(m.group(1)));
        } else if (head.toString().toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
            readChunks(in);
        }
        return head.toString();
    }

    private static void readChunks(InputStream in) throws IOException {
        while (true) {
            StringBuilder line = new StringBuilder();
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0) {
                    return;
                }
                line.append((char) b);
            }
            int size = Integer.parseInt(line.toString().strip().split(";")[0], 16);
            in.readNBytes(size + 2);
            if (size == 0) {
                return;
            }
        }
    }

}
