package io.postilion.engine.agent;

import io.postilion.engine.config.LookupTable;
import io.postilion.engine.maillog.InfoLogFormat;
import io.postilion.engine.rewrite.RewriteSettings;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SourceAddress;
import java.util.List;
import io.postilion.engine.tls.MtaStsSettings;
import io.postilion.engine.tls.RequireTlsSettings;
import io.postilion.engine.tls.TlsCipherSettings;
import io.postilion.engine.tls.TlsPolicySettings;
import io.postilion.transport.netty.NettyTransport;
import java.util.Objects;

/**
 * The delivery agent's own parameters, beside the session's and the lookup's (Postfix's names;
 * the {@code lmtp_} twins in LMTP mode). An immutable value: change one through
 * {@link #toBuilder()}.
 *
 * @param session how sessions behave
 * @param myHostname $myhostname: the name of UNIX-socket LMTP servers in logs (SESS-6)
 * @param mxSessionLimit smtp_mx_session_limit (2; 0 = no limit)
 * @param fallbackRelay smtp_fallback_relay (empty)
 * @param skip5xxGreeting smtp_skip_5xx_greeting (yes)
 * @param softBounce soft_bounce (no)
 * @param quoteRfc821Envelope smtp_quote_rfc821_envelope (yes)
 * @param disableMimeOutputConversion disable_mime_output_conversion (no)
 * @param content smtp_line_length_limit, mime_nesting_limit and the BDAT chunk size
 * @param rewriting smtp_generic_maps, the header and body checks and the local names they need
 * @param reuse the connection cache's parameters (smtp_connection_cache_*, smtp_connection_reuse_*)
 * @param assumeFinal lmtp_assume_final (no): LMTP deliveries are final, as flag X says (DATA-25)
 * @param statusFilter smtp_delivery_status_filter (LOG-7)
 * @param sendXforward smtp_send_xforward_command (no): forward the original client (XFER-2)
 * @param verifyTarget smtp_address_verify_target (rcpt): where a probe stops (MISC-1)
 * @param debugPeers debug_peer_list (empty): peers whose conversations are logged (MISC-3)
 * @param notices notify_classes and error_notice_recipient: when a postmaster transcript is due (LOG-9)
 * @param bestMxTransport best_mx_transport (empty): who takes mail when we are the best MX (MISC-2)
 * @param logTlsStatus smtp_log_tls_feature_status (yes): the tls= field of the log line (LOG-5)
 * @param source smtp_bind_address, smtp_bind_address6, smtp_bind_address_enforce and the single
 *     non-loopback inet_interfaces address: the local end of TCP connections (SESS-5)
 * @param verifyNegativeCache address_verify_negative_cache (yes): off, a probe's failure is
 *     "undeliverable-but-not-cached" (CLARIFICATIONS 7)
 * @param relayhost relayhost (empty): a hard failure for a request whose first next-hop item is
 *     this setting is a configuration problem and defers with 4.3.5 (LOOKUP-22)
 * @param sasl client SASL: smtp_sasl_auth_enable and its companions (SASL-1..13)
 * @param tlsServerName smtp_tls_servername (empty: no SNI), {@code hostname}, {@code nexthop}, or a
 *     DNS name, already checked (TLS-17)
 * @param tlsSources the TLS policy tables and the defaults of fingerprint and trust anchors (TLS-3)
 * @param logFormat info_log_address_format and delay_logging_resolution_limit: how the delivery
 *     log line shows addresses and times (LOG-2, LOG-4)
 * @param debugLevel debug_peer_level (2): how much of a debug peer's session is logged (MISC-3)
 * @param mtaSts smtp_tls_mta_sts_enable and smtp_tls_mta_sts_CAfile: MTA-STS built in (TLS-32)
 * @param dane the DANE parameters and whether the lookup settings allow DANE (TLS-8)
 * @param tlsConnectionReuse smtp_tls_connection_reuse (no): a TLS session may be parked (TLS-21)
 * @param minimalBackoff minimal_backoff_time (300s): how long a message must have been queued when
 *     it was picked up before a failed opportunistic handshake falls back to plaintext (TLS-11)
 * @param tlsCiphers smtp_tls_protocols, smtp_tls_ciphers and their mandatory twins and exclusions (TLS-6)
 * @param requireTls requiretls_enable, smtp_requiretls_policy and tls_required_enable (TLS-19, TLS-20)
 * @param transport netty_transport (epoll): the Netty transport of the agent's connections
 */
