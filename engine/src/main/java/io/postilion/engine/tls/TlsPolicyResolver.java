package io.postilion.engine.tls;

import io.netty.util.NetUtil;
import io.postilion.tls.ChainTrust;
import io.postilion.tls.ClientTlsContexts;
import io.postilion.tls.DaneRecords;
import io.postilion.tls.DaneVerification;
import io.postilion.tls.FingerprintCheck;
import io.postilion.tls.PeerCheck;
import io.postilion.tls.PolicyEntry;
import io.postilion.tls.RequireTls;
import io.postilion.tls.ServerVerification;
import io.postilion.tls.TlsLevel;
import io.postilion.tls.TlsPolicy;
import io.postilion.tls.TrustAnchorFiles;
import io.postilion.tls.sts.MtaSts;
import io.postilion.tls.sts.MxPattern;
import io.postilion.tls.sts.StsMode;
import io.postilion.tls.sts.StsPolicy;
import io.netty.handler.ssl.SslContext;
import java.net.IDN;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Computes the TLS policy of one server before it is connected to: the port of Postfix's
 * smtp_tls_policy.c (TLS-3). In order: the global level (TLS-2); the policy tables, the next hop
 * verbatim and then, for a plain domain name, its parent domains as {@code .parent} (step 3, TLS-4,
 * TLS-31), or else the legacy per-site table (step 4); DANE (step 5, {@link #dane}); then the
 * defaults: the context ({@link #context}), the SNI (TLS-17), the certificate check of the level
 * (TLS-7, TLS-16, TLS-24, TLS-28). Without a table entry for the destination, an MTA-STS policy in
 * mode enforce replaces that result unless DANE found usable TLSA records (TLS-32, {@link #mtaSts}).
 * A table that fails, an entry that is not valid or a TLSA lookup that fails skips the server
 * (4.7.5), never a weaker policy. A "TLS-Required: no" message skips the tables, DANE and
 * MTA-STS and is capped at may (TLS-20); a REQUIRETLS message gets its destination's action, or
 * the server is skipped when the level cannot satisfy it (TLS-19). Asynchronous because TLSA records, STS policies and a policy's
 * trust anchor files are looked up or read off the event loops; nothing here blocks.
 */
public final class TlsPolicyResolver {

    static final String CONFIG_PROBLEM = "client TLS configuration problem";
    private static final Pattern PLAIN_NAME = Pattern.compile(
            "(?i)[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");

    private static final Logger log = LoggerFactory.getLogger(TlsPolicyResolver.class);

    /** TLS-3's status for an invalid policy. */
    private static final String INVALID = "4.7.5";

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
        return Mono.defer(() -> tls(q)).map(d -> requireTls(q, d));
    }

    /** TLS-3 for this server: TLS-20's cap, or the tables, DANE, MTA-STS and the defaults. */
    private Mono<TlsDecision> tls(TlsPolicyQuery q) {
        List<String> warnings = new ArrayList<>();
        if (q.tlsRequiredNo() && !q.requireTls() && settings.requireTls().tlsRequiredEnable()) {
            // TLS-20: no table, no DANE, no MTA-STS; the global level capped at may (encrypt in wrapper mode)
            TlsLevel cap = settings.wrapperMode() ? TlsLevel.ENCRYPT : TlsLevel.MAY;
            TlsLevel level = settings.level().compareTo(cap) > 0 ? cap : settings.level();
            return Mono.fromSupplier(() -> decide(q, new Found(level, null, "TLS-Required: no"), null, warnings));
        }
        Found found;
        try {
            found = lookup(q, warnings);
        } catch (Skipped s) {
            return Mono.just(s.decision);
        }
        Mono<TlsDecision> configured = configured(q, found, warnings);
        if (found.entry() != null) {
            return configured; // the postmaster's own entry for this destination wins (TLS-3)
        }
        // TLS-32: usable DANE records win over MTA-STS (RFC 8461 section 2), and a server the
        // configured policy skips stays skipped; otherwise an enforced STS policy replaces it.
        return configured.flatMap(d -> d instanceof TlsDecision.Use use && !use.policy().level().dane()
                ? mtaSts(q).map(sts -> sts.orElse(d)) : Mono.just(d));
    }

    /**
     * TLS-19: what a REQUIRETLS message makes of the policy computed for this server: the action
     * smtp_requiretls_policy gives its destination, checked against the effective level before any
     * connection (enforce needs a level that matches certificates, opportunistic+starttls one that
     * uses TLS); the session enforces the rest (STARTTLS, the match, the server's REQUIRETLS).
     */
    private TlsDecision requireTls(TlsPolicyQuery q, TlsDecision d) {
        RequireTlsSettings rfc8689 = settings.requireTls();
        if (!q.requireTls() || !rfc8689.requireTlsEnable() || !(d instanceof TlsDecision.Use use)) {
            return d;
        }
        TlsLevel level = use.policy().level();
        RequireTls mode;
        switch (rfc8689.policy().actionFor(q.nexthopDomain())) {
            case ERROR:
                return new TlsDecision.Skip("4.7.10", "REQUIRETLS policy configuration error",
                        "REQUIRETLS policy configuration error for " + q.nexthopDomain());
            case DISABLE:
                return d;
            case OPPORTUNISTIC:
                mode = RequireTls.OPPORTUNISTIC;
                break;
            case OPPORTUNISTIC_STARTTLS:
                if (level == TlsLevel.NONE) {
                    return new TlsDecision.Skip("5.7.10", "Sender requested REQUIRETLS, but my configured TLS "
                            + "security level 'none' disables encryption", null);
                }
                mode = RequireTls.OPPORTUNISTIC_STARTTLS;
                break;
            default: // ENFORCE
                if (!level.mustMatch()) {
                    return new TlsDecision.Skip("5.7.10", "Sender requested REQUIRETLS, but my configured TLS "
                            + "security level '" + level.configName() + "' disables certificate matching", null);
                }
                mode = RequireTls.ENFORCE;
                break;
        }
        return new TlsDecision.Use(use.policy().withRequireTls(mode), use.warnings());
    }

    /** TLS-3 steps 5 and 6 for what the tables (or main.cf) chose: DANE, or the level's defaults. */
    private Mono<TlsDecision> configured(TlsPolicyQuery q, Found found, List<String> warnings) {
        if (found.level() == TlsLevel.DANE || found.level() == TlsLevel.DANE_ONLY) {
            return dane(q, found.level()).map(d -> d instanceof TlsDecision.Use use && !warnings.isEmpty()
                    ? new TlsDecision.Use(use.policy(), concat(warnings, use.warnings())) : d);
        }
        if (found.entry() != null && !found.entry().trustAnchorFiles().isEmpty()) {
            // TLS-24: read when the entry is used, as Postfix reads them when it parses it; off the event loop
            List<String> files = found.entry().trustAnchorFiles();
            return Mono.fromCallable(() -> TrustAnchorFiles.load(files, settings.sources().verifyDepth()))
                    .subscribeOn(Schedulers.boundedElastic())
                    .map(anchors -> decide(q, found, anchors, warnings))
                    .onErrorResume(IllegalArgumentException.class, e -> Mono.just(invalid(found.where() + ": " + e.getMessage())));
        }
        return Mono.fromSupplier(() -> decide(q, found, null, warnings));
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
                    context(TlsLevel.SECURE), aLabel(q.hostname()),
                    stsVerification.forServer(TlsLevel.SECURE, q.hostname(), q.nexthopDomain()), settings.connectionReuse())));
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

    /** The level and entry steps 1-4 chose, and which table key gave them (for warnings). */
    private record Found(TlsLevel level, PolicyEntry entry, String where) {
    }

    /** A server that must be skipped, thrown out of the lookup steps. */
    private static final class Skipped extends Exception {
        private static final long serialVersionUID = 1L;
        final transient TlsDecision.Skip decision;

        Skipped(TlsDecision.Skip decision) {
            super(decision.reason(), null, false, false);
            this.decision = decision;
        }
    }

    private static TlsDecision.Skip invalid(String warning) {
        return new TlsDecision.Skip("4.7.5", CONFIG_PROBLEM, warning);
    }

    // ------------------------------------------------------------------ TLS-3 steps 1-4

    private Found lookup(TlsPolicyQuery q, List<String> warnings) throws Skipped {
        TlsPolicySources src = settings.sources();
        if (src.hasPolicyMaps()) {
            for (String key : policyKeys(q.nexthop())) {
                Optional<String> value;
                try {
                    value = src.policyMaps().find(key);
                } catch (RuntimeException e) {
                    // TLS-31: a table that cannot answer never means "no policy"
                    throw new Skipped(invalid(src.policyMapsName() + ": lookup error for \"" + key + "\": " + e.getMessage()));
                }
                if (value.isPresent()) {
                    String where = src.policyMapsName() + ", next-hop destination \"" + key + "\"";
                    PolicyEntry entry;
                    try {
                        entry = PolicyEntry.parse(value.get());
                    } catch (PolicyEntry.InvalidPolicyException e) {
                        throw new Skipped(invalid(where + ": invalid policy \"" + shorten(value.get()) + "\": " + e.getMessage()));
                    }
                    entry.warnings().forEach(w -> warnings.add(where + ": " + w));
                    return new Found(entry.level(), entry, where);
                }
            }
        } else if (src.hasPerSite()) {
            return new Found(perSite(q), null, src.perSiteName());
        }
        return new Found(settings.level(), null, "main.cf");
    }

    /**
     * TLS-3 step 3: the next hop as written, case-folded, and, only when that is a plain domain
     * name (no brackets, no port, not an address), its parent domains as {@code .parent}.
     */
    static List<String> policyKeys(String nexthop) {
        String key = nexthop.toLowerCase(Locale.ROOT);
        List<String> keys = new ArrayList<>();
        keys.add(key);
        if (PLAIN_NAME.matcher(key).matches() && !key.substring(key.lastIndexOf('.') + 1).chars().allMatch(Character::isDigit)) {
            for (int dot = key.indexOf('.'); dot >= 0; dot = key.indexOf('.', dot + 1)) {
                keys.add(key.substring(dot));
            }
        }
        return keys;
    }

    /**
     * TLS-3 step 4, the obsolete smtp_tls_per_site: the next hop and, when different, the server's
     * host name. NONE, MAY, MUST_NOPEERMATCH (encrypt) and MUST (verify); the stronger of the two
     * wins except that NONE overrides MAY, and MAY never lowers a stronger global level.
     */
    private TlsLevel perSite(TlsPolicyQuery q) throws Skipped {
        TlsPolicySources src = settings.sources();
        TlsLevel strongest = null;
        boolean none = false;
        boolean may = false;
        List<String> keys = new ArrayList<>(List.of(q.nexthopDomain().toLowerCase(Locale.ROOT)));
        if (!q.hostname().equalsIgnoreCase(q.nexthopDomain())) {
            keys.add(q.hostname().toLowerCase(Locale.ROOT));
        }
        for (String key : keys) {
            Optional<String> value;
            try {
                value = src.perSite().find(key);
            } catch (RuntimeException e) {
                throw new Skipped(new TlsDecision.Skip("4.3.0", "Temporary lookup error",
                        src.perSiteName() + ": lookup error for \"" + key + "\": " + e.getMessage()));
            }
            if (value.isEmpty()) {
                continue;
            }
            switch (value.get().trim().toUpperCase(Locale.ROOT)) {
                case "NONE" -> none = true;
                case "MAY" -> may = true;
                case "MUST_NOPEERMATCH" -> strongest = max(strongest, TlsLevel.ENCRYPT);
                case "MUST" -> strongest = max(strongest, TlsLevel.VERIFY);
                default -> throw new Skipped(invalid(src.perSiteName() + ": unknown TLS policy \"" + shorten(value.get())
                        + "\" for \"" + key + "\""));
            }
        }
        if (strongest != null) {
            return strongest;
        }
        if (none) {
            return TlsLevel.NONE;
        }
        if (may) {
            return max(settings.level(), TlsLevel.MAY);
        }
        return settings.level();
    }

    private static TlsLevel max(TlsLevel a, TlsLevel b) {
        return a == null || b.compareTo(a) > 0 ? b : a;
    }

    // ------------------------------------------------------------------ TLS-3 steps 5-6

    private TlsDecision decide(TlsPolicyQuery q, Found found, TrustAnchorFiles policyAnchors, List<String> warnings) {
        TlsLevel level = found.level();
        PolicyEntry entry = found.entry();
        if (settings.wrapperMode() && !level.requiresTls()) {
            // TLS-14: wrapper mode needs TLS; Postfix skips such a server with this warning and no error
            return new TlsDecision.Ignore(settings.wrapperParameter() + " requires \"" + settings.levelParameter()
                    + " = encrypt\" (or stronger)" + (found.entry() == null ? "" : " (" + found.where() + ")"));
        }
        if (level == TlsLevel.NONE) {
            return new TlsDecision.Use(TlsPolicy.NONE, warnings);
        }
        PeerCheck check;
        switch (level) {
            case FINGERPRINT -> {
                List<String> values = entry != null && !entry.match().isEmpty() ? entry.match()
                        : settings.sources().fingerprintMatch();
                Optional<FingerprintCheck> fp = FingerprintCheck.of(settings.sources().fingerprintDigest(), values,
                        w -> warnings.add(found.where() + ": " + w));
                if (fp.isEmpty()) {
                    return invalid(String.join("; ", warnings) + (warnings.isEmpty() ? "" : "; ") + found.where()
                            + ": TLS security level fingerprint without any usable certificate or public key fingerprint");
                }
                check = fp.get();
            }
            case VERIFY, SECURE -> {
                Optional<List<String>> match = entry == null || entry.match().isEmpty() ? Optional.empty()
                        : Optional.of(entry.match());
                if (entry != null && entry.sts() && settings.sources().enforceStsMxPatterns()
                        && !entry.mxHostPatterns().isEmpty() && match.isPresent()) {
                    // TLS-16: only the MX hosts the MTA-STS policy names, each matched by its own name
                    if (entry.mxHostPatterns().stream().noneMatch(p -> new MxPattern(p).matches(q.hostname()))) {
                        return new TlsDecision.Skip("4.7.5", "MX host name not permitted by the MTA-STS policy",
                                found.where() + ": MX host " + q.hostname() + " matches no mx_host_pattern of the MTA-STS policy "
                                        + entry.policyDomain().orElse(q.nexthopDomain()) + ": skipped");
                    }
                    match = Optional.of(List.of("hostname"));
                }
                ChainTrust trust = policyAnchors != null ? policyAnchors
                        : settings.sources().trustAnchors().isPresent() ? settings.sources().trustAnchors().get()
                                : settings.verification().anchors();
                check = settings.verification().forServer(level, q.hostname(), q.nexthopDomain(), trust, match);
            }
            default -> check = settings.verification().forServer(level, q.hostname(), q.nexthopDomain());
        }
        if (entry != null && entry.policyFailure().isPresent()) {
            // TLS-4: the plugin could not vouch for this destination, so nothing ever matches
            PeerCheck inner = check;
            String failure = entry.policyFailure().get();
            check = chain -> {
                PeerCheck.Result r = inner.check(chain);
                return new PeerCheck.Result(r.trusted(), null, "policy failure " + failure
                        + (r.problem() == null ? "" : "; " + r.problem()));
            };
        }
        String sni = serverName(q, entry == null ? Optional.empty() : entry.serverName());
        boolean reuse = entry != null ? entry.connectionReuse().orElse(settings.connectionReuse()) : settings.connectionReuse();
        SslContext context;
        try {
            context = context(level, entry);
        } catch (IllegalArgumentException e) {
            return invalid(found.where() + ": " + e.getMessage());
        }
        return new TlsDecision.Use(new TlsPolicy(level, context, sni, check, reuse), warnings);
    }

    /**
     * TLS-6: the client context for {@code level} with main.cf's protocols and ciphers (the
     * opportunistic set at may, the mandatory one above). Built once per distinct set; the agent's
     * configuration has built the main.cf ones at start-up.
     */
    public SslContext context(TlsLevel level) {
        return ClientTlsContexts.forPolicy(settings.ciphers().forLevel(level));
    }

    /**
     * TLS-4, TLS-6: the client context for {@code level} with a policy table entry's
     * {@code protocols=}, {@code ciphers=} and {@code exclude=}; main.cf's value for the level
     * where the entry has none (or there is no entry).
     *
     * @throws IllegalArgumentException with the reason when an attribute cannot be honoured: the
     *     policy is invalid (4.7.5 "client TLS configuration problem")
     */
    SslContext context(TlsLevel level, PolicyEntry entry) {
        return entry == null ? context(level)
                : context(level, entry.protocols().orElse(null), entry.ciphers().orElse(null), entry.exclude().orElse(null));
    }

    /**
     * The same from the attribute values (each null when the entry has none).
     *
     * @throws IllegalArgumentException with the reason when an attribute cannot be honoured
     */
    public SslContext context(TlsLevel level, String protocols, String ciphers, String exclude) {
        return ClientTlsContexts.forPolicy(settings.ciphers().forLevel(level, protocols, ciphers, exclude));
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
        return new TlsDecision.Use(new TlsPolicy(effective, context(effective),
                ascii(rrset.baseDomain()), check, settings.connectionReuse()));
    }

    private static TlsDecision lookupError(TlsPolicyQuery q) {
        return new TlsDecision.Skip(INVALID, "TLSA lookup error for " + q.hostname() + ":" + q.port(), null);
    }

    /** A policy at may or encrypt, as the global level would give it (DANE fell back to it). */
    private TlsPolicy plain(TlsLevel level, TlsPolicyQuery q) {
        return new TlsPolicy(level, context(level), serverName(q, Optional.empty()),
                settings.verification().forServer(level, q.hostname(), q.nexthopDomain()), settings.connectionReuse());
    }

    private static String ascii(String name) {
        try {
            return IDN.toASCII(name, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return name.toLowerCase(Locale.ROOT);
        }
    }

    /**
     * TLS-17, the policy's servername or else smtp_tls_servername: no SNI when empty (Postfix's
     * default); the server's host name for {@code hostname}; the next-hop domain for
     * {@code nexthop}; else the name given. In A-label form.
     */
    private String serverName(TlsPolicyQuery q, Optional<String> fromPolicy) {
        String name = switch (fromPolicy.orElse(settings.serverName())) {
            case "" -> null;
            case "hostname" -> q.hostname();
            case "nexthop" -> q.nexthopDomain();
            default -> fromPolicy.orElse(settings.serverName());
        };
        return name == null ? null : aLabel(name);
    }

    private static String aLabel(String name) {
        return IDN.toASCII(name, IDN.ALLOW_UNASSIGNED);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String shorten(String v) {
        return v.length() > 200 ? v.substring(0, 200) + "..." : v;
    }
}
