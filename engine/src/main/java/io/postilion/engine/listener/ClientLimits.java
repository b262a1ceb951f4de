package io.postilion.engine.listener;

import io.postilion.engine.config.ClientNetworks;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one client address may do, as Postfix's anvil(8) counts it: connections at once, and
 * connections, messages, recipients and AUTH commands per {@code anvil_rate_time_unit}. Clients
 * in {@code exceptions} (smtpd_client_event_limit_exceptions, $mynetworks by default) are not
 * limited. A limit of 0 means none.
 *
 * @param connectionCount smtpd_client_connection_count_limit (50)
 * @param connectionRate smtpd_client_connection_rate_limit (0)
 * @param messageRate smtpd_client_message_rate_limit (0)
 * @param recipientRate smtpd_client_recipient_rate_limit (0)
 * @param authRate smtpd_client_auth_rate_limit (0)
 * @param rateTimeUnit anvil_rate_time_unit (60s)
 * @param exceptions smtpd_client_event_limit_exceptions
 */
public record ClientLimits(int connectionCount, int connectionRate, int messageRate, int recipientRate, int authRate,
        Duration rateTimeUnit, ClientNetworks exceptions) {

    public ClientLimits {
        Objects.requireNonNull(rateTimeUnit, "rateTimeUnit");
        Objects.requireNonNull(exceptions, "exceptions");
        if (rateTimeUnit.isZero() || rateTimeUnit.isNegative()) {
            throw new IllegalArgumentException("anvil_rate_time_unit must be positive: " + rateTimeUnit);
        }
    }

    /** Postfix's defaults, with {@code exceptions} standing for $mynetworks. */
    public static ClientLimits defaults(ClientNetworks exceptions) {
        return new ClientLimits(50, 0, 0, 0, 0, Duration.ofSeconds(60), exceptions);
    }

    /** No limits at all (for sinks in tests and benchmarks). */
    public static ClientLimits none() {
        return new ClientLimits(0, 0, 0, 0, 0, Duration.ofSeconds(60), ClientNetworks.parse(List.of()));
    }

    public ClientLimits withConnectionCount(int count) {
        return new ClientLimits(count, connectionRate, messageRate, recipientRate, authRate, rateTimeUnit, exceptions);
    }

    public ClientLimits withRates(int connections, int messages, int recipients, int auths) {
        return new ClientLimits(connectionCount, connections, messages, recipients, auths, rateTimeUnit, exceptions);
    }

    public ClientLimits withExceptions(ClientNetworks networks) {
        return new ClientLimits(connectionCount, connectionRate, messageRate, recipientRate, authRate, rateTimeUnit,
                networks);
    }
}
