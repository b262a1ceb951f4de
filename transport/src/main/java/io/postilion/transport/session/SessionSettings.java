package io.postilion.transport.session;

import io.netty.handler.ssl.SslContext;
import io.postilion.tls.ClientTlsContexts;
import io.postilion.tls.ServerVerification;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.protocol.DiscardedKeywords;
import java.util.Objects;
import java.util.function.UnaryOperator;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * How a client session behaves, under Postfix's parameter names (the {@code lmtp_} twins in LMTP
 * mode). An immutable value: each {@code with} method returns a changed copy.
 *
 * @param lmtp speak LMTP (LHLO; one reply per accepted recipient after the content)
 * @param heloName smtp_helo_name / lmtp_lhlo_name ($myhostname)
 * @param alwaysSendEhlo smtp_always_send_ehlo (yes)
 * @param neverSendEhlo smtp_never_send_ehlo (no); wins over "always"
 * @param discard smtp_discard_ehlo_keywords (empty), for a server the address map has no entry for
 * @param discardMaps smtp_discard_ehlo_keyword_address_maps (none): per server address, the keyword
 *     list that replaces {@code discard} (SESS-13)
 * @param useChunking smtp_use_chunking (yes): BDAT when the server offers CHUNKING
 * @param skipQuitResponse smtp_skip_quit_response (yes; lmtp_skip_quit_response no)
 * @param timeouts the per-stage limits and the deadline mode
 * @param tlsLevel smtp_tls_security_level; Postfix's default is may (the configuration applies it),
 *     these settings start at none; none, may, encrypt, verify and secure are implemented
 * @param wrapperMode smtp_tls_wrappermode (no): TLS from the first byte (port 465); a server whose
 *     policy is below encrypt is skipped before connecting (TLS-14)
 * @param sslContext the client context for STARTTLS and wrapper mode; null at level none
 * @param verification the CAs and match lists the levels verify and secure check the server's
 *     certificate against after the handshake (TLS-7, TLS-13, TLS-24)
 * @param replyFilter smtp_reply_filter (REPLY-3), null for none
 * @param pix the PIX firewall workarounds (SESS-18)
 * @param timer runs the session's deliberate pauses (the PIX delay before the "." line); Reactor's
 *     parallel scheduler, or a virtual-time one in a test
 * @param smtputf8 smtputf8_enable (yes): replies keep valid UTF-8 (REPLY-1); off, every byte
 *     outside printable ASCII becomes '?', as Postfix's printable() does without UTF-8 support
 * @param tlsLogLevel smtp_tls_loglevel (0) as a number 0-4: at 1 and above one line after each
 *     TLS handshake (TLS-30)
 * @param tlsFastShutdown tls_fast_shutdown_enable (yes): after our close_notify, do not wait for the
 *     server's (TLS-33)
 * @param noteStartTlsOffer smtp_tls_note_starttls_offer (no): at level none, log "Host offered
 *     STARTTLS: [HOST]" when a server offers it (TLS-9)
 */
