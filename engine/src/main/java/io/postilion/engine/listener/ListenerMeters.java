package io.postilion.engine.listener;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The listener's counters, so a postmaster sees attacks and misconfigured clients on a dashboard
 * rather than in the log: {@code postilion_smtpd_rejects_total{reason}} for every refusal the
 * listener makes, by a bounded set of reasons, and {@code postilion_smtpd_auth_failures_total}.
 */
public final class ListenerMeters {

    /** Why a client was refused. A fixed set, so the meter's series stay few. */
    enum Reason { RELAY_DENIED, BAD_ADDRESS, RATE_LIMIT, CONNECTION_LIMIT, SESSION_LIMIT, TOO_MANY_ERRORS, TIMEOUT,
        TLS_REQUIRED, STORAGE }

    private final Map<Reason, Counter> rejects = new EnumMap<>(Reason.class);
    private final Counter authFailures;

    /** Counters in {@code registry}. */
    public ListenerMeters(MeterRegistry registry) {
        for (Reason r : Reason.values()) {
            rejects.put(r, Counter.builder("postilion_smtpd_rejects_total").description("clients refused by the listener, by reason")
                    .tag("reason", r.name().toLowerCase(Locale.ROOT)).register(registry));
        }
        authFailures = Counter.builder("postilion_smtpd_auth_failures_total").description("failed AUTH attempts")
                .register(registry);
    }

    /** Counters nobody reads, for a listener started without a registry. */
    public static ListenerMeters none() {
        return new ListenerMeters(new SimpleMeterRegistry());
    }

    void reject(Reason reason) {
        rejects.get(reason).increment();
    }

    void authFailure() {
        authFailures.increment();
    }
}
