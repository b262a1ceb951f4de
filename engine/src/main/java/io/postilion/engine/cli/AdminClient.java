package io.postilion.engine.cli;

import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import reactor.netty.http.client.HttpClient;

/**
 * How the queue commands reach the running relay: over admin.sock in queue_directory, the
 * socket the relay of that spool made, never over a TCP port that anything could hold. No
 * socket, or one nobody answers on (a relay that died), means no relay runs.
 */
final class AdminClient {

    private final Path socket;

    AdminClient(Path socket) {
        this.socket = socket;
    }

    Path socket() {
        return socket;
    }

    /** The relay's answer, or empty when no relay answers on the socket. */
    Optional<Answer> call(String method, String path) {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        // epoll, as the endpoint, on every machine alike: Reactor Netty's default loops are io_uring
        // wherever the kernel allows it, now that the io_uring jar is on the class path.
        HttpClient http = HttpClient.create()
                .runOn(io.postilion.transport.netty.NettyTransport.EPOLL.loops())
                .remoteAddress(() -> new DomainSocketAddress(socket.toString()))
                .responseTimeout(Duration.ofSeconds(30));
        var sender = switch (method) {
            case "POST" -> http.post();
            case "DELETE" -> http.delete();
            default -> http.get();
        };
        try {
            return Optional.ofNullable(sender.uri(path).responseSingle((res, body) -> body.asString().defaultIfEmpty("")
                    .map(text -> new Answer(res.status().code(), text))).block(Duration.ofSeconds(60)));
        } catch (RuntimeException notRunning) {
            return Optional.empty();
        }
    }

    /** One HTTP answer: its status and body. */
    record Answer(int status, String body) {
        boolean ok() {
            return status == 200;
        }

        boolean refused() {
            return status == 401 || status == 403;
        }
    }
}
