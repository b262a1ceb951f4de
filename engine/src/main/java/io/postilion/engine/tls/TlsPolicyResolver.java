package io.postilion.engine.tls;

import io.netty.util.NetUtil;
import io.postilion.tls.ClientTlsContexts;
import io.postilion.tls.DaneRecords;
import io.postilion.tls.DaneVerification;
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
 * smtp_tls_policy.c (TLS-3). Today: the global level (TLS-2), reduced to none for a UNIX-domain
 * socket at may (SESS-6), DANE for the levels dane and dane-only (TLS-8, step 5), MTA-STS when it
 * is on and the destination has a policy in mode enforce (TLS-32; usable TLSA records win), the
 * SNI of smtp_tls_servername (TLS-17) and the certificate check of the verifying levels bound to
 * this server's names (TLS-7). Asynchronous because some steps look things up (TLSA records, the
 * STS record and policy); nothing here blocks.
 */
public final class TlsPolicyResolver {

    private static final Logger log = LoggerFactory.getLogger(TlsPolicyResolver.class);
    /** TLS-3's status for an invalid policy. */
    private static final String INVALID = "4.7.5";
    private static final String CONFIG_PROBLEM = "client TLS configuration problem";

    private final TlsPolicySettings settings;
    /** TLS-8's TLSA lookups; null when no DNS resolver was given (then DANE never weakens: it skips). */
    private final TlsaFinder tlsa;
    /** TLS-32: the STS policies; null when smtp_tls_mta_sts_enable is off. */
    private final MtaSts sts;
    /** TLS-32: an enforced destination's certificate, checked against the STS trust for the MX host name. */
    private final ServerVerification stsVerification;

    public TlsPolicyResolver(TlsPolicySettings settings) {
        this(settings, null, null, null);
    }

    /**
     * @param tlsa where TLSA records come from (TLS-8); null to have every DANE server skipped
     * @param sts the MTA-STS policies, null when off
     * @param stsSettings where the STS trust comes from (ignored when {@code sts} is null)
     */
    public TlsPolicyResolver(TlsPolicySettings settings, TlsaFinder tlsa, MtaSts sts, MtaStsSettings stsSettings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.tlsa = tlsa;
        this.sts = sts;
        this.stsVerification = sts == null ? null
                : new ServerVerification(stsSettings.trust(), List.of("hostname"), List.of("hostname"));
    }

    public TlsPolicySettings settings() {
        return settings;
    }

