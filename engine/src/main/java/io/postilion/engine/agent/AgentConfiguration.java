package io.postilion.engine.agent;

import io.postilion.dns.AddressPreference;
import io.postilion.dns.DnsSupportLevel;
import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SearchList;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.destination.HostNames;
import io.postilion.dns.destination.KnownTcpPorts;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsReplyFilter;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.LocalHostNames;
import io.postilion.engine.config.LookupTable;
import io.postilion.engine.tls.TlsCipherSettings;
import io.postilion.tls.CipherGrade;
import io.postilion.tls.ClientTlsContexts;
import io.postilion.tls.ServerVerification;
import io.postilion.tls.TlsCipherPolicy;
import io.postilion.tls.TlsProtocols;
import io.postilion.tls.TlsLevel;
import io.postilion.tls.TrustAnchors;
import io.postilion.engine.tls.MtaStsSettings;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.protocol.DiscardedKeywords;
import io.postilion.transport.session.AddressMap;
import io.postilion.transport.session.PixWorkarounds;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.SourceAddress;
import io.postilion.transport.session.Timeouts;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds a delivery agent from main.cf parameters: the one place where Postfix's parameter names
 * meet the settings records of dns/, transport/ and the agent. Works on the SMTP view or, for
 * LMTP, on {@link Configuration#forLmtp()}, so every name below reads its lmtp_ twin there.
 */
public final class AgentConfiguration {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AgentConfiguration.class);

    /** Keys the DNS answer cache holds at most (README: "DNS with a cache"; Postfix leaves caching to the resolver). */
    static final int DNS_CACHE_ENTRIES = 10_000;

    /** The longest an answer stays cached, whatever its TTL says. */
    static final Duration DNS_CACHE_MAX_TTL = Duration.ofHours(1);

    private AgentConfiguration() {
    }

    /**
     * DEST-7/DEST-8: the parser with {@code known_tcp_ports} (then the system services database) and
     * the default service {@code smtp_tcp_port} / {@code lmtp_tcp_port}. A value that cannot give a
     * port stops start-up here, naming the parameter, rather than deferring every delivery later.
     */
    static DestinationParser destinationParser(Configuration cfg, DeliveryProtocol protocol) {
        KnownTcpPorts ports;
        String known = cfg.string("known_tcp_ports");
        try {
            ports = KnownTcpPorts.parse(known);
        } catch (IllegalArgumentException e) {
            throw bad("known_tcp_ports", known, e.getMessage().replaceFirst("^known_tcp_ports: ", ""));
        }
        ports = SystemServices.add(ports);
        String param = cfg.effectiveName("smtp_tcp_port");
        String service = cfg.string("smtp_tcp_port").trim();
        if (service.isEmpty()) {
            throw bad(param, service, "empty service");
        }
        if (Character.isDigit(service.charAt(0))) {
            if (!service.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw bad(param, service, "garbage after numerical service");
            }
            if (service.length() > 5 || Integer.parseInt(service) < 1 || Integer.parseInt(service) > 65535) {
                throw bad(param, service, "port number out of range");
            }
        } else if (ports.lookup(service).isEmpty()) {
            throw bad(param, service, "unknown service (neither in known_tcp_ports nor in the services database)");
        }
        // DEST-5: UTF-8 host names only with SMTPUTF8 support on (Postfix's valid_utf8_hostname)
        return new DestinationParser(protocol, ports, service, smtputf8(cfg).enabled(), cfg.bool("smtp_tls_wrappermode"));
    }

    /** Exit 78 with a message naming the parameter and its value (CLARIFICATIONS 6). */
    private static ConfigurationException bad(String param, String value, String why) {
        return ConfigurationException.badValue(param, param + " = " + value + ": " + why);
    }

    /**
     * The tcp entries of /etc/services, read once (at the first agent built, on the thread that
     * starts the program, never on an event loop) for DEST-7's second step.
     */
    private static final class SystemServices {
        private static final java.nio.file.Path FILE = java.nio.file.Path.of("/etc/services");
        private static final java.util.Map<String, Integer> TABLE = load();

        private static java.util.Map<String, Integer> load() {
            try {
                return java.nio.file.Files.isReadable(FILE) ? KnownTcpPorts.parse("").withServicesFile(FILE).system()
                        : java.util.Map.of();
            } catch (java.io.IOException | RuntimeException e) {
                return java.util.Map.of();
            }
        }

        static KnownTcpPorts add(KnownTcpPorts known) {
            return new KnownTcpPorts(known.known(), TABLE);
        }
    }

    /**
     * SESS-5: {@code smtp_bind_address} (IPv4) and {@code smtp_bind_address6} (IPv6), each optionally
     * in brackets and numeric (no name-service lookup), and {@code smtp_bind_address_enforce}; when one
     * is empty, the only {@code inet_interfaces} address of that family if it is not loopback.
     */
    static SourceAddress sourceAddress(Configuration cfg) {
        InetAddress bind4 = bindAddress(cfg.string("smtp_bind_address"), cfg.effectiveName("smtp_bind_address"),
                cfg.effectiveName("smtp_bind_address6"), false);
        InetAddress bind6 = bindAddress(cfg.string("smtp_bind_address6"), cfg.effectiveName("smtp_bind_address6"),
                cfg.effectiveName("smtp_bind_address"), true);
        List<InetAddress> v4 = new ArrayList<>();
        List<InetAddress> v6 = new ArrayList<>();
        boolean countable = true;
        for (String item : cfg.list("inet_interfaces")) {
            String literal = item.startsWith("[") && item.endsWith("]") ? item.substring(1, item.length() - 1) : item;
            var address = HostNames.parseNumeric(literal);
            if (address.isEmpty()) {
                countable = false; // "all", "loopback-only" or a name: not one known address per family
                continue;
            }
            (address.get() instanceof Inet6Address ? v6 : v4).add(address.get());
        }
        InetAddress interface4 = countable && v4.size() == 1 && !v4.get(0).isLoopbackAddress() ? v4.get(0) : null;
        InetAddress interface6 = countable && v6.size() == 1 && !v6.get(0).isLoopbackAddress() ? v6.get(0) : null;
        return new SourceAddress(bind4, bind6, cfg.bool("smtp_bind_address_enforce"), interface4, interface6);
    }

    private static InetAddress bindAddress(String setting, String param, String otherParam, boolean ipv6) {
        String value = setting.trim();
        if (value.isEmpty()) {
            return null;
        }
        String literal = value;
        if (value.startsWith("[")) {
            if (!value.endsWith("]") || value.indexOf(']') != value.length() - 1) {
                throw bad(param, value, "malformed address");
            }
            literal = value.substring(1, value.length() - 1);
        }
        InetAddress address = HostNames.parseNumeric(literal).orElseThrow(() -> bad(param, value,
                "not a numeric " + (ipv6 ? "IPv6" : "IPv4") + " address"));
        if ((address instanceof Inet6Address) != ipv6) {
            throw bad(param, value, "not an " + (ipv6 ? "IPv6" : "IPv4") + " address ("
                    + (ipv6 ? "IPv4" : "IPv6") + " sources belong in " + otherParam + ")");
        }
        return address;
    }

    /**
     * @throws ConfigurationException (78) for a value Postilion cannot honour yet, e.g. a TLS level
     *     that needs certificate verification
     */
    public static DeliveryAgent agent(Configuration cfg, Clock clock) {
        return agent(cfg, clock, null);
    }

    /** As {@link #agent(Configuration, Clock)}, recording meters in {@code registry} when it is not null. */
    public static DeliveryAgent agent(Configuration cfg, Clock clock, MeterRegistry registry) {
        return agent(cfg, clock, registry, null);
    }

    /**
     * As {@link #agent(Configuration, Clock, MeterRegistry)}, with the sessions' pauses run by
     * {@code timer} when it is not null (a test's virtual time).
     */
    static DeliveryAgent agent(Configuration cfg, Clock clock, MeterRegistry registry, reactor.core.scheduler.Scheduler timer) {
        boolean lmtp = cfg.isLmtp();
        DeliveryProtocol protocol = lmtp ? DeliveryProtocol.LMTP : DeliveryProtocol.SMTP;
        DestinationParser parser = destinationParser(cfg, protocol);
        // The filter comes before the cache, so that the cache holds filtered answers: each agent (SMTP,
        // LMTP) has its own resolver and cache, so one protocol's filter never shapes the other's answers.
        AsyncDnsResolver dns = AsyncDnsResolver.create(resolverConfig(cfg))
                .withReplyFilter(dnsReplyFilter(cfg))
                .withCache(DNS_CACHE_ENTRIES, DNS_CACHE_MAX_TTL, Clock.systemUTC());
        if (registry != null) {
            dns = dns.withMeterRegistry(registry);
        }
        NextHopResolver resolver = new NextHopResolver(dns, lookupSettings(cfg, protocol));
        String transport = lmtp ? "lmtp" : "smtp";
        DeliveryMetrics metrics = registry == null ? DeliveryMetrics.none(transport) : new DeliveryMetrics(registry, transport);
        AgentSettings settings = agentSettings(cfg);
        if (timer != null) {
            settings = settings.toBuilder().session(settings.session().withTimer(timer)).build();
        }
        return new DeliveryAgent(settings, resolver, parser, clock, metrics);
    }

    static AgentSettings agentSettings(Configuration cfg) {
        io.postilion.engine.config.ParameterSupport.check(cfg);
        SessionSettings base = cfg.isLmtp() ? SessionSettings.lmtp(cfg.string("smtp_helo_name"))
                : SessionSettings.smtp(cfg.string("smtp_helo_name"));
        TlsLevel level = tlsLevel(cfg);
        SessionSettings session = base
                .withEhlo(cfg.bool("smtp_always_send_ehlo"), cfg.bool("smtp_never_send_ehlo"))
                .withDiscard(DiscardedKeywords.parse(String.join(" ", cfg.list("smtp_discard_ehlo_keywords"))),
                        addressMap(cfg, "smtp_discard_ehlo_keyword_address_maps"))
                .withPix(new PixWorkarounds(String.join(" ", cfg.list("smtp_pix_workarounds")),
                        addressMap(cfg, "smtp_pix_workaround_maps"), cfg.time("smtp_pix_workaround_delay_time"),
                        cfg.time("smtp_pix_workaround_threshold_time")))
                .withChunking(cfg.bool("smtp_use_chunking"))
                .withSkipQuitResponse(cfg.bool("smtp_skip_quit_response"))
                .withTimeouts(timeouts(cfg))
                .withTls(level, cfg.bool("smtp_tls_wrappermode"))
                .withVerification(serverVerification(cfg, level))
                .withReplyFilter(replyFilter(cfg.table("smtp_reply_filter")))
                .withSmtputf8(smtputf8(cfg).enabled())
                .withTlsLogging(TlsLogLevel.parse(cfg.effectiveName("smtp_tls_loglevel"), cfg.string("smtp_tls_loglevel")),
                        cfg.bool("tls_fast_shutdown_enable"))
                .withNoteStartTlsOffer(cfg.bool("smtp_tls_note_starttls_offer"));
        ContentOptions content = ContentOptions.defaults()
                .withLineLengthLimit(cfg.integer("smtp_line_length_limit"))
                .withMimeNestingLimit(cfg.integer("mime_nesting_limit"));
        return AgentSettings.builder(session, cfg.string("myhostname"))
                .mxSessionLimit(cfg.integer("smtp_mx_session_limit"))
                .fallbackRelay(cfg.string("smtp_fallback_relay"))
                .skip5xxGreeting(cfg.bool("smtp_skip_5xx_greeting"))
                .softBounce(cfg.bool("soft_bounce"))
                .quoteRfc821Envelope(cfg.bool("smtp_quote_rfc821_envelope"))
                .disableMimeOutputConversion(cfg.bool("disable_mime_output_conversion"))
                .content(content)
                .genericMaps(cfg.table("smtp_generic_maps"))
                .headerChecks(cfg.table("smtp_header_checks"))
                .mimeHeaderChecks(cfg.table("smtp_mime_header_checks"))
                .nestedHeaderChecks(cfg.table("smtp_nested_header_checks"))
                .bodyChecks(cfg.table("smtp_body_checks"))
                .myOrigin(cfg.string("myorigin"))
                .myDestination(cfg.list("mydestination"))
                .localInterfaces(java.util.stream.Stream.concat(cfg.list("inet_interfaces").stream(),
                        cfg.list("proxy_interfaces").stream()).toList())
                .propagateUnmatchedExtensions(cfg.list("propagate_unmatched_extensions"))
                .recipientDelimiter(cfg.string("recipient_delimiter"))
                .assumeFinal(cfg.isLmtp() && cfg.bool("lmtp_assume_final"))
                .statusFilter(new DeliveryStatusFilter(cfg.table("smtp_delivery_status_filter")))
                .sendXforward(cfg.bool("smtp_send_xforward_command"))
                .verifyTarget(ProbeTarget.valueOf(cfg.string("smtp_address_verify_target").trim().toUpperCase(Locale.ROOT)))
                .debugPeers(debugPeers(cfg))
                .debugLevel(cfg.integer("debug_peer_level"))
                .logFormat(io.postilion.engine.maillog.InfoLogFormat.from(cfg))
                .notices(PostmasterNotices.of(cfg.list("notify_classes"), cfg.string("error_notice_recipient"),
                        cfg.string("double_bounce_sender")))
                .bestMxTransport(cfg.string("best_mx_transport"))
                .relayhost(cfg.string("relayhost"))
                .verifyNegativeCache(cfg.bool("address_verify_negative_cache"))
                .logTlsStatus(cfg.bool("smtp_log_tls_feature_status"))
                .source(sourceAddress(cfg))
                .transport(io.postilion.engine.config.NettyTransportSetting.from(cfg))
                .sasl(saslSettings(cfg))
                .tlsServerName(tlsServerName(cfg))
                .mtaSts(mtaSts(cfg))
                .dane(daneSettings(cfg, level))
                .tlsSources(tlsSources(cfg, level))
                .tlsConnectionReuse(cfg.bool("smtp_tls_connection_reuse"))
                .minimalBackoff(cfg.time("minimal_backoff_time"))
                .tlsCiphers(tlsCiphers(cfg, level))
                .requireTls(requireTls(cfg))
                .reuse(new ConnectionReuse(cfg.list("smtp_connection_cache_destinations"),
                        cfg.bool("smtp_connection_cache_on_demand"), cfg.time("smtp_connection_cache_time_limit"),
                        cfg.time("smtp_connection_reuse_time_limit"), cfg.integer("smtp_connection_reuse_count_limit")))
                .build();
    }

    /**
     * Spec section 9: the client SASL parameters, checked as Postfix's smtp_sasl_initialize checks
     * them (enabled without a password table, a SASL type other than cyrus, an unknown security
     * option: exit 78). A password table file other users can read gets a warning.
     */
    static SaslSettings saslSettings(Configuration cfg) {
        String enable = cfg.effectiveName("smtp_sasl_auth_enable");
        String type = cfg.string("smtp_sasl_type").trim();
        if (!type.equals("cyrus")) {
            throw bad(cfg.effectiveName("smtp_sasl_type"), type,
                    "unsupported SASL client implementation (this client speaks Cyrus's mechanisms: cyrus)");
        }
        String delimiter = cfg.string("smtp_sasl_password_result_delimiter");
        if (delimiter.length() != 1) {
            throw bad(cfg.effectiveName("smtp_sasl_password_result_delimiter"), delimiter, "must be one character");
        }
        var plaintext = saslOptions(cfg, "smtp_sasl_security_options");
        var tls = saslOptions(cfg, "smtp_sasl_tls_security_options");
        var verified = saslOptions(cfg, "smtp_sasl_tls_verified_security_options");
        String mapsName = cfg.effectiveName("smtp_sasl_password_maps");
        List<String> maps = cfg.list("smtp_sasl_password_maps");
        boolean enabled = cfg.bool("smtp_sasl_auth_enable");
        if (enabled && maps.isEmpty()) {
            throw ConfigurationException.badValue(mapsName, enable + " = yes: specify a password table via the `"
                    + mapsName + "' configuration parameter");
        }
        if (enabled) {
            warnIfOthersCanRead(mapsName, maps);
        }
        MechanismFilter filter = MechanismFilter.parse(cfg.effectiveName("smtp_sasl_mechanism_filter"),
                cfg.list("smtp_sasl_mechanism_filter"), LOG::warn);
        return new SaslSettings(enabled, cfg.table("smtp_sasl_password_maps"), delimiter.charAt(0),
                !cfg.isLmtp() && cfg.bool("smtp_sender_dependent_authentication"), filter, plaintext, tls, verified,
                cfg.bool("smtp_sasl_auth_soft_bounce"), cfg.bool("send_cyrus_sasl_authzid"),
                cfg.bool("smtp_send_dummy_mail_auth"));
    }

    /**
     * TLS-6, TLS-26, TLS-27: both sets of protocols and ciphers, checked now. Postfix finds a bad
     * list only when a session has already accepted STARTTLS and then fails that session (a
     * handshake failure); here every value is checked at start-up and one that cannot be honoured
     * exactly stops it with exit 78 naming the parameter (a documented departure), whatever the
     * level, since a policy table may choose another level. With TLS on, the contexts of the
     * main.cf sets are built now, off any event loop.
     */
    static TlsCipherSettings tlsCiphers(Configuration cfg, TlsLevel level) {
        TlsProtocols opportunisticProtocols = protocols(cfg, "smtp_tls_protocols");
        TlsProtocols mandatoryProtocols = protocols(cfg, "smtp_tls_mandatory_protocols");
        CipherGrade opportunisticGrade = grade(cfg, "smtp_tls_ciphers");
        CipherGrade mandatoryGrade = grade(cfg, "smtp_tls_mandatory_ciphers");
        List<String> exclude = exclusions(cfg, "smtp_tls_exclude_ciphers");
        List<String> both = new java.util.ArrayList<>(exclude);
        both.addAll(exclusions(cfg, "smtp_tls_mandatory_exclude_ciphers"));
        // TLS-25: read whenever the client might use TLS; a file that cannot be used stops start-up
        // (CLARIFICATIONS 39), where Postfix would disable its TLS engine and weaken every level
        boolean tlsPossible = level != TlsLevel.NONE || cfg.isSet("smtp_tls_policy_maps") || cfg.isSet("smtp_tls_per_site");
        io.postilion.tls.KeyAndChain certificate = io.postilion.engine.config.KeyFiles.load(cfg, "smtp_tls_cert_file",
                "smtp_tls_key_file", "smtp_tls_chain_files", tlsPossible).orElse(null);
        TlsCipherSettings settings = new TlsCipherSettings(
                new TlsCipherPolicy(opportunisticProtocols, opportunisticGrade, exclude),
                new TlsCipherPolicy(mandatoryProtocols, mandatoryGrade, both), certificate);
        if (level != TlsLevel.NONE) {
            for (TlsLevel l : new TlsLevel[] {TlsLevel.MAY, TlsLevel.ENCRYPT, TlsLevel.VERIFY}) {
                String culprit = l == TlsLevel.MAY ? "smtp_tls_exclude_ciphers" : "smtp_tls_mandatory_exclude_ciphers";
                try {
                    ClientTlsContexts.forPolicy(settings.forLevel(l));
                } catch (IllegalArgumentException e) {
                    throw ConfigurationException.badValue(cfg.effectiveName(culprit), cfg.effectiveName(culprit) + " = "
                            + String.join(", ", cfg.list(culprit)) + ": " + e.getMessage());
                }
            }
        }
        return settings;
    }

    /**
     * TLS-19, TLS-20: requiretls_enable, smtp_requiretls_policy (its tables opened now; empty is
     * Postfix's computed SMTP default) and tls_required_enable.
     */
    static io.postilion.engine.tls.RequireTlsSettings requireTls(Configuration cfg) {
        String name = cfg.effectiveName("smtp_requiretls_policy");
        String value = cfg.string("smtp_requiretls_policy");
        io.postilion.engine.tls.RequireTlsPolicy policy = value.isBlank()
                ? io.postilion.engine.tls.RequireTlsPolicy.computedDefault(cfg.string("mydomain"))
                : io.postilion.engine.tls.RequireTlsPolicy.parse(name, value, LOG::warn);
        return new io.postilion.engine.tls.RequireTlsSettings(cfg.bool("requiretls_enable"), policy,
                cfg.bool("tls_required_enable"));
    }

    private static TlsProtocols protocols(Configuration cfg, String name) {
        String value = cfg.string(name);
        TlsProtocols p;
        try {
            p = TlsProtocols.parse(value, TlsProtocols.Syntax.MAIN_CF);
        } catch (IllegalArgumentException e) {
            throw bad(cfg.effectiveName(name), value, e.getMessage());
        }
        if (!p.unsupported().isEmpty()) {
            LOG.warn("{} = {}: {} is not supported by this build and is not offered", cfg.effectiveName(name), value,
                    String.join(", ", p.unsupported()));
        }
        return p;
    }

    private static CipherGrade grade(Configuration cfg, String name) {
        CipherGrade g;
        try {
            g = CipherGrade.parse(cfg.string(name));
        } catch (IllegalArgumentException e) {
            throw bad(cfg.effectiveName(name), cfg.string(name), e.getMessage());
        }
        if (g == CipherGrade.NULL) {
            // CLARIFICATIONS 39: a cipher setting that cannot be honoured stops start-up.
            throw bad(cfg.effectiveName(name), cfg.string(name), "the null grade (no encryption) is not supported: "
                    + "BoringSSL has no NULL-encryption cipher suite");
        }
        return g;
    }

    private static List<String> exclusions(Configuration cfg, String name) {
        List<String> list = cfg.list(name);
        try {
            io.postilion.tls.CipherSuites.exclude(List.of(), list); // every word understood
        } catch (IllegalArgumentException e) {
            throw bad(cfg.effectiveName(name), String.join(", ", list), e.getMessage());
        }
        return list;
    }

    /**
     * TLS-17: empty, {@code hostname}, {@code nexthop}, or a DNS name (sent in A-label form). A
     * value that is none of these stops start-up; Postfix would defer every delivery instead.
     */
    private static String tlsServerName(Configuration cfg) {
        String v = cfg.string("smtp_tls_servername").trim();
        if (v.isEmpty() || v.equals("hostname") || v.equals("nexthop")) {
            return v;
        }
        String ascii;
        try {
            ascii = java.net.IDN.toASCII(v, java.net.IDN.ALLOW_UNASSIGNED);
        } catch (IllegalArgumentException e) {
            throw bad(cfg.effectiveName("smtp_tls_servername"), v, "not a valid DNS name");
        }
        if (!ascii.matches("(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\\.?")
                || ascii.length() > 253) {
            throw bad(cfg.effectiveName("smtp_tls_servername"), v, "not a valid DNS name");
        }
        return ascii;
    }

    private static java.util.Set<io.postilion.transport.sasl.SaslSecurityOption> saslOptions(Configuration cfg, String name) {
        try {
            return io.postilion.transport.sasl.SaslSecurityOption.parse(cfg.list(name));
        } catch (IllegalArgumentException e) {
            throw bad(cfg.effectiveName(name), String.join(", ", cfg.list(name)), e.getMessage());
        }
    }

    /** The passwords are secrets: a table file any local user can read gets a warning (once, at start). */
    private static void warnIfOthersCanRead(String parameter, List<String> maps) {
        for (String spec : maps) {
            int colon = spec.indexOf(':');
            String name = colon < 0 ? spec : spec.substring(colon + 1);
            if (!name.startsWith("/")) {
                continue;
            }
            try {
                var perms = java.nio.file.Files.getPosixFilePermissions(java.nio.file.Path.of(name));
                if (perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
                    LOG.warn("{}: {} is readable by other users, and it holds passwords: chmod o-r it", parameter, name);
                }
            } catch (java.io.IOException | UnsupportedOperationException e) {
                // the table was read when the configuration loaded; nothing more to say here
            }
        }
    }

    /** SESS-13, SESS-18: a table looked up with the server's address, named as this view reads it. */
    private static AddressMap addressMap(Configuration cfg, String name) {
        io.postilion.engine.config.LookupTable table = cfg.table(name);
        if (table.equals(io.postilion.engine.config.LookupTable.empty())) {
            return AddressMap.NONE;
        }
        return new AddressMap(cfg.effectiveName(name), table::find);
    }

    /** smtputf8_enable, with smtputf8_autodetect_classes checked at start-up like every other agent parameter. */
    private static io.postilion.engine.config.Smtputf8Settings smtputf8(Configuration cfg) {
        return io.postilion.engine.config.Smtputf8Settings.from(cfg);
    }

    private static DebugPeers debugPeers(Configuration cfg) {
        try {
            return DebugPeers.parse(cfg.list("debug_peer_list"));
        } catch (IllegalArgumentException e) {
            throw ConfigurationException.badValue("debug_peer_list", e.getMessage());
        }
    }

    /** REPLY-3: a matching line is replaced by the table's value; none when the table is empty. */
    private static java.util.function.UnaryOperator<String> replyFilter(io.postilion.engine.config.LookupTable table) {
        if (table.equals(io.postilion.engine.config.LookupTable.empty())) {
            return null;
        }
        return line -> table.find(line).orElse(line);
    }

    /**
     * TLS-2: smtp_tls_security_level, or when it is empty the level the obsolete parameters give:
     * smtp_enforce_tls (verify with smtp_tls_enforce_peername, else encrypt), else smtp_use_tls
     * (may), else none. Set beside a level, the obsolete ones are ignored, as Postfix ignores them,
     * but with a warning, so that nobody believes they count.
     */
    static TlsLevel tlsLevel(Configuration cfg) {
        String name = cfg.string("smtp_tls_security_level");
        boolean enforce = cfg.bool("smtp_enforce_tls");
        boolean peername = cfg.bool("smtp_tls_enforce_peername");
        boolean use = cfg.bool("smtp_use_tls");
        if (name.isBlank()) {
            TlsLevel derived = enforce ? peername ? TlsLevel.VERIFY : TlsLevel.ENCRYPT : use ? TlsLevel.MAY : TlsLevel.NONE;
            if (cfg.bool("smtp_tls_wrappermode") && !derived.requiresTls()) {
                throw ConfigurationException.badValue(cfg.effectiveName("smtp_tls_wrappermode"), "wrapper mode needs "
                        + cfg.effectiveName("smtp_tls_security_level") + " = encrypt or stronger, not the level '"
                        + derived.configName() + "' the obsolete TLS parameters give");
            }
            return derived;
        }
        for (String obsolete : new String[] {"smtp_use_tls", "smtp_enforce_tls", "smtp_tls_enforce_peername"}) {
            if (cfg.isSet(obsolete)) {
                LOG.warn("{} is ignored: {} = {} decides the TLS level", cfg.effectiveName(obsolete),
                        cfg.effectiveName("smtp_tls_security_level"), name);
            }
        }
        TlsLevel level = TlsLevel.parse(name).orElseThrow(() -> ConfigurationException.badValue(
                cfg.effectiveName("smtp_tls_security_level"), "unknown TLS security level '" + name + "'"));
        // TLS-14: wrapper mode below encrypt is not refused here: each server's policy skips it (TlsPolicyResolver)
        return level;
    }

    /**
     * TLS-32, CLARIFICATIONS 42: MTA-STS when smtp_tls_mta_sts_enable is on, for SMTP only (RFC 8461
     * governs MX delivery; an LMTP server is not an MX host). Its trust is smtp_tls_mta_sts_CAfile or,
     * when that is empty, the JDK's default store, read now; a file that cannot be read stops
     * start-up, as a CAfile of TLS-24 does.
     */
    static MtaStsSettings mtaSts(Configuration cfg) {
        boolean on = cfg.bool("smtp_tls_mta_sts_enable");
        String file = cfg.string("smtp_tls_mta_sts_CAfile").trim();
        if (!on || cfg.isLmtp()) {
            return MtaStsSettings.OFF;
        }
        TrustAnchors trust;
        try {
            trust = file.isEmpty() ? TrustAnchors.jdkDefault() : TrustAnchors.load(file, null);
        } catch (IllegalArgumentException e) {
            throw ConfigurationException.badValue("smtp_tls_mta_sts_CAfile", e.getMessage());
        }
        return new MtaStsSettings(true, trust, MtaStsSettings.FETCH_TIMEOUT);
    }

    /**
     * TLS-8: the DANE parameters, and whether the lookup settings leave DNSSEC any meaning
     * (Postfix's dane_init checks them for every server; they are fixed at start-up here, so the
     * answer is computed once and each server gets the warning). tls_dane_digests is checked
     * whatever the level, as Postfix's TLS library reads it at start.
     */
    static io.postilion.engine.tls.DaneSettings daneSettings(Configuration cfg, TlsLevel level) {
        io.postilion.tls.DaneDigests digests;
        try {
            digests = io.postilion.tls.DaneDigests.parse(String.join(" ", cfg.list("tls_dane_digests")));
        } catch (IllegalArgumentException e) {
            throw bad("tls_dane_digests", String.join(" ", cfg.list("tls_dane_digests")), e.getMessage());
        }
        var incompatible = io.postilion.engine.tls.DaneSettings.Incompatibility.NONE;
        String options = cfg.string("smtp_dns_resolver_options");
        if (dnsSupportLevel(cfg) != DnsSupportLevel.DNSSEC || !cfg.list("smtp_host_lookup").contains("dns")) {
            incompatible = io.postilion.engine.tls.DaneSettings.Incompatibility.DNSSEC_OFF;
        } else if (!cfg.isLmtp() && cfg.bool("ignore_mx_lookup_error")) {
            incompatible = io.postilion.engine.tls.DaneSettings.Incompatibility.MX_ERRORS_IGNORED;
        } else if (options.contains("res_defnames") || options.contains("res_dnsrch")) {
            incompatible = io.postilion.engine.tls.DaneSettings.Incompatibility.RESOLVER_OPTIONS;
        }
        if (level == TlsLevel.DANE || level == TlsLevel.DANE_ONLY) {
            io.postilion.tls.DaneVerification.warmUp();
        }
        TlsLevel insecure = TlsLevel.parse(cfg.string("smtp_tls_dane_insecure_mx_policy")).orElse(TlsLevel.DANE);
        return new io.postilion.engine.tls.DaneSettings(incompatible, insecure,
                cfg.bool("smtp_tls_force_insecure_host_tlsa_lookup"), digests);
    }

    /**
     * TLS-7, TLS-24: the CA certificates and the match lists of the levels verify and secure,
     * read now so that no handshake waits for a disk. The CAs are read whenever TLS is on, as
     * Postfix sets its TLS engine up with them; one that cannot be read stops start-up
     * (CLARIFICATIONS 39: Postfix would run without TLS, which weakens every level).
     */
    static ServerVerification serverVerification(Configuration cfg, TlsLevel level) {
        TrustAnchors anchors = TrustAnchors.NONE;
        String file = cfg.string("smtp_tls_CAfile");
        String path = cfg.string("smtp_tls_CApath");
        boolean append = cfg.bool("tls_append_default_CA");
        int depth = cfg.integer("smtp_tls_scert_verifydepth");
        // TLS-29: the engine is set up when TLS is on globally or a table may turn it on
        if (level != TlsLevel.NONE || !cfg.list("smtp_tls_policy_maps").isEmpty() || !cfg.list("smtp_tls_per_site").isEmpty()) {
            try {
                anchors = TrustAnchors.load(file, path, append, depth);
            } catch (IllegalArgumentException e) {
                String which = !path.isBlank() && (file.isBlank() || e.getMessage().contains(path.trim()))
                        ? "smtp_tls_CApath" : "smtp_tls_CAfile";
                throw ConfigurationException.badValue(cfg.effectiveName(which), e.getMessage());
            }
        }
        return new ServerVerification(anchors, cfg.list("smtp_tls_verify_cert_match"), cfg.list("smtp_tls_secure_cert_match"));
    }

    /**
     * TLS-3 steps 3-6: the policy tables (loaded with the configuration), the fingerprint level's
     * digest and list (TLS-28), smtp_tls_trust_anchor_file (TLS-24) and TLS-16's switch. An
     * unknown digest or an anchor file that cannot be used stops start-up (exit 78): Postfix would
     * run without a TLS engine, which weakens every level (CLARIFICATIONS 39).
     */
    static io.postilion.engine.tls.TlsPolicySources tlsSources(Configuration cfg, TlsLevel level) {
        String digest = cfg.string("smtp_tls_fingerprint_digest").trim();
        try {
            // the provider is looked up now, so the first fingerprint check on an event loop loads nothing
            java.security.MessageDigest.getInstance(io.postilion.tls.FingerprintCheck.javaName(digest));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw bad(cfg.effectiveName("smtp_tls_fingerprint_digest"), digest, "the JDK offers no such digest");
        } catch (IllegalArgumentException e) {
            throw bad(cfg.effectiveName("smtp_tls_fingerprint_digest"), digest, e.getMessage());
        }
        int depth = cfg.integer("smtp_tls_scert_verifydepth");
        List<String> anchorFiles = cfg.list("smtp_tls_trust_anchor_file");
        java.util.Optional<io.postilion.tls.TrustAnchorFiles> anchors = java.util.Optional.empty();
        if (!anchorFiles.isEmpty()) {
            try {
                anchors = java.util.Optional.of(io.postilion.tls.TrustAnchorFiles.load(anchorFiles, depth));
            } catch (IllegalArgumentException e) {
                throw ConfigurationException.badValue(cfg.effectiveName("smtp_tls_trust_anchor_file"), e.getMessage());
            }
        }
        List<String> fingerprints = cfg.list("smtp_tls_fingerprint_cert_match");
        if (level == TlsLevel.FINGERPRINT) {
            // TLS-28: malformed values are skipped per server; say so once now as well
            io.postilion.tls.FingerprintCheck.of(digest, fingerprints, w -> LOG.warn("{}: {}",
                    cfg.effectiveName("smtp_tls_fingerprint_cert_match"), w)).ifPresentOrElse(f -> { },
                    () -> LOG.warn("{} = fingerprint without a usable {}: every server without a policy table entry "
                            + "will be skipped (4.7.5)", cfg.effectiveName("smtp_tls_security_level"),
                            cfg.effectiveName("smtp_tls_fingerprint_cert_match")));
        }
        LookupTable policy = cfg.table("smtp_tls_policy_maps");
        checkPolicyEntries(cfg, policy);
        LookupTable perSite = cfg.table("smtp_tls_per_site");
        if (!policy.equals(LookupTable.empty()) && !perSite.equals(LookupTable.empty())) {
            LOG.warn("{} is ignored: {} is set", cfg.effectiveName("smtp_tls_per_site"), cfg.effectiveName("smtp_tls_policy_maps"));
            perSite = LookupTable.empty();
        }
        boolean sts = cfg.bool("smtp_tls_enforce_sts_mx_patterns");
        return new io.postilion.engine.tls.TlsPolicySources(cfg.effectiveName("smtp_tls_policy_maps"), policy,
                cfg.effectiveName("smtp_tls_per_site"), perSite, digest, fingerprints, anchors, depth, sts);
    }

    /**
     * TLS-4 at start-up, for tables whose values are known now (texthash:, inline:): an entry that
     * is not valid gets a warning now, and skips its servers when used (4.7.5), as in Postfix.
     */
    private static void checkPolicyEntries(Configuration cfg, LookupTable policy) {
        String name = cfg.effectiveName("smtp_tls_policy_maps");
        List<LookupTable> tables = policy instanceof io.postilion.engine.config.TableList list ? list.tables() : List.of(policy);
        List<String> values = new ArrayList<>();
        for (LookupTable t : tables) {
            values.addAll(t.fixedValues().orElse(List.of()));
        }
        for (String value : values) {
            try {
                io.postilion.tls.PolicyEntry.parse(value);
            } catch (io.postilion.tls.PolicyEntry.InvalidPolicyException e) {
                LOG.warn("{}: invalid policy \"{}\": {}; servers it applies to will be skipped (4.7.5)", name, value,
                        e.getMessage());
            }
        }
    }

    static Timeouts timeouts(Configuration cfg) {
        return new Timeouts(cfg.time("smtp_connect_timeout"), cfg.time("smtp_helo_timeout"),
                cfg.time("smtp_starttls_timeout"), cfg.time("smtp_mail_timeout"), cfg.time("smtp_rcpt_timeout"),
                cfg.time("smtp_data_init_timeout"), cfg.time("smtp_data_xfer_timeout"),
                cfg.time("smtp_data_done_timeout"), cfg.time("smtp_rset_timeout"), cfg.time("smtp_quit_timeout"),
                cfg.bool("smtp_per_request_deadline"), cfg.integer("smtp_min_data_rate"), cfg.time("smtp_xforward_timeout"));
    }

    static LookupSettings lookupSettings(Configuration cfg, DeliveryProtocol protocol) {
        List<String> protocols = cfg.list("inet_protocols").stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
        boolean all = protocols.contains("all");
        return LookupSettings.defaults(protocol)
                .dnsSupportLevel(dnsSupportLevel(cfg))
                .hostLookup(cfg.list("smtp_host_lookup").contains("dns"), cfg.list("smtp_host_lookup").contains("native"))
                .inetProtocols(all || protocols.contains("ipv4"), all || protocols.contains("ipv6"))
                .randomizeAddresses(cfg.bool("smtp_randomize_addresses"))
                .addressPreference(AddressPreference.valueOf(cfg.string("smtp_address_preference").toUpperCase(Locale.ROOT)))
                .mxAddressLimit(cfg.integer("smtp_mx_address_limit"))
                .balanceInetProtocols(cfg.bool("smtp_balance_inet_protocols"))
                .ignoreMxLookupError(cfg.bool("ignore_mx_lookup_error"))
                .deferIfNoMxAddressFound(cfg.bool("smtp_defer_if_no_mx_address_found"))
                .useSrvLookup(java.util.Set.copyOf(cfg.list("use_srv_lookup")))
                .allowSrvLookupFallback(cfg.bool("allow_srv_lookup_fallback"))
                .ignoreSrvLookupError(cfg.bool("ignore_srv_lookup_error"))
                .cnameOverridesServername(cfg.bool("smtp_cname_overrides_servername"))
                .resolverOptions(searchList(cfg))
                // LOOKUP-16: MX targets' addresses are asked with DNSSEC even under an unsigned MX
                // RRset unless smtp_tls_dane_insecure_mx_policy = may (TLS-8's halfdane needs them)
                .dnssecForInsecureMxTargets(!cfg.string("smtp_tls_dane_insecure_mx_policy").equals("may"))
                .self(SelfAddresses.of(String.join(" ", cfg.list("inet_interfaces")),
                        String.join(" ", cfg.list("proxy_interfaces"))))
                .build();
    }

    /**
     * LOOKUP-18: {@code smtp_dns_reply_filter} (or its lmtp_ twin) as the resolver's filter; none when
     * empty. The tables are loaded with the configuration, so a lookup does no I/O.
     */
    static DnsReplyFilter dnsReplyFilter(Configuration cfg) {
        LookupTable table = cfg.table("smtp_dns_reply_filter");
        if (table.equals(LookupTable.empty())) {
            return DnsReplyFilter.none();
        }
        return DnsReplyFilter.named(cfg.effectiveName("smtp_dns_reply_filter"), table::find);
    }

    /**
     * LOOKUP-17: {@code smtp_dns_resolver_options} (or its lmtp_ twin) with the search list of
     * {@code dns_search_domains}, else of resolv.conf ({@code search} or {@code domain}), else the
     * domain of this machine's name, as the C resolver falls back; {@code ndots} from resolv.conf.
     * Option names are case-sensitive, as Postfix's are: {@code RES_DEFNAMES} stops start-up.
     */
    static SearchList searchList(Configuration cfg) {
        List<String> configured = cfg.list("dns_search_domains");
        for (String domain : configured) {
            if (!HostNames.isValidHostname(domain)) {
                throw bad("dns_search_domains", String.join(", ", configured), "'" + domain + "' is not a domain name");
            }
        }
        String param = cfg.effectiveName("smtp_dns_resolver_options");
        String options = cfg.string("smtp_dns_resolver_options").strip();
        if (options.isEmpty()) {
            return SearchList.NONE; // off (the default): resolv.conf is not even read
        }
        SearchList.ResolvConf system = SearchList.ResolvConf.read(LocalHostNames.systemHostName());
        List<String> domains = configured.isEmpty() ? system.domains() : configured;
        try {
            return SearchList.parse(options, domains, system.ndots());
        } catch (IllegalArgumentException e) {
            throw bad(param, options, e.getMessage().replaceFirst("^smtp_dns_resolver_options: ", ""));
        }
    }

    private static DnsSupportLevel dnsSupportLevel(Configuration cfg) {
        if (cfg.bool("disable_dns_lookups")) {
            return DnsSupportLevel.DISABLED;
        }
        return switch (cfg.string("smtp_dns_support_level")) {
            case "disabled" -> DnsSupportLevel.DISABLED;
            case "dnssec" -> DnsSupportLevel.DNSSEC;
            default -> DnsSupportLevel.ENABLED;
        };
    }

    private static DnsResolverConfig resolverConfig(Configuration cfg) {
        List<String> servers = cfg.list("dns_servers");
        if (servers.isEmpty()) {
            return DnsResolverConfig.fromSystem();
        }
        return DnsResolverConfig.parse(String.join(" ", servers), DnsResolverConfig.DEFAULT_TIMEOUT,
                DnsResolverConfig.DEFAULT_ATTEMPTS);
    }
}
