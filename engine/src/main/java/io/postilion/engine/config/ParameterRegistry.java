package io.postilion.engine.config;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Why it exists: the one list of parameter names Postilion knows, with Postfix's defaults and
 * types. Knowing the names is what lets main.cf typos be warned about and {@code -o} typos be
 * refused; knowing the types is what lets bad values fail at load. Every smtp_ parameter is
 * registered with its lmtp_ twin (Appendix A of the spec), under the twin's own name and default
 * where they differ.
 */
public final class ParameterRegistry {

    private static final Map<String, ParameterDefinition> BY_NAME = new LinkedHashMap<>();

    private static final long NO_MAX = Integer.MAX_VALUE;

    static {
        // ---- Globals the client and relay read ----------------------------------------------
        // myhostname and mydomain are computed from the machine's name (see LocalHostNames).
        global("myhostname", ParameterType.string(), "");
        global("mydomain", ParameterType.string(), "");
        global("myorigin", ParameterType.string(), "$myhostname");
        global("mydestination", ParameterType.list(), "$myhostname, localhost.$mydomain, localhost");
        global("mynetworks", ParameterType.list(), "127.0.0.0/8 [::1]/128");
        global("config_directory", ParameterType.string(), ".");
        global("queue_directory", ParameterType.string(), "./var/spool");
        global("inet_interfaces", ParameterType.list(), "all");
        global("proxy_interfaces", ParameterType.list(), "");
        global("inet_protocols", ParameterType.listOf("all", "ipv4", "ipv6"), "all");
        global("soft_bounce", ParameterType.bool(), "no");
        global("disable_dns_lookups", ParameterType.bool(), "no");
        global("dns_servers", ParameterType.list(), "");
        // Postilion's: the search list smtp_dns_resolver_options uses (LOOKUP-17), instead of resolv.conf's.
        global("dns_search_domains", ParameterType.list(), "");
        global("relayhost", ParameterType.string(), "");
        global("transport_maps", ParameterType.table(), "");
        global("default_transport", ParameterType.string(), "smtp");
        global("fallback_relay", ParameterType.string(), "");
        global("known_tcp_ports", ParameterType.string(),
                "lmtp=24, smtp=25, smtps=submissions=465, submission=587");
        global("ignore_mx_lookup_error", ParameterType.bool(), "no");
        global("use_srv_lookup", ParameterType.list(), "");
        global("allow_srv_lookup_fallback", ParameterType.bool(), "no");
        global("ignore_srv_lookup_error", ParameterType.bool(), "no");
        global("best_mx_transport", ParameterType.string(), "");
        global("line_length_limit", ParameterType.integer(0, NO_MAX), "2048");
        global("disable_mime_output_conversion", ParameterType.bool(), "no");
        global("mime_nesting_limit", ParameterType.integer(0, NO_MAX), "100");
        global("propagate_unmatched_extensions", ParameterType.list(), "canonical, virtual");
        global("recipient_delimiter", ParameterType.string(), "");
        global("smtputf8_enable", ParameterType.bool(), "yes");
        global("smtputf8_autodetect_classes", ParameterType.list(), "sendmail, verify");
        global("default_delivery_status_filter", ParameterType.table(), "");
        global("notify_classes", ParameterType.listOf("bounce", "2bounce", "data", "delay", "policy",
                "protocol", "resource", "software"), "resource, software");
        global("error_notice_recipient", ParameterType.string(), "postmaster");
        global("2bounce_notice_recipient", ParameterType.string(), "postmaster");
        global("double_bounce_sender", ParameterType.string(), "double-bounce");
        global("delay_logging_resolution_limit", ParameterType.integer(0, 6), "2");
        global("tls_required_enable", ParameterType.bool(), "yes");
        global("tls_append_default_CA", ParameterType.bool(), "no");
        global("requiretls_enable", ParameterType.bool(), "yes");
        global("tls_fast_shutdown_enable", ParameterType.bool(), "yes");
        global("connection_cache_protocol_timeout", ParameterType.time('s', 1), "5s");
        global("debug_peer_list", ParameterType.list(), "");
        global("debug_peer_level", ParameterType.integer(1, NO_MAX), "2");
        global("info_log_address_format", ParameterType.oneOf("external", "internal"), "external");
        global("helpful_warnings", ParameterType.bool(), "yes");
        global("send_cyrus_sasl_authzid", ParameterType.bool(), "no");
        global("message_size_limit", ParameterType.size(0), "10240000");
        global("hopcount_limit", ParameterType.integer(1, NO_MAX), "50");
        global("address_verify_negative_cache", ParameterType.bool(), "yes");

        // ---- Postilion's own -----------------------------------------------------------------
        global("smtpd_listen", ParameterType.string(), "127.0.0.1:2525");
        global("maillog_file", ParameterType.string(), "");
        global("maillog_file_prefixes", ParameterType.list(), "");
        global("syslog_name", ParameterType.string(), "postilion");
        global("metrics_listen", ParameterType.string(), "127.0.0.1:9464");
        global("admin_listen", ParameterType.string(), "");
        global("admin_token_file", ParameterType.string(), "");
        global("http_idle_timeout", ParameterType.time('s', 1), "30s");
        global("http_connection_limit", ParameterType.integer(1, NO_MAX), "64");
        global("netty_transport", ParameterType.oneOf("epoll", "io_uring", "nio"), "epoll");
        global("shutdown_grace_time", ParameterType.time('s', 0), "30s");
        // The fleet (issue 20, CLARIFICATIONS 43): read by the relay's settings, acted on by the fleet module.
        global("kafka_bootstrap_servers", ParameterType.list(), "");
        global("kafka_request_topic", ParameterType.string(), "postilion.requests");
        global("kafka_result_topic", ParameterType.string(), "postilion.results");
        global("kafka_group_id", ParameterType.string(), "postilion");
        global("smtpd_sasl_password_maps", ParameterType.table(), "");
        global("smtpd_forbid_bare_newline", ParameterType.oneOf("no", "normalize", "yes", "reject"), "normalize");
        global("smtpd_forbid_bare_newline_exclusions", ParameterType.list(), "");
        global("mail_name", ParameterType.string(), "Postilion");
        global("smtpd_banner", ParameterType.string(), "$myhostname ESMTP $mail_name");
        global("smtpd_timeout", ParameterType.time('s', 1), "${stress?{10}:{300}}s");
        global("smtpd_per_request_deadline", ParameterType.bool(), "${stress?{yes}:{no}}");
        global("smtpd_min_data_rate", ParameterType.integer(0, NO_MAX), "500");
        global("smtpd_recipient_limit", ParameterType.integer(1, NO_MAX), "1000");
        global("smtpd_client_connection_count_limit", ParameterType.integer(0, NO_MAX), "50");
        global("smtpd_client_connection_rate_limit", ParameterType.integer(0, NO_MAX), "0");
        global("smtpd_client_message_rate_limit", ParameterType.integer(0, NO_MAX), "0");
        global("smtpd_client_recipient_rate_limit", ParameterType.integer(0, NO_MAX), "0");
        global("smtpd_client_auth_rate_limit", ParameterType.integer(0, NO_MAX), "0");
        global("smtpd_client_event_limit_exceptions", ParameterType.list(), "$mynetworks");
        global("anvil_rate_time_unit", ParameterType.time('s', 1), "60s");
        global("smtpd_mynetworks_reserved_sessions", ParameterType.integer(0, NO_MAX), "10");
        global("smtpd_soft_error_limit", ParameterType.integer(0, NO_MAX), "10");
        global("smtpd_hard_error_limit", ParameterType.integer(1, NO_MAX), "${stress?{1}:{20}}");
        global("smtpd_error_sleep_time", ParameterType.time('s', 0), "1s");
        global("smtpd_junk_command_limit", ParameterType.integer(1, NO_MAX), "${stress?{1}:{100}}");
        global("ipc_timeout", ParameterType.time('s', 1), "3600s");
        global("smtpd_sasl_auth_enable", ParameterType.bool(), "no");
        global("smtpd_tls_security_level", ParameterType.oneOf("", "none", "may", "encrypt"), "");
        global("smtpd_tls_cert_file", ParameterType.string(), "");
        global("smtpd_tls_key_file", ParameterType.string(), "$smtpd_tls_cert_file");
        global("smtpd_tls_chain_files", ParameterType.list(), "");
        global("smtpd_tls_protocols", ParameterType.string(), ">=TLSv1");
        global("smtpd_tls_mandatory_protocols", ParameterType.string(), ">=TLSv1");
        global("smtpd_tls_ciphers", ParameterType.oneOf("export", "low", "medium", "high", "null"), "medium");
        global("smtpd_tls_mandatory_ciphers", ParameterType.oneOf("export", "low", "medium", "high", "null"), "medium");
        global("smtpd_tls_exclude_ciphers", ParameterType.list(), "");
        global("smtpd_tls_mandatory_exclude_ciphers", ParameterType.list(), "");
        // Postilion's own: CBC and static-RSA suites after the forward-secret AEAD ones, for old clients.
        global("smtpd_tls_legacy_ciphers", ParameterType.bool(), "no");
        global("relay_domains", ParameterType.list(), "");
        global("queue_minfree", ParameterType.size(0), "0");

        // ---- Scheduler (qmgr(8), CLARIFICATIONS 10 and 16) -----------------------------------
        global("default_process_limit", ParameterType.integer(1, NO_MAX), "100");
        global("default_destination_concurrency_limit", ParameterType.integer(0, NO_MAX), "20");
        global("initial_destination_concurrency", ParameterType.integer(1, NO_MAX), "5");
        global("default_destination_concurrency_failed_cohort_limit", ParameterType.integer(0, NO_MAX), "1");
        global("default_destination_concurrency_positive_feedback", ParameterType.string(), "1/concurrency");
        global("default_destination_concurrency_negative_feedback", ParameterType.string(), "1/concurrency");
        global("destination_concurrency_feedback_debug", ParameterType.bool(), "no");
        global("default_destination_recipient_limit", ParameterType.integer(0, NO_MAX), "50");
        global("default_destination_rate_delay", ParameterType.time('s', 0), "0s");
        global("default_recipient_limit", ParameterType.integer(1, NO_MAX), "20000");
        global("qmgr_message_active_limit", ParameterType.integer(1, NO_MAX), "20000");
        global("qmgr_message_recipient_limit", ParameterType.integer(1, NO_MAX), "20000");
        global("minimal_backoff_time", ParameterType.time('s', 1), "300s");
        global("maximal_backoff_time", ParameterType.time('s', 1), "4000s");
        global("queue_run_delay", ParameterType.time('s', 1), "300s");
        global("maximal_queue_lifetime", ParameterType.time('d', 0), "5d");
        global("bounce_queue_lifetime", ParameterType.time('d', 0), "5d");
        global("delay_warning_time", ParameterType.time('h', 0), "0h");
        smtp("destination_concurrency_limit", ParameterType.integer(0, NO_MAX), "$default_destination_concurrency_limit");
        smtp("destination_recipient_limit", ParameterType.integer(0, NO_MAX), "$default_destination_recipient_limit");
        smtp("destination_rate_delay", ParameterType.time('s', 0), "$default_destination_rate_delay");
        smtp("destination_concurrency_failed_cohort_limit", ParameterType.integer(0, NO_MAX),
                "$default_destination_concurrency_failed_cohort_limit");
        smtp("initial_destination_concurrency", ParameterType.integer(1, NO_MAX), "$initial_destination_concurrency");
        smtp("destination_concurrency_positive_feedback", ParameterType.string(),
                "$default_destination_concurrency_positive_feedback");
        smtp("destination_concurrency_negative_feedback", ParameterType.string(),
                "$default_destination_concurrency_negative_feedback");
        // Postilion's own (CLARIFICATIONS 43): the Redis server that keeps the fleet's shared
        // destination limits; empty keeps them local. Needs the fleet module on the class path.
        global("redis_url", ParameterType.string(), "");

        // ---- Destinations and server look-up -------------------------------------------------
        smtp("tcp_port", ParameterType.string(), "smtp", "lmtp_tcp_port", "24");
        smtp("fallback_relay", ParameterType.string(), "$fallback_relay", "lmtp_fallback_relay", "");
        smtp("dns_support_level", ParameterType.oneOf("", "disabled", "enabled", "dnssec"), "");
        smtp("host_lookup", ParameterType.listOf("dns", "native"), "dns");
        smtp("dns_resolver_options", ParameterType.listOf("res_defnames", "res_dnsrch"), "");
        smtp("dns_reply_filter", ParameterType.table(), "");
        smtp("mx_address_limit", ParameterType.integer(0, NO_MAX), "5");
        smtp("mx_session_limit", ParameterType.integer(0, NO_MAX), "2");
        smtp("randomize_addresses", ParameterType.bool(), "yes");
        smtp("address_preference", ParameterType.oneOf("any", "ipv4", "ipv6"), "any");
        smtp("balance_inet_protocols", ParameterType.bool(), "yes");
        smtp("defer_if_no_mx_address_found", ParameterType.bool(), "no");
        smtp("cname_overrides_servername", ParameterType.bool(), "no");

        // ---- Session --------------------------------------------------------------------------
        smtp("connect_timeout", ParameterType.time('s', 0), "30s", "lmtp_connect_timeout", "0s");
        smtp("bind_address", ParameterType.string(), "");
        smtp("bind_address6", ParameterType.string(), "");
        smtp("bind_address_enforce", ParameterType.bool(), "no");
        smtp("helo_name", ParameterType.string(), "$myhostname", "lmtp_lhlo_name", "$myhostname");
        smtp("helo_timeout", ParameterType.time('s', 1), "300s", "lmtp_lhlo_timeout", "300s");
        smtp("skip_5xx_greeting", ParameterType.bool(), "yes");
        smtpOnly("smtp_always_send_ehlo", ParameterType.bool(), "yes");
        smtpOnly("smtp_never_send_ehlo", ParameterType.bool(), "no");
        smtp("discard_ehlo_keywords", ParameterType.list(), "",
                "lmtp_discard_lhlo_keywords", "");
        smtp("discard_ehlo_keyword_address_maps", ParameterType.table(), "",
                "lmtp_discard_lhlo_keyword_address_maps", "");
        // Unknown names are ignored where the list is used, as Postfix does (a map value cannot be checked at start).
        smtp("pix_workarounds", ParameterType.list(), "disable_esmtp, delay_dotcrlf");
        smtp("pix_workaround_maps", ParameterType.table(), "");
        smtp("pix_workaround_delay_time", ParameterType.time('s', 1), "10s");
        smtp("pix_workaround_threshold_time", ParameterType.time('s', 0), "500s");
        smtp("use_chunking", ParameterType.bool(), "yes");

        // ---- Mail transaction and timeouts -----------------------------------------------------
        smtp("quote_rfc821_envelope", ParameterType.bool(), "yes");
        smtp("send_xforward_command", ParameterType.bool(), "no");
        smtp("xforward_timeout", ParameterType.time('s', 1), "300s");
        smtp("mail_timeout", ParameterType.time('s', 1), "300s");
        smtp("rcpt_timeout", ParameterType.time('s', 1), "300s");
        smtp("data_init_timeout", ParameterType.time('s', 1), "120s");
        smtp("data_xfer_timeout", ParameterType.time('s', 1), "180s");
        smtp("data_done_timeout", ParameterType.time('s', 1), "600s");
        smtp("rset_timeout", ParameterType.time('s', 1), "20s");
        smtp("quit_timeout", ParameterType.time('s', 1), "300s");
        smtp("skip_quit_response", ParameterType.bool(), "yes", "lmtp_skip_quit_response", "no");
        smtp("per_record_deadline", ParameterType.bool(), "no");
        smtp("per_request_deadline", ParameterType.bool(), "$smtp_per_record_deadline");
        smtp("min_data_rate", ParameterType.integer(1, NO_MAX), "500");
        smtp("send_dummy_mail_auth", ParameterType.bool(), "no");
        smtp("address_verify_target", ParameterType.oneOf("rcpt", "data"), "rcpt");

        // ---- Content ----------------------------------------------------------------------------
        smtp("line_length_limit", ParameterType.integer(0, NO_MAX), "998");
        smtp("generic_maps", ParameterType.table(), "");
        smtp("header_checks", ParameterType.table(), "");
        smtp("mime_header_checks", ParameterType.table(), "");
        smtp("nested_header_checks", ParameterType.table(), "");
        smtp("body_checks", ParameterType.table(), "");
        lmtpOnly("lmtp_assume_final", ParameterType.bool(), "no");

        // ---- Replies and status -----------------------------------------------------------------
        smtp("reply_filter", ParameterType.table(), "");
        smtp("delivery_status_filter", ParameterType.table(), "$default_delivery_status_filter");

        // ---- TLS ------------------------------------------------------------------------------
        smtp("tls_security_level", ParameterType.oneOf("", "none", "may", "encrypt", "dane", "dane-only",
                "fingerprint", "verify", "secure"), "may", "lmtp_tls_security_level", "");
        smtp("use_tls", ParameterType.bool(), "no");
        smtp("enforce_tls", ParameterType.bool(), "no");
        smtp("tls_enforce_peername", ParameterType.bool(), "yes");
        smtp("tls_policy_maps", ParameterType.table(), "");
        smtp("tls_per_site", ParameterType.table(), "");
        smtp("tls_protocols", ParameterType.string(), ">=TLSv1");
        smtp("tls_mandatory_protocols", ParameterType.string(), ">=TLSv1");
        smtp("tls_ciphers", ParameterType.oneOf("export", "low", "medium", "high", "null"), "medium");
        smtp("tls_mandatory_ciphers", ParameterType.oneOf("export", "low", "medium", "high", "null"), "medium");
        smtp("tls_exclude_ciphers", ParameterType.list(), "");
        smtp("tls_mandatory_exclude_ciphers", ParameterType.list(), "");
        smtp("tls_verify_cert_match", ParameterType.list(), "hostname");
        // TLS-7: LMTP's servers are usually named as written, so only the next hop itself
        smtp("tls_secure_cert_match", ParameterType.list(), "nexthop, dot-nexthop", "lmtp_tls_secure_cert_match", "nexthop");
        smtp("tls_fingerprint_cert_match", ParameterType.list(), "");
        smtp("tls_fingerprint_digest", ParameterType.string(), "sha256");
        smtp("tls_trust_anchor_file", ParameterType.list(), "");
        smtp("tls_CAfile", ParameterType.string(), "");
        smtp("tls_CApath", ParameterType.string(), "");
        smtp("tls_cert_file", ParameterType.string(), "");
        smtp("tls_key_file", ParameterType.string(), "$smtp_tls_cert_file");
        smtp("tls_chain_files", ParameterType.list(), "");
        smtp("tls_loglevel", ParameterType.string(), "0");
        smtp("tls_scert_verifydepth", ParameterType.integer(1, NO_MAX), "9");
        smtpOnly("smtp_tls_dane_insecure_mx_policy", ParameterType.oneOf("may", "encrypt", "dane"), "dane");
        smtp("tls_force_insecure_host_tlsa_lookup", ParameterType.bool(), "no");
        // TLS-8: the TLSA matching types this client checks, and with which digest
        global("tls_dane_digests", ParameterType.list(), "sha512 sha256");
        smtp("tls_servername", ParameterType.string(), "");
        smtp("tls_wrappermode", ParameterType.bool(), "no");
        smtp("starttls_timeout", ParameterType.time('s', 1), "300s");
        smtp("tls_block_early_mail_reply", ParameterType.bool(), "no");
        smtp("tls_note_starttls_offer", ParameterType.bool(), "no");
        smtp("tls_connection_reuse", ParameterType.bool(), "no");
        smtp("tls_session_cache_database", ParameterType.string(), "");
        smtp("tls_session_cache_timeout", ParameterType.time('s', 0), "3600s");
        smtpOnly("smtp_tls_enforce_sts_mx_patterns", ParameterType.bool(), "yes");
        // Postilion's own (CLARIFICATIONS 42, TLS-32): MTA-STS built in rather than a TLS-16 plugin;
        // SMTP only, as RFC 8461 is about MX delivery.
        smtpOnly("smtp_tls_mta_sts_enable", ParameterType.bool(), "no");
        smtpOnly("smtp_tls_mta_sts_CAfile", ParameterType.string(), "");
        smtp("tls_enable_rpk", ParameterType.bool(), "no");
        smtpOnly("smtp_tlsrpt_enable", ParameterType.bool(), "no");
        smtpOnly("smtp_tlsrpt_socket_name", ParameterType.string(), "");
        smtp("log_tls_feature_status", ParameterType.bool(), "yes");
        // Postfix's SMTP default is computed (local domains, localhost and IP literals
        // opportunistic, everything else enforced); empty here stands for that computed policy.
        smtp("requiretls_policy", ParameterType.string(), "", "lmtp_requiretls_policy", "opportunistic");

        // ---- SASL (client side; out of scope for now, names known so main.cf may set them) ----
        smtp("sasl_auth_enable", ParameterType.bool(), "no");
        smtp("sasl_password_maps", ParameterType.table(), "");
        smtp("sasl_password_result_delimiter", ParameterType.string(), ":");
        smtpOnly("smtp_sender_dependent_authentication", ParameterType.bool(), "no");
        smtp("sasl_mechanism_filter", ParameterType.list(), "");
        smtp("sasl_security_options", ParameterType.list(), "noplaintext, noanonymous");
        smtp("sasl_tls_security_options", ParameterType.list(), "$smtp_sasl_security_options");
        smtp("sasl_tls_verified_security_options", ParameterType.list(), "$smtp_sasl_tls_security_options");
        smtp("sasl_auth_soft_bounce", ParameterType.bool(), "yes");
        smtp("sasl_auth_cache_name", ParameterType.string(), "");
        smtp("sasl_auth_cache_time", ParameterType.time('d', 0), "90d");
        smtp("sasl_type", ParameterType.string(), "cyrus");
        smtp("sasl_path", ParameterType.string(), "");

        // ---- Connection cache -------------------------------------------------------------------
        smtp("connection_cache_on_demand", ParameterType.bool(), "yes");
        smtp("connection_cache_destinations", ParameterType.list(), "");
        smtp("connection_cache_time_limit", ParameterType.time('s', 1), "2s");
        smtp("connection_reuse_time_limit", ParameterType.time('s', 1), "300s");
        smtp("connection_reuse_count_limit", ParameterType.integer(0, NO_MAX), "0");
    }

