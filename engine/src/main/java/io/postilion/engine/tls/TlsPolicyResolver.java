package io.postilion.engine.tls;

import io.postilion.tls.ClientTlsContexts;
import io.postilion.tls.DaneRecords;
import io.postilion.tls.DaneVerification;
import io.postilion.tls.TlsLevel;
import io.postilion.tls.TlsPolicy;
import java.net.IDN;
import java.util.Locale;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Computes the TLS policy of one server before it is connected to: the port of Postfix's
 * smtp_tls_policy.c (TLS-3). Today: the global level (TLS-2), reduced to none for a UNIX-domain
 * socket at may (SESS-6), DANE for the levels dane and dane-only (TLS-8, step 5), the SNI of
 * smtp_tls_servername (TLS-17) and the certificate check of the verifying levels bound to this
 * server's names (TLS-7). Asynchronous because later steps look things up (tables, TLSA records);
 * nothing here blocks.
 */
public final class TlsPolicyResolver {

    /** TLS-3's status for an invalid policy. */
    private static final String INVALID = "4.7.5";
    private static final String CONFIG_PROBLEM = "client TLS configuration problem";

    private final TlsPolicySettings settings;
    /** TLS-8's TLSA lookups; null when no DNS resolver was given (then DANE never weakens: it skips). */
    private final TlsaFinder tlsa;

    public TlsPolicyResolver(TlsPolicySettings settings) {
        this(settings, null);
    }

    /** @param tlsa where TLSA records come from (TLS-8); null to have every DANE server skipped */
    public TlsPolicyResolver(TlsPolicySettings settings, TlsaFinder tlsa) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.tlsa = tlsa;
    }

    public TlsPolicySettings settings() {
        return settings;
    }

    /** The policy for {@code q}'s server, or why it must be skipped. */
    public Mono<TlsDecision> resolve(TlsPolicyQuery q) {
        TlsLevel level = settings.level();
        if (level == TlsLevel.DANE || level == TlsLevel.DANE_ONLY) {
            return dane(q, level);
        }
        return Mono.fromSupplier(() -> decide(q, level));
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
        return name == null ? null : IDN.toASCII(name, IDN.ALLOW_UNASSIGNED);
    }
}
