package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.DeliveryReport;

import reactor.core.publisher.Mono;

/**
 * Where mail goes when this MTA is the best MX for its destination and best_mx_transport names a
 * transport (MISC-2): the caller that knows its transports (the relay, the send command) hands the
 * request to the one named and reports what it did.
 */
@FunctionalInterface
public interface BestMxHandoff {

    /** No other transports: the loop is reported as Postfix does without best_mx_transport. */
    BestMxHandoff NONE = (transport, nexthop, request) -> Mono.empty();

    /**
     * @param transport the transport name (e.g. "lmtp")
     * @param nexthop the next-hop written after the name, or the request's own when none was
     * @param request the request, with the recipients still open
     * @return the other transport's report, or empty when no such transport is known here
     */
    Mono<DeliveryReport> pass(String transport, String nexthop, DeliveryRequest request);
}
