package io.postilion.engine.agent;

import io.postilion.engine.rewrite.AddressKeys;
import io.postilion.engine.rewrite.RewriteSettings;
import io.postilion.transport.protocol.EhloKeyword;
import io.postilion.transport.reply.SmtpReply;
import io.postilion.transport.sasl.SaslCredentials;
import io.postilion.transport.sasl.SaslMechanisms;
import io.postilion.transport.sasl.SaslSecurityOption;
import io.postilion.transport.session.Handshake;
import io.postilion.transport.session.SmtpSession;
import io.postilion.transport.session.Stage;
import io.postilion.transport.session.StageFailure;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * Client SASL in a session: the port of Postfix's smtp_sasl_proto.c and smtp_sasl_glue.c. After
 * the last hello (SASL-1) it decides whether to authenticate, finds the credentials (SASL-2),
 * narrows the server's mechanisms (SASL-3, SASL-4, SASL-13), runs the exchange through the session
 * and turns a refusal into the failure Postfix reports (SASL-7). A failure here is a site-level
 * failure: the caller throttles the destination and never caches the session.
 */
final class SaslLogin {

    private final SaslSettings settings;
    private final RewriteSettings local;
    private final AgentLog info;
    private final boolean lmtp;

    SaslLogin(SaslSettings settings, RewriteSettings local, AgentLog info, boolean lmtp) {
        this.settings = settings;
        this.local = local;
        this.info = info;
        this.lmtp = lmtp;
        if (settings.enabled()) {
            SaslMechanisms.prepare();
        }
    }

    /**
     * SASL-2: the credentials for a server, looked up in smtp_sasl_password_maps: with
     * sender-dependent authentication (SMTP only) the sender first, by Postfix's address keys;
     * then the server's host name; then the next hop exactly as written ({@code [host]:port}).
     * Empty when no key matches: the session goes on unauthenticated.
     */
    Optional<SaslCredentials> credentials(String sender, String hostname, String nexthop) {
        Optional<String> value = Optional.empty();
        if (!lmtp && settings.senderDependent() && !sender.isEmpty()) {
            value = AddressKeys.find(sender, local.recipientDelimiter(), local::isLocalDomain,
                    k -> settings.passwords().find(k).orElse(null)).map(AddressKeys.Found::value);
        }
        if (value.isEmpty()) {
            value = settings.passwords().find(hostname);
        }
        if (value.isEmpty()) {
            value = settings.passwords().find(nexthop);
        }
        return value.map(v -> {
            // The password may itself hold the delimiter: split at the first one only.
            int at = v.indexOf(settings.delimiter());
            return new SaslCredentials(at < 0 ? v : v.substring(0, at), at < 0 ? "" : v.substring(at + 1),
                    settings.sendAuthzid());
        });
    }

    /**
     * Authenticates the session when SASL-1 says so. Completes empty when the session may carry a
     * transaction (authenticated, or nothing to authenticate with), or with the failure that ends it.
     *
     * @param hostname the server's name (SASL-2's second key)
     * @param nexthop the current destination as written (SASL-2's third key)
     */
    Mono<StageFailure> login(SmtpSession s, Handshake h, String sender, String hostname, String nexthop) {
        if (!settings.enabled() || !h.capabilities().has(EhloKeyword.AUTH)) {
            return Mono.empty();
        }
        List<String> offered = h.capabilities().authMechanisms();
        List<String> usable = settings.filter().filter(offered);
        if (usable.isEmpty()) {
            info.warn(offered.isEmpty() ? s.endpoint().displayWithPort() + " offered null AUTH mechanism list"
                    : s.endpoint().displayWithPort() + " offered no supported AUTH mechanisms: '" + String.join(" ", offered) + "'");
        }
        Optional<SaslCredentials> credentials = credentials(sender, hostname, nexthop);
        if (credentials.isEmpty()) {
            return Mono.empty(); // strangers: no AUTH, and no error
        }
        Stage stage = lmtp ? Stage.LHLO : Stage.EHLO;
        if (usable.isEmpty()) {
            return Mono.just(new StageFailure(stage, StageFailure.Kind.LOCAL, null, "4.7.0", "SASL authentication failed: server "
                    + s.endpoint().display() + " offered no compatible authentication mechanisms for this type of connection security"));
        }
        // SASL-4: a matched certificate (verify, secure) earns the verified options; TLS alone the TLS ones
        Set<SaslSecurityOption> options = s.certificateMatched() ? settings.verifiedOptions()
                : s.tlsActive() ? settings.tlsOptions() : settings.plaintextOptions();
        Optional<String> mechanism = SaslMechanisms.choose(usable, options, settings.filter().namesXoauth2());
        if (mechanism.isEmpty()) {
            // Cyrus's words for SASL_NOMECH: nothing offered passes this channel's options (SASL-4).
            return Mono.just(new StageFailure(stage, StageFailure.Kind.LOCAL, null, "4.7.0",
                    "SASL authentication failed; cannot authenticate to server " + s.endpoint().display()
                            + ": mechanism not supported"));
        }
        return s.authenticate(SaslMechanisms.start(mechanism.get(), credentials.get())).flatMap(r -> {
            if (r.failure() != null) {
                return Mono.just(r.failure());
            }
            return r.authenticated() ? Mono.<StageFailure>empty() : Mono.just(refused(s, stage, r.reply()));
        });
    }

    /** SASL-7: "SASL authentication failed; server HOST[ADDR] said: REPLY", a 5xx softened under smtp_sasl_auth_soft_bounce. */
    private StageFailure refused(SmtpSession s, Stage stage, SmtpReply reply) {
        String status = reply.status();
        if (settings.softBounce() && status.startsWith("5")) {
            status = "4" + status.substring(1);
        }
        return new StageFailure(stage, StageFailure.Kind.REPLY, reply, status,
                "SASL authentication failed; server " + s.endpoint().display() + " said: " + reply.text());
    }
}
