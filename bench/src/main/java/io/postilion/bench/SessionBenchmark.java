package io.postilion.bench;

import io.postilion.engine.listener.ListenerSettings;
import io.postilion.engine.listener.MessageSink;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.listener.SmtpListener;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.Endpoint;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SmtpClient;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.session.Transaction;
import io.postilion.transport.session.TransactionResult;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Mono;

/**
 * A whole SMTP exchange over loopback, client and server both ours and in this JVM: the relay's
 * listener with a sink that keeps nothing, and the delivery session. {@code transaction} runs
 * MAIL, RCPT, DATA and the content on one open session (what a cached connection costs);
 * {@code session} adds connect, greeting, EHLO and QUIT (what an uncached delivery costs).
 * One message per operation.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SessionBenchmark {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Counts and drops what it is given. */
    static final class NullSink implements MessageSink {
        final AtomicLong ids = new AtomicLong();

        @Override
        public String newQueueId() {
            return Long.toHexString(ids.incrementAndGet());
        }

        @Override
        public Mono<Void> accept(ReceivedMessage message) {
            return Mono.empty();
        }
    }

    @State(Scope.Benchmark)
    public static class Loopback {
        @Param({"1024", "102400"})
        public int size;

        @Param({"false", "true"})
        public boolean chunking;

        SmtpListener listener;
        SmtpClient client;
        Endpoint endpoint;
        SmtpSession open;
        Transaction transaction;

        @Setup(Level.Trial)
        public void start() {
            ListenerSettings settings = ListenerSettings.defaults(new InetSocketAddress("127.0.0.1", 0), "sink.bench")
                    .withLimits(0, 1000, 1000);
            listener = SmtpListener.start(settings, new NullSink(), Clock.systemUTC()).block(WAIT);
            client = SmtpClient.create(SessionSettings.smtp("client.bench").withChunking(chunking)
                    .withTimeouts(Timeouts.all(Duration.ofSeconds(10))).withTls(TlsLevel.NONE, false));
            endpoint = Endpoint.inet("sink.bench", new InetSocketAddress("127.0.0.1", listener.port()));
            byte[] body = message(size);
            transaction = new Transaction("MAIL FROM:<a@client.bench>", List.of("RCPT TO:<b@sink.bench>"),
                    ContentSource.of(body), ContentOptions.defaults(), true);
            open = client.connect(endpoint).block(WAIT).session();
            open.handshake(false).block(WAIT);
        }

        @TearDown(Level.Trial)
        public void stop() {
            open.quit().block(WAIT);
            listener.close();
        }
    }

    static byte[] message(int size) {
        StringBuilder sb = new StringBuilder(size + 100).append("Subject: bench\r\n\r\n");
        while (sb.length() < size) {
            sb.append("The quick brown fox jumps over the lazy dog, again and again and again.\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Benchmark
    public TransactionResult transaction(Loopback s) {
        return s.open.transaction(s.transaction).block(WAIT);
    }

    @Benchmark
    public TransactionResult session(Loopback s) {
        SmtpSession session = s.client.connect(s.endpoint).block(WAIT).session();
        session.handshake(false).block(WAIT);
        TransactionResult r = session.transaction(s.transaction).block(WAIT);
        session.quit().block(WAIT);
        return r;
    }
}
