package io.postilion.engine.listener;

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
        InetSocketAddress bind = address("smtpd_listen", cfg.string("smtpd_listen"));
        ClientNetworks networks;
        try {
            networks = ClientNetworks.parse(cfg.list("mynetworks"));
        } catch (IllegalArgumentException e) {
            throw bad("mynetworks", String.join(" ", cfg.list("mynetworks")), e.getMessage());
        }
        return new ListenerSettings(bind, cfg.string("myhostname"), cfg.string("smtpd_banner"),
                cfg.size("message_size_limit"), cfg.integer("smtpd_recipient_limit"), cfg.integer("line_length_limit"),
                cfg.integer("smtpd_hard_error_limit"), cfg.time("smtpd_timeout"), cfg.integer("default_process_limit"),
                networks, BareNewlinePolicy.parse(cfg.choice("smtpd_forbid_bare_newline")), cfg.integer("hopcount_limit"),
                tls(cfg), auth(cfg));
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
            throw bad("smtpd_sasl_password_maps", String.join(" ", cfg.list("smtpd_sasl_password_maps")), e.getMessage());
        }
    }

    private static SslContext tls(Configuration cfg) {
        ServerTlsConfiguration.ServerTls tls = ServerTlsConfiguration.serverTls(cfg);
        if (tls.mandatory()) {
            // Until the listener refuses MAIL before STARTTLS (530 5.7.0), encrypt would run as may:
            // weaker than asked, so it stops start-up (CLARIFICATIONS 39). Remove when it does.
            throw bad("smtpd_tls_security_level", "encrypt", "the listener does not yet refuse mail before STARTTLS");
        }
        return tls.context();
    }
}