public record SessionSettings(boolean lmtp, String heloName, boolean alwaysSendEhlo, boolean neverSendEhlo,
        DiscardedKeywords discard, AddressMap discardMaps, boolean useChunking, boolean skipQuitResponse,
        Timeouts timeouts, TlsLevel tlsLevel, boolean wrapperMode, SslContext sslContext, ServerVerification verification,
        UnaryOperator<String> replyFilter, PixWorkarounds pix, Scheduler timer, boolean smtputf8,
        int tlsLogLevel, boolean tlsFastShutdown, boolean noteStartTlsOffer) {

    /** XFER-21: unanswered pipelined command bytes are kept within this window. */
    public static final int PIPELINING_WINDOW = 4096;

    public SessionSettings {
        Objects.requireNonNull(heloName, "heloName");
        Objects.requireNonNull(discard, "discard");
        Objects.requireNonNull(discardMaps, "discardMaps");
        Objects.requireNonNull(pix, "pix");
        Objects.requireNonNull(timer, "timer");
        Objects.requireNonNull(timeouts, "timeouts");
        if (heloName.isBlank() || heloName.indexOf('\r') >= 0 || heloName.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("bad helo name: '" + heloName + "'");
        }
        Objects.requireNonNull(tlsLevel, "tlsLevel");
        Objects.requireNonNull(verification, "verification");
        if (tlsLogLevel < 0 || tlsLogLevel > 4) {
            throw new IllegalArgumentException("TLS log level out of 0-4: " + tlsLogLevel);
        }
        if (tlsLevel != TlsLevel.NONE && sslContext == null) {
            throw new IllegalArgumentException("TLS level " + tlsLevel.configName() + " needs a client SslContext");
        }
    }

    /**
     * The policy of the global level for a server called {@code hostname}, found for the next-hop
     * domain {@code nexthop}, without SNI: what a caller that computes no per-server policy gets.
     */
    public io.postilion.tls.TlsPolicy tlsPolicy(String hostname, String nexthop) {
        return tlsLevel == TlsLevel.NONE ? io.postilion.tls.TlsPolicy.NONE
                : new io.postilion.tls.TlsPolicy(tlsLevel, sslContext, null, verification.forServer(tlsLevel, hostname, nexthop), false);
    }

    /** Postfix's SMTP client defaults, greeting as {@code heloName}. */
    public static SessionSettings smtp(String heloName) {
        return new SessionSettings(false, heloName, true, false, DiscardedKeywords.NONE, AddressMap.NONE, true, true,
                Timeouts.smtpDefaults(), TlsLevel.NONE, false, null, ServerVerification.NONE, null, PixWorkarounds.DEFAULTS, Schedulers.parallel(), true,
                0, true, false);
    }

    /** Postfix's LMTP client defaults, greeting as {@code lhloName}. */
    public static SessionSettings lmtp(String lhloName) {
        return new SessionSettings(true, lhloName, true, false, DiscardedKeywords.NONE, AddressMap.NONE, true, false,
                Timeouts.lmtpDefaults(), TlsLevel.NONE, false, null, ServerVerification.NONE, null, PixWorkarounds.DEFAULTS, Schedulers.parallel(), true,
                0, true, false);
    }

    /**
     * REPLY-3 (smtp_reply_filter): each reply line, with non-printable characters already
     * replaced by '?', passes through {@code filter} before it is parsed; null for none.
     */
    public SessionSettings withReplyFilter(UnaryOperator<String> filter) {
        return with(c -> c.replyFilter = filter);
    }

    /** smtputf8_enable: whether valid UTF-8 in replies is kept (REPLY-1). */
    public SessionSettings withSmtputf8(boolean on) {
        return with(c -> c.smtputf8 = on);
    }

    public SessionSettings withTimeouts(Timeouts t) {
        return with(c -> c.timeouts = t);
    }

    public SessionSettings withEhlo(boolean always, boolean never) {
        return with(c -> {
            c.alwaysSendEhlo = always;
            c.neverSendEhlo = never;
        });
    }

    public SessionSettings withDiscard(DiscardedKeywords d) {
        return with(c -> c.discard = d);
    }

    /** SESS-13: the keyword list, and the per-address table whose entry replaces it for one server. */
    public SessionSettings withDiscard(DiscardedKeywords d, AddressMap maps) {
        return with(c -> {
            c.discard = d;
            c.discardMaps = maps;
        });
    }

    public SessionSettings withChunking(boolean on) {
        return with(c -> c.useChunking = on);
    }

    public SessionSettings withSkipQuitResponse(boolean skip) {
        return with(c -> c.skipQuitResponse = skip);
    }

    /**
     * The TLS level; every level above none gets the shared BoringSSL client context, which lets
     * any certificate through the handshake (verify and secure judge it afterwards, with
     * {@link #withVerification}).
     */
    public SessionSettings withTls(TlsLevel level, boolean wrapper) {
        SslContext ctx = level == TlsLevel.NONE ? null : ClientTlsContexts.unauthenticated(level);
        return with(c -> {
            c.tlsLevel = level;
            c.wrapperMode = wrapper;
            c.sslContext = ctx;
        });
    }

    /** TLS-7, TLS-24: the CAs and match lists for the levels verify and secure. */
    public SessionSettings withVerification(ServerVerification v) {
        return with(c -> c.verification = v);
    }

    /** TLS-30, TLS-33: smtp_tls_loglevel (0-4) and tls_fast_shutdown_enable. */
    public SessionSettings withTlsLogging(int logLevel, boolean fastShutdown) {
        return with(c -> {
            c.tlsLogLevel = logLevel;
            c.tlsFastShutdown = fastShutdown;
        });
    }

    /** TLS-9: smtp_tls_note_starttls_offer. */
    public SessionSettings withNoteStartTlsOffer(boolean on) {
        return with(c -> c.noteStartTlsOffer = on);
    }

    public SessionSettings withPix(PixWorkarounds p) {
        return with(c -> c.pix = p);
    }

    public SessionSettings withTimer(Scheduler t) {
        return with(c -> c.timer = t);
    }

    /** A copy with some components changed (the canonical constructor checks the result). */
    private SessionSettings with(java.util.function.Consumer<Copy> change) {
        Copy c = new Copy(this);
        change.accept(c);
        return c.build();
    }

    /** The components, to change before a copy is made: the one place that lists them all. */
    private static final class Copy {
        private final boolean lmtp;
        private final String heloName;
        boolean alwaysSendEhlo;
        boolean neverSendEhlo;
        DiscardedKeywords discard;
        AddressMap discardMaps;
        boolean useChunking;
        boolean skipQuitResponse;
        Timeouts timeouts;
        TlsLevel tlsLevel;
        boolean wrapperMode;
        SslContext sslContext;
        ServerVerification verification;
        UnaryOperator<String> replyFilter;
        PixWorkarounds pix;
        Scheduler timer;
        boolean smtputf8;
        int tlsLogLevel;
        boolean tlsFastShutdown;
        boolean noteStartTlsOffer;

        Copy(SessionSettings s) {
            lmtp = s.lmtp;
            heloName = s.heloName;
            alwaysSendEhlo = s.alwaysSendEhlo;
            neverSendEhlo = s.neverSendEhlo;
            discard = s.discard;
            discardMaps = s.discardMaps;
            useChunking = s.useChunking;
            skipQuitResponse = s.skipQuitResponse;
            timeouts = s.timeouts;
            tlsLevel = s.tlsLevel;
            wrapperMode = s.wrapperMode;
            sslContext = s.sslContext;
            verification = s.verification;
            replyFilter = s.replyFilter;
            pix = s.pix;
            timer = s.timer;
            smtputf8 = s.smtputf8;
            tlsLogLevel = s.tlsLogLevel;
            tlsFastShutdown = s.tlsFastShutdown;
            noteStartTlsOffer = s.noteStartTlsOffer;
        }

        SessionSettings build() {
            return new SessionSettings(lmtp, heloName, alwaysSendEhlo, neverSendEhlo, discard, discardMaps, useChunking,
                    skipQuitResponse, timeouts, tlsLevel, wrapperMode, sslContext, verification, replyFilter, pix, timer,
                    smtputf8, tlsLogLevel, tlsFastShutdown, noteStartTlsOffer);
        }
    }
}
