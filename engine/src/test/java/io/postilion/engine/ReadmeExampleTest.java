package io.postilion.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.agent.DeliveryAgent;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.QueueIds;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.scheduler.DeliveryScheduler;
import io.postilion.engine.scheduler.SchedulerSettings;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * The README's "Use it as a library" example, run: the same lines, against the in-JVM fake SMTP
 * server, so the example compiles and delivers. A second test keeps README and this file in step.
 */
class ReadmeExampleTest {

    private FakeSmtpServer server;

    @BeforeEach
    void startServer() {
        server = FakeSmtpServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void theReadmeExampleDeliversOneMessageThenAStreamOfThem() {
        String nexthop = "[127.0.0.1]:" + server.port();
        // ---- README.md, "Use it as a library", from here ...
        Configuration cfg = ConfigurationLoader.fromText("myhostname = app.example.test\n", "app", List.of());
        DeliveryAgent agent = DeliveryAgent.builder(cfg).build();
        byte[] message = "Subject: hello\r\n\r\nfrom a library\r\n".getBytes(StandardCharsets.US_ASCII);

        // One message; no queue id given, so the library makes one. Nothing fails with an exception:
        // each recipient ends sent, deferred or bounced, with its DSN status and the server's reply.
        DeliveryRequest request = DeliveryRequest.builder("app@example.test", nexthop)
                .recipient("user@example.test").content(ContentSource.of(message)).build();
        DeliveryReport report = agent.deliver(request).block();
        report.results().forEach(r -> System.out.println(report.queueId() + " " + r.recipient().address()
                + " " + r.outcome() + " " + r.status() + " " + r.reason()));

        // Many messages: the scheduler applies Postfix's per-destination concurrency windows and
        // asks the source for more only as deliveries end (backpressure).
        DeliveryScheduler scheduler = new DeliveryScheduler(SchedulerSettings.fromConfiguration(cfg), agent);
        Flux<DeliveryRequest> requests = Flux.range(1, 20).map(i -> DeliveryRequest.builder("app@example.test", nexthop)
                .recipient("user" + i + "@example.test").content(ContentSource.of(message)).build());
        long sent = scheduler.schedule(requests).flatMapIterable(DeliveryReport::results)
                .filter(r -> r.outcome() == Outcome.SENT).count().block();
        agent.close();
        // ---- ... to here.

        assertTrue(QueueIds.looksLikeOne(report.queueId()), report.queueId());
        assertEquals(1, report.results().size());
        assertEquals(Outcome.SENT, report.results().get(0).outcome(), report.results().get(0).reason());
        assertEquals(20, sent);
        assertEquals(21, server.contents().size());
        String first = new String(server.contents().get(0), StandardCharsets.US_ASCII);
        assertTrue(first.contains("Subject: hello") && first.contains("from a library"), first);
        assertTrue(server.commands().contains("RCPT TO:<user@example.test>"), server.commands().toString());
        assertTrue(server.commands().contains("RCPT TO:<user20@example.test>"), server.commands().toString());
    }

    @Test
    void theReadmeShowsTheLinesThisTestRuns() throws IOException {
        List<String> example = javaBlockOf(readme(), "## Use it as a library");
        assertTrue(example.size() >= 15, "the README's example: " + example);
        String source = Files.readString(Path.of("src/test/java/io/postilion/engine/ReadmeExampleTest.java"));
        List<String> here = source.lines().map(String::strip).toList();
        List<String> missing = new ArrayList<>();
        for (String line : example) {
            if (!here.contains(line)) {
                missing.add(line);
            }
        }
        assertTrue(missing.isEmpty(), "README lines this test does not run: " + missing);
    }

    @Test
    void theReadmeNamesTheMavenCoordinates() throws IOException {
        String section = section(readme(), "## Use it as a library");
        assertTrue(section.contains("<groupId>io.postilion</groupId>"), section);
        assertTrue(section.contains("<artifactId>postilion-engine</artifactId>"), section);
        assertFalse(section.isBlank());
    }

    private static String readme() throws IOException {
        return Files.readString(Path.of("..", "README.md")); // surefire runs in engine/
    }

    private static String section(String readme, String heading) {
        int start = readme.indexOf("\n" + heading + "\n");
        assertTrue(start >= 0, "README has no section " + heading);
        int end = readme.indexOf("\n## ", start + heading.length() + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    /** The stripped, non-blank lines of the section's first ```java block, imports left out. */
    private static List<String> javaBlockOf(String readme, String heading) {
        String section = section(readme, heading);
        int open = section.indexOf("```java\n");
        assertTrue(open >= 0, "no java block under " + heading);
        int close = section.indexOf("```", open + 8);
        return section.substring(open + 8, close).lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("import ")).toList();
    }
}