    private ParameterRegistry() {
    }

    /** The definition of a name, if Postilion knows it. */
    public static Optional<ParameterDefinition> find(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** Whether Postilion knows a name. */
    public static boolean isKnown(String name) {
        return BY_NAME.containsKey(name);
    }

    /** Every registered parameter, in registration order. */
    public static Collection<ParameterDefinition> all() {
        return Collections.unmodifiableCollection(BY_NAME.values());
    }

    /**
     * The name to read in LMTP mode for an SMTP name: its lmtp twin when there is one, else the
     * name itself (globals, and the few SMTP-only parameters).
     */
    public static String lmtpNameFor(String name) {
        ParameterDefinition d = BY_NAME.get(name);
        if (d != null && name.startsWith("smtp_") && d.twinName() != null) {
            return d.twinName();
        }
        return name;
    }

    private static void global(String name, ParameterType type, String def) {
        add(new ParameterDefinition(name, type, def, null));
    }

    private static void smtpOnly(String name, ParameterType type, String def) {
        add(new ParameterDefinition(name, type, def, null));
    }

    private static void lmtpOnly(String name, ParameterType type, String def) {
        add(new ParameterDefinition(name, type, def, null));
    }

    /** smtp_SUFFIX and lmtp_SUFFIX with the same default (its smtp_ references made lmtp_). */
    private static void smtp(String suffix, ParameterType type, String def) {
        smtp(suffix, type, def, "lmtp_" + suffix, def.replace("$smtp_", "$lmtp_")
                .replace("${smtp_", "${lmtp_").replace("$(smtp_", "$(lmtp_"));
    }

    private static void smtp(String suffix, ParameterType type, String def, String lmtpName, String lmtpDef) {
        String smtpName = "smtp_" + suffix;
        add(new ParameterDefinition(smtpName, type, def, lmtpName));
        add(new ParameterDefinition(lmtpName, type, lmtpDef, smtpName));
    }

    private static void add(ParameterDefinition d) {
        if (BY_NAME.putIfAbsent(d.name(), d) != null) {
            throw new IllegalStateException("registered twice: " + d.name());
        }
    }
}