    /** The policy for {@code q}'s server, or why it must be skipped. */
    public Mono<TlsDecision> resolve(TlsPolicyQuery q) {
        TlsLevel level = settings.level();
        Mono<TlsDecision> configured = level == TlsLevel.DANE || level == TlsLevel.DANE_ONLY ? dane(q, level)
                : Mono.fromSupplier(() -> decide(q, level));
        // TLS-32: usable DANE records win over MTA-STS (RFC 8461 section 2), and a server DANE
        // skips stays skipped; otherwise an enforced STS policy replaces the configured result.
        return configured.flatMap(d -> d instanceof TlsDecision.Use use && !use.policy().level().dane()
                ? mtaSts(q).map(found -> found.orElse(d)) : Mono.just(d));
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

    private TlsDecision decide(TlsPolicyQuery q, TlsLevel level) {
        if (level == TlsLevel.NONE) {
            return new TlsDecision.Use(TlsPolicy.NONE);
        }
        return new TlsDecision.Use(new TlsPolicy(level, ClientTlsContexts.unauthenticated(level), serverName(q),
                settings.verification().forServer(level, q.hostname(), q.nexthopDomain()), false));
    }

    /**
     * TLS-3 step 5, TLS-8: what DANE makes of {@code level} (dane or dane-only) for {@code q}'s
     * server. In Postfix's order: the preconditions (a UNIX-domain socket, lookup settings under
     * which DNSSEC means nothing), the MX RRset's validation, then the TLSA RRset. A failed TLSA
     * lookup skips the server at both levels, so that an attacker who can break DNS gets a
     * deferral, never plaintext and never an unauthenticated session (downgrade resistance).
     */
    Mono<TlsDecision> dane(TlsPolicyQuery q, TlsLevel level) {
        boolean only = level == TlsLevel.DANE_ONLY;
        DaneSettings dane = settings.dane();
        if (q.unixSocket() || q.target() == null) {
            return Mono.just(new TlsDecision.Skip(INVALID, CONFIG_PROBLEM, q.nexthop() + ": the \"" + level.configName()
                    + "\" security level is invalid for delivery via unix-domain sockets"));
        }
        if (dane.incompatible() != DaneSettings.Incompatibility.NONE) {
            String warning = dane.incompatible().warning(q.nexthop(), level);
            return Mono.just(only ? new TlsDecision.Skip(INVALID, CONFIG_PROBLEM, warning)
                    : new TlsDecision.Use(plain(TlsLevel.MAY, q), warning));
        }
        boolean secureMx = q.rrset().validated();
        if (!secureMx) {
            if (only) {
                return Mono.just(new TlsDecision.Skip(INVALID, "non DNSSEC destination", null));
            }
            if (dane.insecureMxPolicy() == TlsLevel.MAY) {
                return Mono.just(new TlsDecision.Use(plain(TlsLevel.MAY, q)));
            }
        }
        if (tlsa == null) {
            return Mono.just(lookupError(q));
        }
        return tlsa.find(q.target(), q.port()).map(rrset -> afterLookup(q, level, secureMx, rrset));
    }

    private TlsDecision afterLookup(TlsPolicyQuery q, TlsLevel level, boolean secureMx, TlsaRrset rrset) {
        boolean only = level == TlsLevel.DANE_ONLY;
        switch (rrset.kind()) {
            case FAILED:
                return lookupError(q);
            case NONE:
                return only ? new TlsDecision.Skip(INVALID, "no TLSA records found", null)
                        : new TlsDecision.Use(plain(TlsLevel.MAY, q));
            default:
                break;
        }
        DaneRecords records = DaneRecords.of(rrset.records(), settings.dane().digests());
        if (records.state() == DaneRecords.State.DISCARDED) {
            return only ? new TlsDecision.Skip(INVALID, "TLSA records unusable", null)
                    : new TlsDecision.Use(plain(TlsLevel.ENCRYPT, q));
        }
        // With an unsigned MX RRset the records may only raise the level (RFC 7672 section 2.2.1):
        // to encrypt, or to halfdane, which enforces them but never calls the server "Verified".
        TlsLevel effective = secureMx ? level
                : settings.dane().insecureMxPolicy() == TlsLevel.ENCRYPT ? TlsLevel.ENCRYPT : TlsLevel.HALFDANE;
        if (effective == TlsLevel.ENCRYPT) {
            return new TlsDecision.Use(plain(TlsLevel.ENCRYPT, q));
        }
        if (records.state() == DaneRecords.State.NONE_ACCEPTED && !only) {
            return new TlsDecision.Use(plain(TlsLevel.ENCRYPT, q), q.hostname() + "[" + q.target().address().getHostAddress()
                    + "]:" + q.port() + ": all TLSA records unusable, fallback to unauthenticated TLS");
        }
        // dane-only with no record this client can check still completes the handshake, and then
        // no certificate matches (TLS-13): the empty check never matches.
        String mxOwner = q.rrset().owner().equalsIgnoreCase(ascii(q.nexthopDomain())) ? null : q.rrset().owner();
        DaneVerification check = DaneVerification.forServer(records.usable(), settings.dane().digests(),
                rrset.baseDomain(), q.nexthopDomain(), mxOwner);
        // TLS-17: with DANE the SNI is the TLSA base domain, whatever smtp_tls_servername says.
        return new TlsDecision.Use(new TlsPolicy(effective, ClientTlsContexts.unauthenticated(effective),
                ascii(rrset.baseDomain()), check, false));
    }

    private static TlsDecision lookupError(TlsPolicyQuery q) {
        return new TlsDecision.Skip(INVALID, "TLSA lookup error for " + q.hostname() + ":" + q.port(), null);
    }

    /** A policy at may or encrypt, as the global level would give it (DANE fell back to it). */
    private TlsPolicy plain(TlsLevel level, TlsPolicyQuery q) {
        return new TlsPolicy(level, ClientTlsContexts.unauthenticated(level), serverName(q),
                settings.verification().forServer(level, q.hostname(), q.nexthopDomain()), false);
    }

    private static String ascii(String name) {
        try {
            return IDN.toASCII(name, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return name.toLowerCase(Locale.ROOT);
        }
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
