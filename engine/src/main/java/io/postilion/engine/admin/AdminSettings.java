package io.postilion.engine.admin;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.metrics.HttpListenerLimits;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the admin endpoint listens and what it asks for, checked when the configuration is:
 * always the UNIX socket {@code admin.sock} in queue_directory; a TCP listener too when
 * admin_listen is set, which needs a readable, non-empty admin_token_file (exit 78 otherwise:
 * an admin port without a token would be the open door issue 17 closes).
 */
public record AdminSettings(Path socket, Optional<InetSocketAddress> tcp, String tcpName, String token,
        HttpListenerLimits limits) {

    /** The socket's name inside queue_directory. */
    public static final String SOCKET_NAME = "admin.sock";

    public AdminSettings {
        if (tcp.isPresent() && (token == null || token.isEmpty())) {
            throw new IllegalArgumentException("a TCP admin listener needs a token");
        }
    }

    /** The socket of the relay whose queue_directory this is. */
    public static Path socketIn(Path queueDirectory) {
        return queueDirectory.resolve(SOCKET_NAME);
    }

    /**
     * Reads the settings, and the token file when admin_listen is set (once, at start-up, on the
     * calling thread). {@code address} parses a listen address as the other listeners do.
     */
    public static AdminSettings from(Configuration cfg, java.util.function.BiFunction<String, String, InetSocketAddress> address) {
        Path socket = socketIn(Path.of(cfg.string("queue_directory")));
        String listen = cfg.string("admin_listen").strip();
        HttpListenerLimits limits = HttpListenerLimits.from(cfg);
        if (listen.isEmpty()) {
            return new AdminSettings(socket, Optional.empty(), "", "", limits);
        }
        InetSocketAddress tcp = address.apply("admin_listen", listen);
        String file = cfg.string("admin_token_file").strip();
        if (file.isEmpty()) {
            throw ConfigurationException.badValue("admin_token_file",
                    "admin_listen = " + listen + " needs admin_token_file (a file holding the token requests must carry)");
        }
        String token;
        try {
            token = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw ConfigurationException.badValue("admin_token_file",
                    "admin_token_file = " + file + ": cannot read it (" + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        }
        if (token.isEmpty() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw ConfigurationException.badValue("admin_token_file",
                    "admin_token_file = " + file + ": the token must be one word of printable ASCII");
        }
        return new AdminSettings(socket, Optional.of(tcp), listen, token, limits);
    }

    @Override
    public String toString() {
        return "AdminSettings[socket=" + socket + ", tcp=" + tcp + ", token=" + (token.isEmpty() ? "none" : "(set)") + "]";
    }
}
