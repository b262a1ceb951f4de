package io.postilion.engine.listener;

import io.postilion.engine.config.ClientNetworks;
import io.netty.handler.ssl.SslContext;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import java.net.InetSocketAddress;

/**
 * Builds the listener's settings from main.cf parameters: the one place where smtpd names meet
 * {@link ListenerSettings}. Runs at start-up (it reads certificate files), never on an event loop.
 */
public final class ListenerConfiguration {

    private ListenerConfiguration() {
    }

    /** @throws ConfigurationException (78) naming the parameter whose value cannot be used */
    public static ListenerSettings settings(Configuration cfg) {
        io.postilion.engine.config.ParameterSupport.check(cfg);
        InetSocketAddress bind = address("smtpd_listen", cfg.string("smtpd_listen"));
        ClientNetworks networks;
        try {
            networks = ClientNetworks.parse(cfg.list("mynetworks"));
        } catch (IllegalArgumentException e) {
            throw bad("mynetworks", String.join(" ", cfg.list("mynetworks")), e.getMessage());
        }
        ClientNetworks exceptions;
        try {
            exceptions = ClientNetworks.parse(cfg.list("smtpd_client_event_limit_exceptions"),
                    "smtpd_client_event_limit_exceptions");
        } catch (IllegalArgumentException e) {
            throw bad("smtpd_client_event_limit_exceptions",
                    String.join(" ", cfg.list("smtpd_client_event_limit_exceptions")), e.getMessage());
        }
        ClientLimits clients = new ClientLimits(cfg.integer("smtpd_client_connection_count_limit"),
                cfg.integer("smtpd_client_connection_rate_limit"), cfg.integer("smtpd_client_message_rate_limit"),
                cfg.integer("smtpd_client_recipient_rate_limit"), cfg.integer("smtpd_client_auth_rate_limit"),
                cfg.time("anvil_rate_time_unit"), exceptions);
        int sessions = cfg.integer("default_process_limit");
        int reserve = cfg.integer("smtpd_mynetworks_reserved_sessions");
        if (reserve >= sessions) {
            throw bad("smtpd_mynetworks_reserved_sessions", String.valueOf(reserve),
                    "must be below default_process_limit (" + sessions + ")");
        }
        RelayDomains relayDomains;
        try {
            relayDomains = RelayDomains.parse(cfg.list("relay_domains"));
        } catch (IllegalArgumentException e) {
            throw bad("relay_domains", String.join(" ", cfg.list("relay_domains")), e.getMessage());
        }
        ClientNetworks bareNewlineExclusions;
        try {
            bareNewlineExclusions = ClientNetworks.parse(cfg.list("smtpd_forbid_bare_newline_exclusions"),
                    "smtpd_forbid_bare_newline_exclusions");
        } catch (IllegalArgumentException e) {
            throw bad("smtpd_forbid_bare_newline_exclusions",
                    String.join(" ", cfg.list("smtpd_forbid_bare_newline_exclusions")), e.getMessage());
        }
        ServerTlsConfiguration.ServerTls serverTls = ServerTlsConfiguration.serverTls(cfg);
        SslContext tls = serverTls.context();
        boolean tlsRequired = serverTls.mandatory();
        return new ListenerSettings(bind, cfg.string("myhostname"), cfg.string("smtpd_banner"),
                cfg.size("message_size_limit"), cfg.integer("smtpd_recipient_limit"), cfg.integer("line_length_limit"),
                sessionLimits(cfg), sessionLimits(cfg.underStress()), clients, sessions, reserve, networks, relayDomains,
                BareNewlinePolicy.parse(cfg.choice("smtpd_forbid_bare_newline")), bareNewlineExclusions,
                cfg.integer("hopcount_limit"), cfg.time("ipc_timeout"), tls, tlsRequired, auth(cfg),
                io.postilion.engine.maillog.InfoLogFormat.from(cfg), io.postilion.engine.config.Smtputf8Settings.from(cfg),
                cfg.bool("requiretls_enable"), io.postilion.engine.config.NettyTransportSetting.from(cfg));
    }

    /** One set of session limits: the normal one, or (given the stress view) the one under stress. */
    private static SessionLimits sessionLimits(Configuration cfg) {
        return new SessionLimits(cfg.time("smtpd_timeout"), cfg.bool("smtpd_per_request_deadline"),
                cfg.integer("smtpd_min_data_rate"), cfg.integer("smtpd_soft_error_limit"),
                cfg.integer("smtpd_hard_error_limit"), cfg.time("smtpd_error_sleep_time"),
                cfg.integer("smtpd_junk_command_limit"));
    }

    /**
     * A listening address parameter ({@code smtpd_listen}, {@code metrics_listen}): {@code host:port}
     * or {@code [v6]:port}, numeric hosts only (no lookup at start-up).
     */
    public static InetSocketAddress address(String parameter, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw bad(parameter, value, "not address:port");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw bad(parameter, value, "no valid port");
        }
        if (!host.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
            throw bad(parameter, value, "give a numeric address");
        }
        return new InetSocketAddress(host, port);
    }

    private static ConfigurationException bad(String name, String value, String why) {
        return ConfigurationException.badValue(name, name + " = " + value + ": " + why);
    }

    /** AUTH for clients outside mynetworks; it needs STARTTLS, since it is only offered inside TLS. */
    private static SaslAuthenticator auth(Configuration cfg) {
        if (!cfg.bool("smtpd_sasl_auth_enable")) {
            return null;
        }
        if (cfg.string("smtpd_tls_cert_file").isBlank()) {
            throw bad("smtpd_sasl_auth_enable", "yes", "AUTH is offered only over TLS: set smtpd_tls_cert_file too");
        }
        try {
            return SaslAuthenticator.of(cfg.table("smtpd_sasl_password_maps"));
        } catch (IllegalArgumentException e) {
            // Only the table types are named: an inline table's text may hold a password.
            throw bad("smtpd_sasl_password_maps", tableTypes(cfg.list("smtpd_sasl_password_maps")), e.getMessage());
        }
    }

    /** "inline:{...} texthash:/etc/x": each table's type, with a file name but never inline text. */
    static String tableTypes(java.util.List<String> specs) {
        StringBuilder sb = new StringBuilder();
        for (String spec : specs) {
            int colon = spec.indexOf(':');
            String type = colon < 0 ? spec : spec.substring(0, colon);
            sb.append(sb.length() > 0 ? " " : "").append(type.equals("inline") || type.equals("static") ? type + ":{...}" : spec);
        }
        return sb.toString();
    }

}
