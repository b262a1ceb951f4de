package io.postilion.engine.listener;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the relay's SMTP listener behaves, under Postfix's smtpd parameter names. An immutable
 * value; {@link #defaults} gives Postfix's defaults.
 *
 * @param bind smtpd_listen (127.0.0.1:2525)
 * @param hostname $myhostname: the name in the greeting, EHLO reply and Received: header
 * @param banner smtpd_banner, the greeting text after 220
 * @param messageSizeLimit message_size_limit in bytes (10240000; 0 = none)
 * @param recipientLimit smtpd_recipient_limit (1000)
 * @param lineLengthLimit line_length_limit (2048): the longest command line kept
 * @param hardErrorLimit smtpd_hard_error_limit (20): errors before the session is ended
 * @param idleTimeout smtpd_timeout (300s): the longest wait for the client
 * @param sessionLimit the most sessions at once (default_process_limit, 100)
 * @param mynetworks clients that may relay without AUTH
 * @param bareNewline smtpd_forbid_bare_newline (normalize)
 * @param hopcountLimit hopcount_limit (50): more Received: headers than this and the message is refused
 * @param tls the server TLS context for STARTTLS, or null when no certificate is configured
 * @param auth AUTH PLAIN/LOGIN (offered only inside TLS), or null when smtpd_sasl_auth_enable = no
 */
public record ListenerSettings(InetSocketAddress bind, String hostname, String banner, long messageSizeLimit,
        int recipientLimit, int lineLengthLimit, int hardErrorLimit, Duration idleTimeout, int sessionLimit,
        ClientNetworks mynetworks, BareNewlinePolicy bareNewline, int hopcountLimit, SslContext tls,
        SaslAuthenticator auth) {

    public ListenerSettings {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(banner, "banner");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(mynetworks, "mynetworks");
        Objects.requireNonNull(bareNewline, "bareNewline");
        if (lineLengthLimit < 512) {
            throw new IllegalArgumentException("line_length_limit below 512 cannot hold an SMTP command: " + lineLengthLimit);
        }
    }

    /** Postfix's defaults, listening on {@code bind}. */
    public static ListenerSettings defaults(InetSocketAddress bind, String hostname) {
        return new ListenerSettings(bind, hostname, hostname + " ESMTP Postilion", 10_240_000, 1000, 2048, 20,
                Duration.ofSeconds(300), 100, ClientNetworks.parse(List.of("127.0.0.0/8", "[::1]/128")),
                BareNewlinePolicy.NORMALIZE, 50, null, null);
    }

    public ListenerSettings withMynetworks(ClientNetworks networks) {
        return new ListenerSettings(bind, hostname, banner, messageSizeLimit, recipientLimit, lineLengthLimit,
                hardErrorLimit, idleTimeout, sessionLimit, networks, bareNewline, hopcountLimit, tls, auth);
    }

    public ListenerSettings withLimits(long sizeLimit, int recipients, int sessions) {
        return new ListenerSettings(bind, hostname, banner, sizeLimit, recipients, lineLengthLimit, hardErrorLimit,
                idleTimeout, sessions, mynetworks, bareNewline, hopcountLimit, tls, auth);
    }

    public ListenerSettings withBareNewline(BareNewlinePolicy policy) {
        return new ListenerSettings(bind, hostname, banner, messageSizeLimit, recipientLimit, lineLengthLimit,
                hardErrorLimit, idleTimeout, sessionLimit, mynetworks, policy, hopcountLimit, tls, auth);
    }

    public ListenerSettings withIdleTimeout(Duration timeout) {
        return new ListenerSettings(bind, hostname, banner, messageSizeLimit, recipientLimit, lineLengthLimit,
                hardErrorLimit, timeout, sessionLimit, mynetworks, bareNewline, hopcountLimit, tls, auth);
    }

    public ListenerSettings withTls(SslContext context) {
        return new ListenerSettings(bind, hostname, banner, messageSizeLimit, recipientLimit, lineLengthLimit,
                hardErrorLimit, idleTimeout, sessionLimit, mynetworks, bareNewline, hopcountLimit, context, auth);
    }

    public ListenerSettings withAuth(SaslAuthenticator authenticator) {
        return new ListenerSettings(bind, hostname, banner, messageSizeLimit, recipientLimit, lineLengthLimit,
                hardErrorLimit, idleTimeout, sessionLimit, mynetworks, bareNewline, hopcountLimit, tls, authenticator);
    }

    public ListenerSettings withHopcountLimit(int limit) {
        return new ListenerSettings(bind, hostname, banner, messageSizeLimit, recipientLimit, lineLengthLimit,
                hardErrorLimit, idleTimeout, sessionLimit, mynetworks, bareNewline, limit, tls, auth);
    }
}
