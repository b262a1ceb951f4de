package io.postilion.dns.interop;

import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.TargetList;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationList;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.destination.InetDestination;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import java.io.IOException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The rig's DNS servers as the interop tests see them: Knot (authoritative, never AD) and Unbound
 * (validating, AD for example.test) on loopback, started by scripts/peers/dns.sh (or up.sh). Ports come
 * from POSTILION_DNS_PORT / POSTILION_RESOLVER_PORT (defaults 5353 / 5354, the scripts' defaults).
 */
final class DnsRig {

    static final int KNOT_PORT = port("POSTILION_DNS_PORT", 5353);
    static final int UNBOUND_PORT = port("POSTILION_RESOLVER_PORT", 5354);

    /** Answers complete on Reactor's parallel scheduler, so BlockHound sees every step. */
    static final Executor PARALLEL = r -> Schedulers.parallel().schedule(r);

    private DnsRig() {
    }

    private static int port(String env, int dflt) {
        String v = System.getenv(env);
        return v == null || v.isBlank() ? dflt : Integer.parseInt(v.trim());
    }

    /**
     * Fails (does not skip) unless the server answers an SOA query for example.test: CI starts the rig
     * first, so a silent server is a broken run, not a reason to pass.
     */
    static void require(String what, int port) {
        String hint = what + " is not answering on 127.0.0.1:" + port + " (start the rig with scripts/peers/dns.sh start"
                + " or scripts/peers/up.sh; other ports via DNS_PORT/DNS_RESOLVER_PORT and POSTILION_DNS_PORT/"
                + "POSTILION_RESOLVER_PORT)";
        try {
            Message reply = raw(port, "example.test", Type.SOA, false);
            if (reply.getRcode() != Rcode.NOERROR || reply.getSection(1).isEmpty()) {
                throw new AssertionError(hint + ": SOA example.test answered " + Rcode.string(reply.getRcode()));
            }
        } catch (IOException e) {
            throw new AssertionError(hint + ": " + e, e);
        }
    }

    /** One plain query on the test thread (blocking is allowed there), bypassing our resolver. */
    static Message raw(int port, String name, int type, boolean ignoreTruncation) throws IOException {
        SimpleResolver r = new SimpleResolver("127.0.0.1");
        r.setPort(port);
        r.setTimeout(Duration.ofSeconds(2));
        r.setIgnoreTruncation(ignoreTruncation);
        return r.send(Message.newQuery(Record.newRecord(Name.fromString(name + "."), type, DClass.IN)));
    }

    static AsyncDnsResolver resolver(int port) {
        return AsyncDnsResolver.create(DnsResolverConfig.parse("127.0.0.1:" + port, Duration.ofSeconds(2), 2), PARALLEL);
    }

    /** SMTP settings with {@code inet_interfaces} on an unused loopback address (CLARIFICATIONS 20). */
    static LookupSettings.Builder smtp() {
        return LookupSettings.defaults(DeliveryProtocol.SMTP).self(SelfAddresses.of("127.0.0.254", ""));
    }

    static TargetList resolve(AsyncDnsResolver dns, LookupSettings settings, String nexthop, long seed) {
        return resolve(dns, settings, settings.protocol() == DeliveryProtocol.SMTP ? DestinationParser.smtp()
                : DestinationParser.lmtp(), nexthop, seed);
    }

    static TargetList resolve(AsyncDnsResolver dns, LookupSettings settings, DestinationParser parser, String nexthop,
            long seed) {
        DestinationList list = parser.parse(nexthop, "");
        if (!list.isValid()) {
            throw new AssertionError("bad destination " + nexthop + ": " + list.error());
        }
        NextHopResolver r = new NextHopResolver(dns, settings, new SplittableRandom(seed),
                host -> Mono.error(new UnknownHostException(host + ": native lookups are off in the interop tests")));
        return r.resolve((InetDestination) list.destinations().get(0), false)
                .subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(20));
    }
}
