package io.postilion.engine.tls;

import io.postilion.dns.Target;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsAnswer;
import io.postilion.dns.lookup.DnsOutcome;
import io.postilion.tls.TlsaRecord;
import java.util.List;
import java.util.Objects;
import org.xbill.DNS.TLSARecord;
import reactor.core.publisher.Mono;

/**
 * Finds the TLSA RRset of one server (TLS-8; Postfix's tls_dane_resolve in tls_dane.c), under the
 * name {@code _PORT._tcp.NAME}. Which NAME depends on what DNSSEC vouched for: with a validated
 * address record, the CNAME-expanded host name, then the original name if that found nothing and
 * the host is an alias; without one, the original name only, and only if the host is an alias
 * whose CNAME record itself validates (or smtp_tls_force_insecure_host_tlsa_lookup = yes), since an
 * unsigned zone's TLSA records could be anyone's.
 *
 * <p>"Validated" is the AD bit of the configured resolver's answer (TLS-34): it must be a validating
 * resolver on a trusted path, normally on this host; see docs/dane.md. Answers come through a cache
 * that keeps them 1 to 100 seconds, whatever their TTL says.
 */
public final class TlsaFinder {

    private final AsyncDnsResolver dns;
    private final boolean forceInsecureHostLookup;

    /** @param dns the resolver to ask, with the TLSA cache (1..100 s) already in front of it */
    public TlsaFinder(AsyncDnsResolver dns, boolean forceInsecureHostLookup) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.forceInsecureHostLookup = forceInsecureHostLookup;
    }

    /** The TLSA RRset for {@code server} on {@code port}; the Mono never errors. */
    public Mono<TlsaRrset> find(Target server, int port) {
        if (server.dnssecValidated()) {
            return lookup(server.canonicalName(), port).flatMap(found -> found.kind() == TlsaRrset.Kind.NONE && server.alias()
                    ? lookup(server.queryName(), port) : Mono.just(found));
        }
        if (server.alias()) {
            return dns.cname(server.queryName(), true).flatMap(cname -> {
                if (cname.outcome() != DnsOutcome.OK && cname.outcome() != DnsOutcome.NOT_FOUND) {
                    return Mono.just(TlsaRrset.FAILED); // the CNAME validation check failed
                }
                boolean signedAlias = cname.ok() && cname.authenticated();
                return signedAlias || forceInsecureHostLookup ? lookup(server.queryName(), port) : Mono.just(TlsaRrset.NONE);
            });
        }
        return forceInsecureHostLookup ? lookup(server.queryName(), port) : Mono.just(TlsaRrset.NONE);
    }

    private Mono<TlsaRrset> lookup(String host, int port) {
        return dns.tlsa("_" + port + "._tcp." + host, true).map(answer -> interpret(host, answer));
    }

    /** An answer without the AD bit, NXDOMAIN and NODATA are "no TLSA"; every other failure is a failure. */
    private static TlsaRrset interpret(String host, DnsAnswer answer) {
        if (answer.outcome() == DnsOutcome.NOT_FOUND || answer.ok() && !answer.authenticated()) {
            return TlsaRrset.NONE;
        }
        if (!answer.ok()) {
            return TlsaRrset.FAILED;
        }
        List<TlsaRecord> records = answer.records(TLSARecord.class).stream()
                .map(r -> new TlsaRecord(r.getCertificateUsage(), r.getSelector(), r.getMatchingType(),
                        r.getCertificateAssociationData()))
                .toList();
        String base = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        return records.isEmpty() ? TlsaRrset.NONE : new TlsaRrset(TlsaRrset.Kind.FOUND, base, records);
    }
}
