package io.postilion.engine.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.netty.http.client.HttpClient;

class MetricsEndpointTest {

    @Test
    void metricsAreServedInThePrometheusTextFormatAndMove() {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry,
                routes -> routes.get("/health", (req, res) -> res.sendString(reactor.core.publisher.Mono.just("ok"))))
                .block(Duration.ofSeconds(10))) {
            HttpClient http = HttpClient.create().baseUrl("http://127.0.0.1:" + endpoint.port());
            registry.counter("postilion_test_events").increment(3);

            var response = http.get().uri("/metrics").responseSingle((res, body) -> body.asString()
                    .map(text -> new String[] {res.responseHeaders().get("Content-Type"), text}))
                    .block(Duration.ofSeconds(10));
            assertTrue(response[0].startsWith("text/plain; version=0.0.4"), response[0]);
            assertTrue(response[1].contains("postilion_test_events_total 3.0"), response[1]);
            assertTrue(response[1].contains("jvm_memory_used_bytes"), "JVM meters are bound");

            registry.counter("postilion_test_events").increment();
            String again = http.get().uri("/metrics").responseContent().aggregate().asString().block(Duration.ofSeconds(10));
            assertTrue(again.contains("postilion_test_events_total 4.0"), "the figures move");

            assertEquals("ok", http.get().uri("/health").responseContent().aggregate().asString()
                    .block(Duration.ofSeconds(10)));
            assertEquals(404, http.get().uri("/nothing").response().block(Duration.ofSeconds(10)).status().code());
        }
    }
}
