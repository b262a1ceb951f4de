package io.postilion.engine.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.relay.Relay;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.Spool;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.netty.http.client.HttpClient;

/**
 * The relay's /metrics as Prometheus users expect it (issue 17, metrics hygiene): Prometheus's
 * names and units (process_cpu_seconds_total, no nanoseconds), few histogram buckets so an idle
 * relay's scrape stays under 16 KB, and the listener's refusals and AUTH failures counted.
 */
class MetricsHygieneTest {

    @TempDir
    Path dir;

    @Test
    void theScrapeIsSmallInPrometheusUnitsAndCountsRefusals() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start();
                Relay relay = Relay.start(ConfigurationLoader.fromText("myhostname = relay.test\n"
                        + "smtpd_listen = 127.0.0.1:0\nmetrics_listen = 127.0.0.1:0\ninet_interfaces = 127.0.0.254\n"
                        + "mynetworks = 127.0.0.1/32\nqueue_directory = " + dir + "\nrelayhost = [127.0.0.1]:" + server.port()
                        + "\n", "main.cf", List.of()), Spool.open(dir, new ChannelSpoolFiles(), Clock.systemUTC()),
                        Clock.systemUTC())) {
            String idle = scrape(relay);
            System.out.printf("metrics: an idle relay's scrape is %d bytes%n", idle.length());
            assertTrue(idle.length() < 16 * 1024, "an idle scrape of " + idle.length() + " bytes; the largest families: "
                    + largest(idle));
            assertTrue(idle.contains("\nprocess_cpu_seconds_total "), idle);
            assertFalse(Pattern.compile("(?m)^[a-z_]*(_ns_|_nanoseconds)").matcher(idle).find(), "a nanosecond meter");

            try (Socket s = new Socket()) { // an outsider is refused at RCPT
                s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.5"), 0));
                s.connect(new InetSocketAddress("127.0.0.1", relay.smtpPort()), 3000);
                s.setSoTimeout(5000);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = s.getOutputStream();
                in.readLine();
                out.write("HELO x.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n".getBytes(StandardCharsets.US_ASCII));
                in.readLine();
                in.readLine();
                assertTrue(in.readLine().startsWith("554 5.7.1"));
            }
            String busy = scrape(relay);
            assertTrue(busy.contains("postilion_smtpd_rejects_total{reason=\"relay_denied\"} 1.0"), busy);
            assertTrue(busy.contains("postilion_smtpd_auth_failures_total 0.0"), busy);
            Map<String, Integer> buckets = new TreeMap<>();
            Matcher m = Pattern.compile("(?m)^([a-z_]+)_bucket\\{").matcher(busy);
            while (m.find()) {
                buckets.merge(m.group(1), 1, Integer::sum);
            }
            for (var e : buckets.entrySet()) {
                assertTrue(e.getValue() <= 4 * 16, e.getKey() + " has " + e.getValue() + " bucket lines");
            }
            assertEquals(busy.length() < 16 * 1024, true, "a scrape after traffic of " + busy.length() + " bytes");
        }
    }

    /** The eight metric families that take the most bytes of a scrape. */
    private static String largest(String scrape) {
        Map<String, Integer> bytes = new TreeMap<>();
        for (String line : scrape.split("\n")) {
            String name = line.startsWith("#") ? line.split(" ").length > 2 ? line.split(" ")[2] : line
                    : line.split("[{ ]")[0].replaceAll("_(bucket|count|sum|max|total|created)$", "");
            bytes.merge(name, line.length() + 1, Integer::sum);
        }
        return bytes.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(8).toList().toString();
    }

    private static String scrape(Relay relay) {
        return HttpClient.create().baseUrl("http://127.0.0.1:" + relay.metricsPort()).get().uri("/metrics")
                .responseContent().aggregate().asString().block(Duration.ofSeconds(10));
    }
}
