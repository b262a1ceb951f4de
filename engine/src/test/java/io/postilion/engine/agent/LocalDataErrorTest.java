package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * DATA-31 through the agent: content that cannot be read in full (the source fails, or ends before
 * its recorded size) is a local data error, 4.3.0 "local data error while talking to HOST[ADDR]",
 * on every content path (DATA, one BDAT chunk pipelined with the envelope, several BDAT chunks).
 * The session is closed without an end-of-data line or a last chunk, so no server ever accepts
 * part of a message, and the destination is not throttled: it did nothing wrong.
 */
class LocalDataErrorTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String REASON = "local data error while talking to 127.0.0.1[127.0.0.1]";
    private static final byte[] HEAD = "Subject: x\r\n\r\nfirst part of the body\r\n".getBytes(StandardCharsets.US_ASCII);

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private DeliveryAgent agent;

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        server.close();
    }

    private DeliveryAgent agent(boolean chunking, int bdatChunkSize) {
        AgentSettings settings = AgentSettings.builder(SessionSettings.smtp("client.test")
                        .withTimeouts(Timeouts.all(Duration.ofSeconds(3))).withTls(TlsLevel.NONE, false)
                        .withChunking(chunking), "client.test")
                .content(new ContentOptions(ContentOptions.defaults().lineLengthLimit(), false,
                        ContentOptions.defaults().mimeNestingLimit(), bdatChunkSize))
                .build();
        LookupSettings lookup = LookupSettings.defaults(DeliveryProtocol.SMTP).self(SelfAddresses.of("127.0.0.254", ""))
                .inetProtocols(true, false).build();
        AsyncDnsResolver dns = AsyncDnsResolver.create(DnsResolverConfig.parse("127.0.0.1:9", Duration.ofSeconds(1), 1));
        agent = new DeliveryAgent(settings, new NextHopResolver(dns, lookup), DestinationParser.smtp(), Clock.systemUTC());
        return agent;
    }

    /** Content whose size says {@code claimed} bytes, that gives {@link #HEAD} and then fails or ends. */
    private static ContentSource broken(long claimed, boolean fails) {
        return new ContentSource() {
            @Override
            public long size() {
                return claimed;
            }

            @Override
            public Flux<ByteBuf> open(ByteBufAllocator alloc) {
                Flux<ByteBuf> head = Flux.defer(() -> Flux.just(alloc.buffer(HEAD.length).writeBytes(HEAD)));
                return fails ? head.concatWith(Flux.error(new IOException("read error on the queue file"))) : head;
            }
        };
    }

    private DeliveryReport send(ContentSource content) {
        DeliveryRequest r = DeliveryRequest.builder("4DATA31", "s@client.test", "[127.0.0.1]:" + server.port())
                .recipient("a@dest.test").recipient("b@dest.test").content(content).build();
        return agent.deliver(r).block(WAIT);
    }

    private void assertLocalDataError(DeliveryReport r) throws InterruptedException {
        for (RecipientResult x : r.results()) {
            assertEquals(Outcome.DEFERRED, x.outcome(), r.toString());
            assertEquals("4.3.0", x.status().text(), r.toString());
            assertEquals(REASON, x.reason());
        }
        assertFalse(r.throttle(), "a local data error does not throttle the destination");
        long until = System.nanoTime() + WAIT.toNanos();
        while (server.openSessions() > 0) {
            assertTrue(System.nanoTime() < until, "the session was never closed: " + server.commands());
            Thread.sleep(20);
        }
        assertTrue(server.contents().isEmpty(), "no message was completed: " + server.commands());
    }

    @Test
    void aContentReadErrorDuringDataIsALocalDataError_DATA31() throws Exception {
        agent(false, 65536);
        assertLocalDataError(send(broken(HEAD.length + 1000, true)));
    }

    @Test
    void contentShorterThanItsSizeDuringDataIsALocalDataError_DATA31() throws Exception {
        agent(false, 65536);
        assertLocalDataError(send(broken(HEAD.length + 1000, false)));
    }

    @Test
    void aContentReadErrorInASingleBdatChunkIsALocalDataError_DATA31() throws Exception {
        server.capabilities("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING");
        agent(true, 65536);
        assertLocalDataError(send(broken(HEAD.length + 1000, true)));
    }

    @Test
    void contentShorterThanItsSizeInBdatChunksIsALocalDataError_DATA31() throws Exception {
        server.capabilities("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING");
        agent(true, 16);
        assertLocalDataError(send(broken(HEAD.length + 1000, false)));
    }

    @Test
    void wholeContentStillGoesThrough() {
        agent(false, 65536);
        DeliveryReport r = send(ContentSource.of(HEAD));
        assertEquals(List.of(Outcome.SENT, Outcome.SENT), r.results().stream().map(RecipientResult::outcome).toList());
    }
}