public record AgentSettings(SessionSettings session, String myHostname, int mxSessionLimit, String fallbackRelay,
        boolean skip5xxGreeting, boolean softBounce, boolean quoteRfc821Envelope, boolean disableMimeOutputConversion,
        ContentOptions content, RewriteSettings rewriting, ConnectionReuse reuse, boolean assumeFinal,
        DeliveryStatusFilter statusFilter, boolean sendXforward, ProbeTarget verifyTarget, DebugPeers debugPeers,
        PostmasterNotices notices, String bestMxTransport, boolean logTlsStatus, SourceAddress source,
        String relayhost, boolean verifyNegativeCache, SaslSettings sasl, InfoLogFormat logFormat, int debugLevel,
        String tlsServerName, MtaStsSettings mtaSts, io.postilion.engine.tls.DaneSettings dane,
        io.postilion.engine.tls.TlsPolicySources tlsSources, boolean tlsConnectionReuse, java.time.Duration minimalBackoff,
        TlsCipherSettings tlsCiphers, RequireTlsSettings requireTls, NettyTransport transport) {

    /**
     * The main.cf side of every server's TLS policy (TLS-3): the session's global level, wrapper
     * mode and verification, with smtp_tls_servername.
     */
    public TlsPolicySettings tlsPolicy() {
        String prefix = session.lmtp() ? "lmtp_" : "smtp_";
        return new TlsPolicySettings(session.tlsLevel(), session.wrapperMode(), session.verification(), tlsServerName,
                dane, tlsSources, tlsCiphers, requireTls, tlsConnectionReuse, prefix + "tls_wrappermode",
                prefix + "tls_security_level");
    }

    public AgentSettings {
        Objects.requireNonNull(sasl, "sasl");
        Objects.requireNonNull(tlsServerName, "tlsServerName");
        Objects.requireNonNull(mtaSts, "mtaSts");
        Objects.requireNonNull(dane, "dane");
        Objects.requireNonNull(tlsSources, "tlsSources");
        Objects.requireNonNull(minimalBackoff, "minimalBackoff");
        Objects.requireNonNull(tlsCiphers, "tlsCiphers");
        Objects.requireNonNull(requireTls, "requireTls");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(logFormat, "logFormat");
        if (debugLevel < 1) {
            throw new IllegalArgumentException("debug_peer_level must be at least 1: " + debugLevel);
        }
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(relayhost, "relayhost");
        Objects.requireNonNull(verifyTarget, "verifyTarget");
        Objects.requireNonNull(debugPeers, "debugPeers");
        Objects.requireNonNull(notices, "notices");
        Objects.requireNonNull(bestMxTransport, "bestMxTransport");
        Objects.requireNonNull(rewriting, "rewriting");
        Objects.requireNonNull(reuse, "reuse");
        Objects.requireNonNull(statusFilter, "statusFilter");
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(myHostname, "myHostname");
        Objects.requireNonNull(fallbackRelay, "fallbackRelay");
        Objects.requireNonNull(content, "content");
        if (mxSessionLimit < 0) {
            throw new IllegalArgumentException("smtp_mx_session_limit must not be negative: " + mxSessionLimit);
        }
    }

    /** smtp or lmtp: the mail log's process name, and the transport in metrics and cache keys. */
    String serviceName() {
        return session.lmtp() ? "lmtp" : "smtp";
    }

    /** Postfix's defaults around the given session settings. */
    public static AgentSettings defaults(SessionSettings session, String myHostname) {
        return builder(session, myHostname).build();
    }

    /** A builder holding Postfix's defaults around the given session settings. */
    public static Builder builder(SessionSettings session, String myHostname) {
        return new Builder(session, myHostname);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public AgentSettings withSoftBounce(boolean on) {
        return toBuilder().softBounce(on).build();
    }

    public AgentSettings withMxSessionLimit(int limit) {
        return toBuilder().mxSessionLimit(limit).build();
    }

    public AgentSettings withFallbackRelay(String relays) {
        return toBuilder().fallbackRelay(relays).build();
    }

    public AgentSettings withRelayhost(String relayhost) {
        return toBuilder().relayhost(relayhost).build();
    }

    public AgentSettings withSkip5xxGreeting(boolean on) {
        return toBuilder().skip5xxGreeting(on).build();
    }

    /** Collects settings; one setter per parameter, named after it. */
    public static final class Builder {
        private SessionSettings session;
        private String myHostname;
        private int mxSessionLimit = 2;
        private String fallbackRelay = "";
        private boolean skip5xxGreeting = true;
        private boolean softBounce;
        private boolean quoteRfc821Envelope = true;
        private boolean disableMimeOutputConversion;
        private ContentOptions content = ContentOptions.defaults();
        private RewriteSettings rewriting = RewriteSettings.none();
        private ConnectionReuse reuse = ConnectionReuse.defaults();
        private boolean assumeFinal;
        private DeliveryStatusFilter statusFilter = DeliveryStatusFilter.none();
        private boolean sendXforward;
        private ProbeTarget verifyTarget = ProbeTarget.RCPT;
        private DebugPeers debugPeers = DebugPeers.none();
        private PostmasterNotices notices = PostmasterNotices.defaults();
        private String bestMxTransport = "";
        private boolean logTlsStatus = true;
        private SourceAddress source = SourceAddress.NONE;
        private String relayhost = "";
        private boolean verifyNegativeCache = true;
        private SaslSettings sasl = SaslSettings.disabled();
        private String tlsServerName = "";
        private MtaStsSettings mtaSts = MtaStsSettings.OFF;
        private io.postilion.engine.tls.TlsPolicySources tlsSources = io.postilion.engine.tls.TlsPolicySources.NONE;
        private TlsCipherSettings tlsCiphers = TlsCipherSettings.DEFAULTS;
        private RequireTlsSettings requireTls = RequireTlsSettings.DEFAULTS;
        private InfoLogFormat logFormat = InfoLogFormat.DEFAULTS;
        private int debugLevel = 2;
        private io.postilion.engine.tls.DaneSettings dane = io.postilion.engine.tls.DaneSettings.DEFAULT;
        private boolean tlsConnectionReuse;
        private java.time.Duration minimalBackoff = java.time.Duration.ofSeconds(300);
        private NettyTransport transport = NettyTransport.EPOLL;

        private Builder(SessionSettings session, String myHostname) {
            this.session = session;
            this.myHostname = myHostname;
        }

        private Builder(AgentSettings s) {
            this.session = s.session;
            this.myHostname = s.myHostname;
            this.mxSessionLimit = s.mxSessionLimit;
            this.fallbackRelay = s.fallbackRelay;
            this.skip5xxGreeting = s.skip5xxGreeting;
            this.softBounce = s.softBounce;
            this.quoteRfc821Envelope = s.quoteRfc821Envelope;
            this.disableMimeOutputConversion = s.disableMimeOutputConversion;
            this.content = s.content;
            this.rewriting = s.rewriting;
            this.reuse = s.reuse;
            this.assumeFinal = s.assumeFinal;
            this.statusFilter = s.statusFilter;
            this.sendXforward = s.sendXforward;
            this.verifyTarget = s.verifyTarget;
            this.debugPeers = s.debugPeers;
            this.notices = s.notices;
            this.bestMxTransport = s.bestMxTransport;
            this.logTlsStatus = s.logTlsStatus;
            this.source = s.source;
            this.relayhost = s.relayhost;
            this.verifyNegativeCache = s.verifyNegativeCache;
            this.sasl = s.sasl;
            this.tlsServerName = s.tlsServerName;
            this.mtaSts = s.mtaSts;
            this.tlsSources = s.tlsSources;
            this.tlsCiphers = s.tlsCiphers;
            this.requireTls = s.requireTls;
            this.logFormat = s.logFormat;
            this.debugLevel = s.debugLevel;
            this.dane = s.dane;
            this.tlsConnectionReuse = s.tlsConnectionReuse;
            this.minimalBackoff = s.minimalBackoff;
            this.transport = s.transport;
        }

        public Builder session(SessionSettings v) {
            this.session = v;
            return this;
        }

        public Builder myHostname(String v) {
            this.myHostname = v;
            return this;
        }

        public Builder mxSessionLimit(int v) {
            this.mxSessionLimit = v;
            return this;
        }

        public Builder fallbackRelay(String v) {
            this.fallbackRelay = v;
            return this;
        }

        public Builder skip5xxGreeting(boolean v) {
            this.skip5xxGreeting = v;
            return this;
        }

        public Builder softBounce(boolean v) {
            this.softBounce = v;
            return this;
        }

        public Builder quoteRfc821Envelope(boolean v) {
            this.quoteRfc821Envelope = v;
            return this;
        }

        public Builder disableMimeOutputConversion(boolean v) {
            this.disableMimeOutputConversion = v;
            return this;
        }

        public Builder content(ContentOptions v) {
            this.content = v;
            return this;
        }

        /** smtp_generic_maps (DATA-26). */
        public Builder genericMaps(LookupTable v) {
            this.rewriting = rewriting.withGenericMaps(v);
            return this;
        }

        /** smtp_header_checks (DATA-30). */
        public Builder headerChecks(LookupTable v) {
            this.rewriting = rewriting.withHeaderChecks(v);
            return this;
        }

        /** smtp_mime_header_checks (DATA-30). */
        public Builder mimeHeaderChecks(LookupTable v) {
            this.rewriting = rewriting.withMimeHeaderChecks(v);
            return this;
        }

        /** smtp_nested_header_checks (DATA-30). */
        public Builder nestedHeaderChecks(LookupTable v) {
            this.rewriting = rewriting.withNestedHeaderChecks(v);
            return this;
        }

        /** smtp_body_checks (DATA-30). */
        public Builder bodyChecks(LookupTable v) {
            this.rewriting = rewriting.withBodyChecks(v);
            return this;
        }

        /** $myorigin (DATA-26). */
        public Builder myOrigin(String v) {
            this.rewriting = rewriting.withMyOrigin(v);
            return this;
        }

        /** $mydestination (DATA-26). */
        public Builder myDestination(List<String> v) {
            this.rewriting = rewriting.withMyDestination(v);
            return this;
        }

        /** inet_interfaces and proxy_interfaces, as local address literals for DATA-26. */
        public Builder localInterfaces(List<String> v) {
            this.rewriting = rewriting.withLocalInterfaces(v);
            return this;
        }

        /** propagate_unmatched_extensions (DATA-26). */
        public Builder propagateUnmatchedExtensions(List<String> v) {
            this.rewriting = rewriting.withPropagateUnmatchedExtensions(v);
            return this;
        }

        /** recipient_delimiter (DATA-26). */
        public Builder recipientDelimiter(String v) {
            this.rewriting = rewriting.withRecipientDelimiter(v);
            return this;
        }

        public Builder statusFilter(DeliveryStatusFilter v) {
            this.statusFilter = v;
            return this;
        }

        public Builder assumeFinal(boolean v) {
            this.assumeFinal = v;
            return this;
        }

        public Builder reuse(ConnectionReuse v) {
            this.reuse = v;
            return this;
        }

        public Builder sendXforward(boolean v) {
            this.sendXforward = v;
            return this;
        }

        public Builder verifyTarget(ProbeTarget v) {
            this.verifyTarget = v;
            return this;
        }

        public Builder debugPeers(DebugPeers v) {
            this.debugPeers = v;
            return this;
        }

        public Builder notices(PostmasterNotices v) {
            this.notices = v;
            return this;
        }

        public Builder logFormat(InfoLogFormat v) {
            this.logFormat = v;
            return this;
        }

        /** debug_peer_level. */
        public Builder debugLevel(int v) {
            this.debugLevel = v;
            return this;
        }

        public Builder verifyNegativeCache(boolean v) {
            this.verifyNegativeCache = v;
            return this;
        }

        public Builder relayhost(String v) {
            this.relayhost = v;
            return this;
        }

        public Builder bestMxTransport(String v) {
            this.bestMxTransport = v;
            return this;
        }

        public Builder logTlsStatus(boolean v) {
            this.logTlsStatus = v;
            return this;
        }

        public Builder source(SourceAddress v) {
            this.source = v;
            return this;
        }

        /** The TLS policy tables and level defaults (TLS-3). */
        public Builder tlsSources(io.postilion.engine.tls.TlsPolicySources v) {
            this.tlsSources = v;
            return this;
        }

        public Builder tlsServerName(String v) {
            this.tlsServerName = v;
            return this;
        }

        public Builder mtaSts(MtaStsSettings v) {
            this.mtaSts = v;
            return this;
        }

        /** TLS-8's parameters. */
        public Builder dane(io.postilion.engine.tls.DaneSettings v) {
            this.dane = v;
            return this;
        }

        /** TLS-21: smtp_tls_connection_reuse. */
        public Builder tlsConnectionReuse(boolean v) {
            this.tlsConnectionReuse = v;
            return this;
        }

        /** TLS-11: minimal_backoff_time. */
        public Builder minimalBackoff(java.time.Duration v) {
            this.minimalBackoff = v;
            return this;
        }

        /** TLS-6: the protocols and ciphers of each level, from main.cf. */
        public Builder tlsCiphers(TlsCipherSettings v) {
            this.tlsCiphers = v;
            return this;
        }

        /** TLS-19, TLS-20: REQUIRETLS and "TLS-Required: no". */
        public Builder requireTls(RequireTlsSettings v) {
            this.requireTls = v;
            return this;
        }

        /** netty_transport: the Netty transport the agent connects on. */
        public Builder transport(NettyTransport v) {
            this.transport = v;
            return this;
        }

        public Builder sasl(SaslSettings v) {
            this.sasl = v;
            return this;
        }

        public AgentSettings build() {
            return new AgentSettings(session, myHostname, mxSessionLimit, fallbackRelay, skip5xxGreeting, softBounce,
                    quoteRfc821Envelope, disableMimeOutputConversion, content,
                    rewriting.withService(session.lmtp() ? "lmtp" : "smtp"), reuse, assumeFinal,
                    statusFilter, sendXforward, verifyTarget, debugPeers, notices, bestMxTransport, logTlsStatus, source,
                    relayhost, verifyNegativeCache, sasl, logFormat, debugLevel, tlsServerName, mtaSts, dane,
                    tlsSources, tlsConnectionReuse, minimalBackoff, tlsCiphers, requireTls, transport);
        }
    }
}
