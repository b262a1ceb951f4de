package io.postilion.engine.listener;

import io.postilion.transport.netty.NettyTransport;
import io.postilion.engine.config.ClientNetworks;
import io.postilion.engine.config.Smtputf8Settings;
import io.postilion.engine.maillog.InfoLogFormat;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How the relay's SMTP listener behaves, under Postfix's smtpd parameter names. An immutable
 * value; {@link #defaults} gives Postfix's defaults and the {@code with} methods change one
 * concern at a time.
 *
 * @param bind smtpd_listen (127.0.0.1:2525)
 * @param hostname $myhostname: the name in the greeting, EHLO reply and Received: header
 * @param banner smtpd_banner, the greeting text after 220
 * @param messageSizeLimit message_size_limit in bytes (10240000; 0 = none)
 * @param recipientLimit smtpd_recipient_limit (1000)
 * @param lineLengthLimit line_length_limit (2048): the longest command line kept
 * @param normal the session limits in normal times (timeouts, error and junk limits)
 * @param stress the session limits while the listener is under stress (its slots for clients
 *     outside mynetworks are all taken), Postfix's {@code ${stress?...}} values
 * @param clients per-client-address limits (anvil)
 * @param sessionLimit the most sessions at once (default_process_limit, 100)
 * @param mynetworksReserve smtpd_mynetworks_reserved_sessions (10): of {@code sessionLimit}, this
 *     many can only be taken by mynetworks clients, so outsiders cannot lock the owners out
 * @param mynetworks clients that may relay without AUTH
 * @param relayDomains relay_domains: destinations anyone may send to (an inbound relay for them)
 * @param bareNewline smtpd_forbid_bare_newline (normalize)
 * @param bareNewlineExclusions smtpd_forbid_bare_newline_exclusions: clients for which a bare LF
 *     keeps its legacy meaning (none by default, CLARIFICATIONS 14)
 * @param hopcountLimit hopcount_limit (50): when the Received: headers, ours included, reach this the
 *     message is refused (Postfix's cleanup)
 * @param sinkTimeout ipc_timeout (3600s): the longest wait for the spool to take a message
 *     before the client gets 451
 * @param tls the server TLS context for STARTTLS, or null when no certificate is configured
 * @param tlsRequired smtpd_tls_security_level = encrypt: no MAIL before STARTTLS
 * @param auth AUTH PLAIN/LOGIN (offered only inside TLS), or null when smtpd_sasl_auth_enable = no
 * @param logFormat info_log_address_format: how the NOQUEUE reject lines show from= and to=
 * @param smtputf8 smtputf8_enable (SMTPUTF8 announced and accepted) and whether the smtpd class
 *     is autodetected (smtputf8_autodetect_classes)
 * @param requireTls requiretls_enable: REQUIRETLS is announced after STARTTLS and accepted on MAIL
 *     FROM over TLS (TLS-19, RFC 8689)
 * @param transport netty_transport: the Netty transport the listener accepts and serves on
 */
public record ListenerSettings(InetSocketAddress bind, String hostname, String banner, long messageSizeLimit,
        int recipientLimit, int lineLengthLimit, SessionLimits normal, SessionLimits stress, ClientLimits clients,
        int sessionLimit, int mynetworksReserve, ClientNetworks mynetworks, RelayDomains relayDomains,
        BareNewlinePolicy bareNewline, ClientNetworks bareNewlineExclusions, int hopcountLimit, Duration sinkTimeout, SslContext tls, boolean tlsRequired, SaslAuthenticator auth,
        InfoLogFormat logFormat, Smtputf8Settings smtputf8, boolean requireTls, NettyTransport transport) {

    public ListenerSettings {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(banner, "banner");
        Objects.requireNonNull(normal, "normal");
        Objects.requireNonNull(stress, "stress");
        Objects.requireNonNull(clients, "clients");
        Objects.requireNonNull(mynetworks, "mynetworks");
        Objects.requireNonNull(bareNewline, "bareNewline");
        Objects.requireNonNull(relayDomains, "relayDomains");
        Objects.requireNonNull(bareNewlineExclusions, "bareNewlineExclusions");
        Objects.requireNonNull(sinkTimeout, "sinkTimeout");
        Objects.requireNonNull(logFormat, "logFormat");
        Objects.requireNonNull(smtputf8, "smtputf8");
        Objects.requireNonNull(transport, "transport");
        if (lineLengthLimit < 512) {
            throw new IllegalArgumentException("line_length_limit below 512 cannot hold an SMTP command: " + lineLengthLimit);
        }
        if (mynetworksReserve < 0 || mynetworksReserve >= sessionLimit) {
            throw new IllegalArgumentException("smtpd_mynetworks_reserved_sessions must be at least 0 and below "
                    + "default_process_limit (" + sessionLimit + "): " + mynetworksReserve);
        }
        if (tlsRequired && tls == null) {
            throw new IllegalArgumentException("smtpd_tls_security_level = encrypt needs a certificate");
        }
    }

    /** Postfix's defaults, listening on {@code bind}. */
    public static ListenerSettings defaults(InetSocketAddress bind, String hostname) {
        ClientNetworks mynetworks = ClientNetworks.parse(List.of("127.0.0.0/8", "[::1]/128"));
        return new ListenerSettings(bind, hostname, hostname + " ESMTP Postilion", 10_240_000, 1000, 2048,
                SessionLimits.normal(), SessionLimits.stress(), ClientLimits.defaults(mynetworks), 100, 10, mynetworks,
                RelayDomains.none(), BareNewlinePolicy.NORMALIZE, ClientNetworks.parse(List.of()), 50, Duration.ofSeconds(3600), null, false, null,
                InfoLogFormat.DEFAULTS, Smtputf8Settings.DEFAULTS, true, NettyTransport.EPOLL);
    }

    /** The session limits that apply now. */
    public SessionLimits limits(boolean underStress) {
        return underStress ? stress : normal;
    }

    /** mynetworks, and the anvil exceptions with it (their default is $mynetworks). */
    public ListenerSettings withMynetworks(ClientNetworks networks) {
        return with(b -> {
            b.mynetworks = networks;
            b.clients = b.clients.withExceptions(networks);
        });
    }

    public ListenerSettings withLimits(long sizeLimit, int recipients, int sessions) {
        return with(b -> {
            b.messageSizeLimit = sizeLimit;
            b.recipientLimit = recipients;
            b.sessionLimit = sessions;
            b.mynetworksReserve = Math.min(b.mynetworksReserve, sessions - 1);
        });
    }

    /** Sessions at once, of which {@code reserve} only for mynetworks. */
    public ListenerSettings withSessions(int sessions, int reserve) {
        return with(b -> {
            b.sessionLimit = sessions;
            b.mynetworksReserve = reserve;
        });
    }

    public ListenerSettings withBareNewline(BareNewlinePolicy policy) {
        return with(b -> b.bareNewline = policy);
    }

    public ListenerSettings withBareNewlineExclusions(ClientNetworks clients) {
        return with(b -> b.bareNewlineExclusions = clients);
    }

    public ListenerSettings withRelayDomains(RelayDomains domains) {
        return with(b -> b.relayDomains = domains);
    }

    /** smtpd_timeout, in normal times and under stress alike. */
    public ListenerSettings withIdleTimeout(Duration timeout) {
        return with(b -> {
            b.normal = b.normal.withTimeout(timeout);
            b.stress = b.stress.withTimeout(timeout);
        });
    }

    public ListenerSettings withSessionLimits(SessionLimits inNormalTimes, SessionLimits underStress) {
        return with(b -> {
            b.normal = inNormalTimes;
            b.stress = underStress;
        });
    }

    public ListenerSettings withClientLimits(ClientLimits limits) {
        return with(b -> b.clients = limits);
    }

    public ListenerSettings withSinkTimeout(Duration timeout) {
        return with(b -> b.sinkTimeout = timeout);
    }

    public ListenerSettings withTls(SslContext context) {
        return with(b -> b.tls = context);
    }

    public ListenerSettings withTlsRequired(boolean required) {
        return with(b -> b.tlsRequired = required);
    }

    public ListenerSettings withAuth(SaslAuthenticator authenticator) {
        return with(b -> b.auth = authenticator);
    }

    public ListenerSettings withLogFormat(InfoLogFormat format) {
        return with(b -> b.logFormat = format);
    }

    /** requiretls_enable (TLS-19). */
    public ListenerSettings withRequireTls(boolean on) {
        return with(b -> b.requireTls = on);
    }

    public ListenerSettings withSmtputf8(Smtputf8Settings settings) {
        return with(b -> b.smtputf8 = settings);
    }

    /** netty_transport: the transport the listener runs on. */
    public ListenerSettings withTransport(NettyTransport t) {
        return with(b -> b.transport = t);
    }

    public ListenerSettings withHopcountLimit(int limit) {
        return with(b -> b.hopcountLimit = limit);
    }

    private ListenerSettings with(Consumer<Builder> change) {
        Builder b = new Builder(this);
        change.accept(b);
        return b.build();
    }

    /** A mutable copy, only so that each {@code with} method names just what it changes. */
    private static final class Builder {
        InetSocketAddress bind;
        String hostname;
        String banner;
        long messageSizeLimit;
        int recipientLimit;
        int lineLengthLimit;
        SessionLimits normal;
        SessionLimits stress;
        ClientLimits clients;
        int sessionLimit;
        int mynetworksReserve;
        ClientNetworks mynetworks;
        RelayDomains relayDomains;
        BareNewlinePolicy bareNewline;
        ClientNetworks bareNewlineExclusions;
        int hopcountLimit;
        Duration sinkTimeout;
        SslContext tls;
        boolean tlsRequired;
        SaslAuthenticator auth;
        InfoLogFormat logFormat;
        Smtputf8Settings smtputf8;
        boolean requireTls;
        NettyTransport transport;

        Builder(ListenerSettings s) {
            bind = s.bind;
            hostname = s.hostname;
            banner = s.banner;
            messageSizeLimit = s.messageSizeLimit;
            recipientLimit = s.recipientLimit;
            lineLengthLimit = s.lineLengthLimit;
            normal = s.normal;
            stress = s.stress;
            clients = s.clients;
            sessionLimit = s.sessionLimit;
            mynetworksReserve = s.mynetworksReserve;
            mynetworks = s.mynetworks;
            relayDomains = s.relayDomains;
            bareNewline = s.bareNewline;
            bareNewlineExclusions = s.bareNewlineExclusions;
            hopcountLimit = s.hopcountLimit;
            sinkTimeout = s.sinkTimeout;
            tls = s.tls;
            tlsRequired = s.tlsRequired;
            auth = s.auth;
            logFormat = s.logFormat;
            smtputf8 = s.smtputf8;
            requireTls = s.requireTls;
            transport = s.transport;
        }

        ListenerSettings build() {
            return new ListenerSettings(bind, hostname, banner, messageSizeLimit, recipientLimit, lineLengthLimit,
                    normal, stress, clients, sessionLimit, mynetworksReserve, mynetworks, relayDomains, bareNewline,
                    bareNewlineExclusions, hopcountLimit,
                    sinkTimeout, tls, tlsRequired, auth, logFormat, smtputf8, requireTls, transport);
        }
    }
}
