package io.postilion.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The relay's own account of itself, read the way an operator reads it: its Prometheus /metrics
 * page. The harnesses trust these figures only alongside what they see themselves (the sink's
 * count, the files left in queue_directory); they are how the heap bench learns what the relay
 * still holds in memory (messages in flight, retry timers), and how the fleet bench learns a
 * node's re-delivery window.
 */
public final class RelayMetrics {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI uri;

    public RelayMetrics(int port) {
        this.uri = URI.create("http://127.0.0.1:" + port + "/metrics");
    }

    /** One scrape: every sample line as series (name and labels, as printed) to value. */
    public Map<String, Double> scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(uri + " answered " + r.statusCode());
        }
        return parse(r.body());
    }

    public static Map<String, Double> parse(String text) {
        Map<String, Double> values = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            if (space > 0) {
                try {
                    values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                } catch (NumberFormatException notANumber) {
                    // a line we do not need
                }
            }
        }
        return values;
    }

    /** The value of {@code series} in a scrape; -1 when the relay does not export it (so a check on it fails). */
    public static long get(Map<String, Double> scrape, String series) {
        Double v = scrape.get(series);
        return v == null ? -1 : Math.round(v);
    }
}
