package io.postilion.tls.sts;

import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.InetNameResolver;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsAnswer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import reactor.core.publisher.Mono;

/**
 * Finds the address of {@code mta-sts.DOMAIN} for the policy fetch through the agent's own
 * asynchronous resolver (dns_servers, its cache), never the platform's blocking lookup: Reactor
 * Netty's HTTP client asks this group, on its event loop, and gets a promise completed by
 * dnsjava's callback. IPv4 first, then IPv6.
 */
final class StsAddressResolverGroup extends AddressResolverGroup<InetSocketAddress> {

    private final AsyncDnsResolver dns;

    StsAddressResolverGroup(AsyncDnsResolver dns) {
        this.dns = Objects.requireNonNull(dns, "dns");
    }

    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new InetNameResolver(executor) {
            @Override
            protected void doResolve(String host, Promise<InetAddress> promise) {
                addresses(host).subscribe(all -> promise.trySuccess(all.get(0)), promise::tryFailure);
            }

            @Override
            protected void doResolveAll(String host, Promise<List<InetAddress>> promise) {
                addresses(host).subscribe(promise::trySuccess, promise::tryFailure);
            }
        }.asAddressResolver();
    }

    private Mono<List<InetAddress>> addresses(String host) {
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        if (literal != null) {
            return Mono.fromCallable(() -> List.of(InetAddress.getByAddress(host, literal)));
        }
        return dns.a(host, false).flatMap(a -> a.ok() ? Mono.just(a) : dns.aaaa(host, false)).flatMap(answer -> {
            List<InetAddress> out = new ArrayList<>();
            for (ARecord r : answer.records(ARecord.class)) {
                out.add(r.getAddress());
            }
            for (AAAARecord r : answer.records(AAAARecord.class)) {
                out.add(r.getAddress());
            }
            return out.isEmpty() ? Mono.error(unknown(host, answer)) : Mono.just(out);
        });
    }

    private static UnknownHostException unknown(String host, DnsAnswer answer) {
        return new UnknownHostException(answer.reason().isEmpty() ? host + ": no address" : answer.reason());
    }
}
