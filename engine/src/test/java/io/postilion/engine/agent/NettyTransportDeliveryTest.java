package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.netty.NettyTransport;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * netty_transport (CLARIFICATIONS 42) in the delivery agent built from main.cf text: a message is
 * delivered over SMTP to a scripted server on loopback, and over LMTP to one on a UNIX socket, with
 * each transport, and the work of the delivery ran on that transport's event loops. The evidence is
 * the thread the agent's report is completed on: the session's replies are read on the connection's
 * event loop, and Netty registers a channel only with a loop of its own kind (an epoll loop takes
 * epoll channels only), so a report completed on {@code postilion-io_uring-...} came from an
 * io_uring connection. The fake server runs on NIO whatever the agent uses, so it cannot tell.
 */
class NettyTransportDeliveryTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final AgentTestBed bed = new AgentTestBed();

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private static void assumeAvailable(String transport) {
        Throwable cause = NettyTransport.byName(transport).orElseThrow().unavailabilityCause();
        Assumptions.assumeTrue(cause == null, () -> transport + " is not available here: " + cause);
    }

    private static DeliveryRequest request(String queueId, String nexthop) {
        return DeliveryRequest.builder(queueId, "s@client.test", nexthop)
                .content(ContentSource.of("Subject: transport\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build();
    }

    /** Delivers, and returns the report with the name of the thread it was completed on. */
    private static DeliveryReport deliver(DeliveryAgent agent, DeliveryRequest request, AtomicReference<String> thread) {
        return agent.deliver(request).doOnNext(r -> thread.set(Thread.currentThread().getName())).block(WAIT);
    }

    private static void assertSent(DeliveryReport r) {
        RecipientResult x = r.results().get(0);
        assertEquals(Outcome.SENT, x.outcome(), x.status().text() + " " + x.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio", "io_uring"})
    void anSmtpDeliveryRunsOnTheTransportNettyTransportNames(String transport) {
        assumeAvailable(transport);
        FakeSmtpServer server = bed.server("127.0.0.1").capabilities("PIPELINING", "8BITMIME");
        DeliveryAgent agent = bed.agent(DeliveryAgent.builder(AgentTestBed.config(List.of("netty_transport=" + transport))));
        AtomicReference<String> thread = new AtomicReference<>();

        DeliveryReport r = deliver(agent, request("4NT1", "[127.0.0.1]:" + server.port()), thread);

        assertSent(r);
        assertEquals(1, server.contents().size());
        assertTrue(thread.get().startsWith("postilion-" + transport + "-"), thread.get());
    }

    /** LMTP to unix:/path: Reactor Netty has no io_uring UNIX-socket class of its own, so the transport names Netty's. */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio", "io_uring"})
    void anLmtpDeliveryOverAUnixSocketRunsOnTheTransportNettyTransportNames(String transport) {
        assumeAvailable(transport);
        Path socket = dir.resolve("lmtp.sock");
        FakeSmtpServer server = bed.closed(FakeSmtpServer.startUnix(socket).lmtp(true));
        DeliveryAgent agent = bed.agent(DeliveryAgent.builder(AgentTestBed.config(List.of("netty_transport=" + transport)))
                .lmtp());
        AtomicReference<String> thread = new AtomicReference<>();

        DeliveryReport r = deliver(agent, request("4NT2", "unix:" + socket), thread);

        assertSent(r);
        assertEquals(1, server.contents().size());
        assertTrue(thread.get().startsWith("postilion-" + transport + "-"), thread.get());
    }
}
