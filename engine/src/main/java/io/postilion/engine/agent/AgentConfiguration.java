package io.postilion.engine.agent;

import io.postilion.dns.AddressPreference;
import io.postilion.dns.DnsSupportLevel;
import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentOptions;
import io.postilion.transport.protocol.DiscardedKeywords;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.Timeouts;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Locale;

/**
 * Builds a delivery agent from main.cf parameters: the one place where Postfix's parameter names
 * meet the settings records of dns/, transport/ and the agent. Works on the SMTP view or, for
 * LMTP, on {@link Configuration#forLmtp()}, so every name below reads its lmtp_ twin there.
 */
public final class AgentConfiguration {

    private AgentConfiguration() {
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
        boolean lmtp = cfg.isLmtp();
        DeliveryProtocol protocol = lmtp ? DeliveryProtocol.LMTP : DeliveryProtocol.SMTP;
        AsyncDnsResolver dns = AsyncDnsResolver.create(resolverConfig(cfg));
        NextHopResolver resolver = new NextHopResolver(dns, lookupSettings(cfg, protocol));
        DestinationParser parser = lmtp ? DestinationParser.lmtp() : DestinationParser.smtp();
        String transport = lmtp ? "lmtp" : "smtp";
        DeliveryMetrics metrics = registry == null ? DeliveryMetrics.none(transport) : new DeliveryMetrics(registry, transport);
        return new DeliveryAgent(agentSettings(cfg), resolver, parser, clock, metrics);
    }

    static AgentSettings agentSettings(Configuration cfg) {
        io.postilion.engine.config.ParameterSupport.check(cfg);
        SessionSettings base = cfg.isLmtp() ? SessionSettings.lmtp(cfg.string("smtp_helo_name"))
                : SessionSettings.smtp(cfg.string("smtp_helo_name"));
        TlsLevel level = tlsLevel(cfg);
        SessionSettings session = base
                .withEhlo(cfg.bool("smtp_always_send_ehlo"), cfg.bool("smtp_never_send_ehlo"))
                .withDiscard(DiscardedKeywords.parse(String.join(" ", cfg.list("smtp_discard_ehlo_keywords"))))
                .withChunking(cfg.bool("smtp_use_chunking"))
                .withSkipQuitResponse(cfg.bool("smtp_skip_quit_response"))
                .withTimeouts(timeouts(cfg))
                .withTls(level, cfg.bool("smtp_tls_wrappermode"))
                .withReplyFilter(replyFilter(cfg.table("smtp_reply_filter")));
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
                .notices(PostmasterNotices.of(cfg.list("notify_classes"), cfg.string("error_notice_recipient"),
                        cfg.string("double_bounce_sender")))
                .bestMxTransport(cfg.string("best_mx_transport"))
                .logTlsStatus(cfg.bool("smtp_log_tls_feature_status"))
                .reuse(new ConnectionReuse(cfg.list("smtp_connection_cache_destinations"),
                        cfg.bool("smtp_connection_cache_on_demand"), cfg.time("smtp_connection_cache_time_limit"),
                        cfg.time("smtp_connection_reuse_time_limit"), cfg.integer("smtp_connection_reuse_count_limit")))
                .build();
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

    private static TlsLevel tlsLevel(Configuration cfg) {
        String name = cfg.string("smtp_tls_security_level");
        if (name.isBlank()) {
            return TlsLevel.NONE;
        }
        TlsLevel level = TlsLevel.parse(name).orElseThrow(() -> ConfigurationException.badValue(
                cfg.effectiveName("smtp_tls_security_level"), "unknown TLS security level '" + name + "'"));
        if (!level.implemented()) {
            throw ConfigurationException.badValue(cfg.effectiveName("smtp_tls_security_level"),
                    "TLS security level '" + name + "' is not supported yet (none, may and encrypt are)");
        }
        if (cfg.bool("smtp_tls_wrappermode") && !level.requiresTls()) {
            throw ConfigurationException.badValue(cfg.effectiveName("smtp_tls_wrappermode"),
                    "wrapper mode needs " + cfg.effectiveName("smtp_tls_security_level") + " = encrypt, not '" + name + "'");
        }
        return level;
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
                .self(SelfAddresses.of(String.join(" ", cfg.list("inet_interfaces")),
                        String.join(" ", cfg.list("proxy_interfaces"))))
                .build();
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
