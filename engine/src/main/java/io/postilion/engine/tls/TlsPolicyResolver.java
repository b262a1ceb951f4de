package io.postilion.engine.tls;

import io.netty.util.NetUtil;
import io.postilion.tls.ClientTlsContexts;
import io.postilion.tls.ServerVerification;
import io.postilion.tls.TlsLevel;
import io.postilion.tls.TlsPolicy;
import io.postilion.tls.sts.MtaSts;
import io.postilion.tls.sts.StsMode;
import io.postilion.tls.sts.StsPolicy;
import java.net.IDN;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Computes the TLS policy of one server before it is connected to: the port of Postfix's
 * smtp_tls_policy.c (TLS-3). Today: MTA-STS when it is on and the destination has a policy in
 * mode enforce (TLS-32), else the global level (TLS-2), reduced to none for a UNIX-domain socket
 * at may (SESS-6), the SNI of smtp_tls_servername (TLS-17) and the certificate check of the
 * verifying levels bound to this server's names (TLS-7). Asynchronous because some steps look
 * things up (the STS record and policy; later tables and TLSA records); nothing here blocks.
 */
public final class TlsPolicyResolver {

    private static final Logger log = LoggerFactory.getLogger(TlsPolicyResolver.class);

    private final TlsPolicySettings settings;
    /** TLS-32: the STS policies; null when smtp_tls_mta_sts_enable is off. */
    private final MtaSts sts;
    /** TLS-32: an enforced destination's certificate, checked against the STS trust for the MX host name. */
    private final ServerVerification stsVerification;

    public TlsPolicyResolver(TlsPolicySettings settings) {
        this(settings, null, null);
    }

    /**
     * @param sts the MTA-STS policies, null when off
     * @param stsSettings where the STS trust comes from (ignored when {@code sts} is null)
     */
    public TlsPolicyResolver(TlsPolicySettings settings, MtaSts sts, MtaStsSettings stsSettings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.sts = sts;
        this.stsVerification = sts == null ? null
                : new ServerVerification(stsSettings.trust(), List.of("hostname"), List.of("hostname"));
    }

    public TlsPolicySettings settings() {
        return settings;
    }

    /** The policy for {@code q}'s server, or why it must be skipped. */
    public Mono<TlsDecision> resolve(TlsPolicyQuery q) {
        return mtaSts(q).map(d -> d.orElseGet(() -> decide(q)));
    }

    /**
     * TLS-32: what an MTA-STS policy makes of this server, exactly what TLS-16's plugin contract
     * yields. Mode enforce: a server whose name matches none of the policy's mx patterns is skipped
     * with a warning (4.7.5), any other gets level secure with {@code servername=hostname}, match
     * list {@code hostname} and the STS trust. Mode testing is logged and changes nothing; mode
     * none, no policy, a failed fetch with nothing cached, MTA-STS off, an LMTP socket, or a next hop
     * that is not a plain domain (brackets or a port, which no plugin would answer for): empty, so
     * the normal TLS-3 result applies.
     */
    public Mono<Optional<TlsDecision>> mtaSts(TlsPolicyQuery q) {
        String domain = sts == null || q.unixSocket() ? null : policyDomain(q);
        if (domain == null) {
            return Mono.just(Optional.empty());
        }
        return sts.policy(domain).map(found -> {
            if (found.isEmpty() || found.get().mode() == StsMode.NONE) {
                return Optional.empty();
            }
            StsPolicy p = found.get();
            boolean permitted = p.permits(q.hostname());
            if (p.mode() == StsMode.TESTING) {
                if (!permitted) {
                    log.info("MTA-STS policy of {} (testing): MX host {} matches no mx pattern {}; delivering as usual",
                            domain, q.hostname(), p.mx());
                }
                return Optional.empty();
            }
            if (!permitted) {
                String reason = "MX host " + q.hostname() + " is not permitted by the MTA-STS policy of " + domain;
                return Optional.of(new TlsDecision.Skip("4.7.5", reason,
                        "MTA-STS policy of " + domain + ": MX host " + q.hostname() + " matches no mx pattern " + p.mx()
                                + "; skipping it"));
            }
            return Optional.of(new TlsDecision.Use(new TlsPolicy(TlsLevel.SECURE,
                    ClientTlsContexts.unauthenticated(TlsLevel.SECURE), aLabel(q.hostname()),
                    stsVerification.forServer(TlsLevel.SECURE, q.hostname(), q.nexthopDomain()), false)));
        });
    }

    /**
     * The domain whose policy applies: the next hop when it is a plain domain name (written without
     * brackets or port, not an address), in A-label form; else null.
     */
    private static String policyDomain(TlsPolicyQuery q) {
        String hop = q.nexthop();
        if (!hop.equals(q.nexthopDomain()) || hop.isEmpty() || NetUtil.isValidIpV4Address(hop)
                || NetUtil.isValidIpV6Address(hop)) {
            return null;
        }
        try {
            return aLabel(hop).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return null; // not a name IDNA can write, so no DNS name either
        }
    }

    private TlsDecision decide(TlsPolicyQuery q) {
        TlsLevel level = settings.level();
        if (level == TlsLevel.NONE) {
            return new TlsDecision.Use(TlsPolicy.NONE);
        }
        return new TlsDecision.Use(new TlsPolicy(level, ClientTlsContexts.unauthenticated(level), serverName(q),
                settings.verification().forServer(level, q.hostname(), q.nexthopDomain()), false));
    }

    /**
     * TLS-17, smtp_tls_servername: no SNI when empty (Postfix's default); the server's host name for
     * {@code hostname}; the next-hop domain for {@code nexthop}; else the configured name. In
     * A-label form.
     */
    private String serverName(TlsPolicyQuery q) {
        String name = switch (settings.serverName()) {
            case "" -> null;
            case "hostname" -> q.hostname();
            case "nexthop" -> q.nexthopDomain();
            default -> settings.serverName();
        };
        return name == null ? null : aLabel(name);
    }

    private static String aLabel(String name) {
        return IDN.toASCII(name, IDN.ALLOW_UNASSIGNED);
    }
}
