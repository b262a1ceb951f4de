package io.postilion.engine.admin;

import io.netty.channel.Channel;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;

/**
 * The queue commands' API (CLARIFICATIONS 15), behind a guard: GET /queue lists, POST
 * /queue/flush retries deferred mail now, DELETE /queue/ID removes one message and DELETE /queue
 * every message, in whatever state. Every change, and every refusal, is logged with who asked.
 */
final class AdminRoutes {

    private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);

    private final QueueAdministration queue;
    private final AdminGuard guard;
    private final String endpoint;

    AdminRoutes(QueueAdministration queue, AdminGuard guard, String endpoint) {
        this.queue = queue;
        this.guard = guard;
        this.endpoint = endpoint;
    }

    void install(HttpServerRoutes routes) {
        routes.get("/queue", guarded((who, req, res) -> text(res, 200, queue.listing(false))));
        routes.get("/queue.json", guarded((who, req, res) -> text(res, 200, queue.listing(true))));
        routes.post("/queue/flush", guarded((who, req, res) -> text(res, 200, queue.flush().map(n -> {
            log.info("admin: flush of deferred mail by {} via {}: {} message(s) retried now", who, endpoint, n);
            return "flushed " + n + " deferred message(s)\n";
        }))));
        routes.delete("/queue/{id}", guarded((who, req, res) -> {
            String id = req.param("id");
            if (id == null || !id.matches("[0-9A-Za-z]{1,64}")) {
                return text(res, 400, Mono.just("not a queue id\n"));
            }
            return queue.delete(id).flatMap(ok -> {
                log.info("admin: delete {} by {} via {}: {}", id, who, endpoint, ok ? "deleted" : "not in the queue");
                return ok ? text(res, 200, Mono.just("deleted " + id + "\n"))
                        : text(res, 404, Mono.just(id + ": not in this queue\n"));
            });
        }));
        routes.delete("/queue", guarded((who, req, res) -> {
            log.info("admin: delete ALL by {} via {}", who, endpoint);
            return text(res, 200, queue.deleteAll().map(n -> {
                log.info("admin: delete ALL by {} via {}: {} message(s) deleted", who, endpoint, n);
                return "deleted " + n + " message(s)\n";
            }));
        }));
    }

    /** A handler that runs only for a request the guard admits. */
    @FunctionalInterface
    interface Handler {
        Mono<Void> handle(Requester who, HttpServerRequest req, HttpServerResponse res);
    }

    private BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> guarded(Handler handler) {
        return (req, res) -> {
            Channel[] channel = new Channel[1];
            req.withConnection(c -> channel[0] = c.channel());
            Verdict v = guard.check(req, channel[0]);
            if (!v.admitted()) {
                log.warn("admin: refused {} {} from {} via {}: {}", req.method(), req.uri(), v.who(), endpoint, v.reason());
                if (v.refusalStatus() == 401) {
                    res.header("WWW-Authenticate", "Bearer");
                }
                return text(res, v.refusalStatus(), Mono.just("refused: " + v.reason() + "\n"));
            }
            return handler.handle(v.who(), req, res);
        };
    }

    private static Mono<Void> text(HttpServerResponse res, int status, Mono<String> body) {
        return res.status(status).header("Content-Type", "text/plain; charset=utf-8").sendString(body).then();
    }
}
