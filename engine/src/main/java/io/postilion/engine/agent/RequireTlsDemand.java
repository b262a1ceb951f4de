package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;

/**
 * Whether REQUIRETLS (TLS-19) requires TLS for a request: such a request never falls back to
 * plaintext after a failed opportunistic handshake (TLS-11) or a broken TLS session (TLS-12).
 * REQUIRETLS is not built yet, so the agent asks {@link #NOT_REQUESTED}; the REQUIRETLS work puts
 * its own answer here (under opportunistic+starttls and enforce the request requires TLS).
 */
@FunctionalInterface
interface RequireTlsDemand {

    /** No request requires TLS: what every request is until REQUIRETLS exists. */
    RequireTlsDemand NOT_REQUESTED = request -> false;

    boolean requiresTls(DeliveryRequest request);
}
