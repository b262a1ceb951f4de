package io.postilion.transport.guard;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import io.postilion.transport.netty.NettyTransport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpClient;
import reactor.netty.tcp.TcpServer;

/**
 * Proves BlockHound guards the event loops this module runs on: a blocking call made inside a
 * Reactor Netty handler fails with BlockHound's error instead of quietly stalling the loop, on
 * Reactor Netty's default loops and on each netty_transport's own loops (which the product uses).
 */
class EventLoopBlockingGuardTest {

    @Test
    void aSleepInsideAReactorNettyHandlerFailsWithBlockHoundsError() throws Exception {
        sleepInAHandlerOf(TcpServer.create(), TcpClient.create());
    }

    @ParameterizedTest
    @EnumSource(NettyTransport.class)
    void aSleepOnTheLoopsOfEachNettyTransportFailsWithBlockHoundsError(NettyTransport transport) throws Exception {
        Throwable cause = transport.unavailabilityCause();
        Assumptions.assumeTrue(cause == null, () -> transport + " is not available here: " + cause);
        sleepInAHandlerOf(TcpServer.create().runOn(transport.loops()), TcpClient.create().runOn(transport.loops()));
    }

    private static void sleepInAHandlerOf(TcpServer tcpServer, TcpClient tcpClient) throws Exception {
        CompletableFuture<Throwable> caught = new CompletableFuture<>();
        DisposableServer server = tcpServer
                .host("127.0.0.1")
                .port(0)
                .handle((in, out) -> Mono.fromRunnable(() -> {
                    try {
                        Thread.sleep(5);
                        caught.complete(null);
                    } catch (Throwable t) {
                        caught.complete(t);
                    }
                }).then(out.sendString(Mono.just("bye")).then()))
                .bindNow(Duration.ofSeconds(10));
        try {
            tcpClient.host("127.0.0.1").port(server.port())
                    .connectNow(Duration.ofSeconds(10))
                    .disposeNow(Duration.ofSeconds(10));
            Throwable error = caught.get(10, TimeUnit.SECONDS);
            assertTrue(error instanceof BlockingOperationError, "BlockHound let a sleep on an event loop pass: " + error);
            assertTrue(error.getMessage().contains("java.lang.Thread.sleep"), error.getMessage());
        } finally {
            server.disposeNow(Duration.ofSeconds(10));
        }
    }
}
