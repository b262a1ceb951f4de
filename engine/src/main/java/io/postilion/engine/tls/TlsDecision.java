package io.postilion.engine.tls;

import io.postilion.tls.TlsPolicy;
import java.util.Objects;

/**
 * What TLS-3 decided for one server: the policy to connect with, or why the server must be
 * skipped (an invalid policy: 4.7.5 "client TLS configuration problem", a TLSA lookup error, a
 * table that could not answer). A skipped server's recipients take that status if no other
 * server decides them.
 */
public sealed interface TlsDecision {

    /**
     * Connect under {@code policy}; {@code warnings} are logged first (attributes ignored at level
     * none, fingerprints skipped as malformed, DANE falling back to may: TLS-8).
     */
    record Use(TlsPolicy policy, java.util.List<String> warnings) implements TlsDecision {
        public Use {
            Objects.requireNonNull(policy, "policy");
            warnings = java.util.List.copyOf(warnings);
        }

        public Use(TlsPolicy policy) {
            this(policy, java.util.List.of());
        }

        /** With one warning, or none when {@code warning} is null. */
        public Use(TlsPolicy policy, String warning) {
            this(policy, warning == null ? java.util.List.of() : java.util.List.of(warning));
        }
    }

    /**
     * Do not connect: {@code status} (e.g. 4.7.5) and {@code reason} become the server's error;
     * {@code warning} is logged (null for none).
     */
    record Skip(String status, String reason, String warning) implements TlsDecision {
        public Skip {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Do not connect, and record no error for the server: only {@code warning} is logged. TLS-14's
     * wrapper mode below encrypt (Postfix's smtp_connect.c skips such a server with a warning and
     * nothing else; if every server is skipped the recipients get 4.3.0 "server unavailable or
     * unable to receive mail").
     */
    record Ignore(String warning) implements TlsDecision {
        public Ignore {
            Objects.requireNonNull(warning, "warning");
        }
    }
}
