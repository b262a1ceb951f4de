package io.postilion.engine.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one list of registered parameters that Postilion knows but does not act on, and what
 * setting one means. A parameter not listed here is wired: production code reads it, and
 * {@code ParameterSupportTest} proves that by tracking reads.
 *
 * <p>Two kinds, as CLARIFICATIONS 39 draws the line. A parameter whose value, ignored, would
 * weaken or skip a TLS or SASL check or change where mail goes is {@linkplain Kind#REFUSED
 * refused}: a value other than its default stops start-up with exit 78 naming it, never a
 * silent fallback. One that only tunes or reports is {@linkplain Kind#INERT inert}: a value other
 * than its default gets one warning naming it. An smtp_ mark covers its lmtp_ twin. The TLS and
 * SASL work removes marks as it implements; nothing else may accept a parameter and ignore it.
 */
public final class ParameterSupport {

    /** What setting an unsupported parameter does. */
    public enum Kind { INERT, REFUSED }

    /**
     * One mark.
     *
     * @param kind refused or inert
     * @param why what is missing, in a few words, for the start-up line
     */
    public record Mark(Kind kind, String why) {
    }

    private static final Map<String, Mark> MARKS = new LinkedHashMap<>();

    static {
        // SASL-9's 535 cache is not built: refusing it keeps a postmaster from believing the
        // relay stops retrying a bad password (CLARIFICATIONS 42 allows either).
        refuse("smtp_sasl_auth_cache_name", "the SASL authentication failure cache is not implemented");
        inert("smtp_sasl_auth_cache_time", "used only with smtp_sasl_auth_cache_name, which is refused");
        inert("smtp_sasl_path", "a Cyrus configuration path; this client implements the mechanisms itself");
        for (String p : new String[] {"smtp_tls_block_early_mail_reply",
                "smtp_tls_session_cache_database",
                "smtp_tls_session_cache_timeout", "smtp_tls_enable_rpk", "smtp_tlsrpt_enable", "smtp_tlsrpt_socket_name"}) {
            if (!p.equals("smtp_tls_enable_rpk")) {
                inert(p, "a TLS tuning or reporting setting Postilion does not use");
            }
        }
        // TLS-35: Postfix ignores the setting when its TLS library has no raw public keys, and
        // BoringSSL as Netty exposes it has none; certificates are always asked for and checked.
        inert("smtp_tls_enable_rpk", "raw public keys (RFC 7250) are not supported by the TLS library; certificates are used");
        inert("config_directory", "main.cf is the file given with --config; table paths are taken as written");
        inert("smtp_per_record_deadline", "only smtp_per_request_deadline is implemented");
        inert("helpful_warnings", "warnings are always given");
        // Postfix's time limit on its IPC with the scache(8) process; the parked sessions here are in
        // the agent's own memory, so there is no exchange to time out (the RSET probe of a reused
        // session runs under smtp_rset_timeout, in Postfix too).
        inert("connection_cache_protocol_timeout",
                "there is no connection cache process to talk to: sessions are parked in memory");
        inert("queue_run_delay", "each deferred message has its own retry timer");
        inert("default_recipient_limit", "the queue manager does not limit recipients in memory");
        inert("qmgr_message_recipient_limit", "the queue manager does not limit recipients in memory");
        inert("destination_concurrency_feedback_debug", "concurrency feedback is not logged");
    }

    private ParameterSupport() {
    }

    private static void refuse(String name, String why) {
        mark(name, new Mark(Kind.REFUSED, why));
    }

    private static void inert(String name, String why) {
        mark(name, new Mark(Kind.INERT, why));
    }

    private static void mark(String name, Mark m) {
        ParameterDefinition d = ParameterRegistry.find(name)
                .orElseThrow(() -> new IllegalStateException("marked but not registered: " + name));
        MARKS.put(name, m);
        d.twin().ifPresent(twin -> MARKS.put(twin, m));
    }

    private static final java.util.Set<String> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ParameterSupport.class);

    /**
     * The start-up check, run wherever a configuration becomes a running part (the delivery agent,
     * the listener): every marked parameter this view reads that has a value other than its
     * default. A refused one throws; inert ones are returned, and logged once per process by name.
     *
     * @throws ConfigurationException (78) naming the first refused parameter that is set
     */
    public static java.util.List<String> check(Configuration cfg) {
        Configuration defaults = Defaults.CONFIGURATION;
        java.util.List<String> inert = new java.util.ArrayList<>();
        for (Map.Entry<String, Mark> e : MARKS.entrySet()) {
            String name = e.getKey();
            if (cfg.isLmtp() ? name.startsWith("smtp_") && !ParameterRegistry.lmtpNameFor(name).equals(name)
                    : name.startsWith("lmtp_")) {
                continue; // the other protocol's parameter
            }
            if (java.util.Objects.equals(cfg.forSmtp().typedValue(name), defaults.typedValue(name))) {
                continue;
            }
            if (e.getValue().kind() == Kind.INERT && !cfg.forSmtp().isSet(name)) {
                continue; // computed, not chosen (config_directory is derived from --config)
            }
            if (e.getValue().kind() == Kind.REFUSED) {
                throw ConfigurationException.badValue(name, name + " = " + cfg.forSmtp().string(name)
                        + ": not supported: " + e.getValue().why() + "; refusing to start rather than ignore it");
            }
            inert.add(name);
            if (WARNED.add(name)) {
                LOG.warn("{} is set but has no effect in Postilion: {}", name, e.getValue().why());
            }
        }
        return inert;
    }

    /** Postfix's defaults, computed once, to tell a set value from a default one. */
    private static final class Defaults {
        static final Configuration CONFIGURATION = ConfigurationLoader.fromText("", "(defaults)", java.util.List.of());
    }

    /** The mark of a parameter, empty when it is wired. */
    public static Optional<Mark> of(String name) {
        return Optional.ofNullable(MARKS.get(name));
    }

    /** Every mark, by parameter name. */
    public static Map<String, Mark> all() {
        return Collections.unmodifiableMap(MARKS);
    }
}
