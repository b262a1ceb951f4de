package io.postilion.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The system resolver ({@code smtp_host_lookup = native}: /etc/hosts, NSS). getaddrinfo blocks, so the
 * default runs it on Reactor's bounded-elastic scheduler, never on an event loop.
 */
@FunctionalInterface
public interface NativeHostResolver {

    /** Addresses for {@code host}; errors with {@link UnknownHostException} when there are none. */
    Mono<List<InetAddress>> lookup(String host);

    static NativeHostResolver system() {
        return host -> Mono.fromCallable(() -> List.of(InetAddress.getAllByName(host)))
                .subscribeOn(Schedulers.boundedElastic());
    }
}
