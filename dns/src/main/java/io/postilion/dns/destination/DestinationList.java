package io.postilion.dns.destination;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The parsed next-hop of one request: request destinations in order, then fallback relays (DEST-1,
 * DEST-2). When any item is malformed the whole list is unusable and {@code error} says why (the
 * request is deferred, DEST-9); {@code warnings} carries texts the caller should log.
 */
public record DestinationList(List<Destination> destinations, Optional<BadDestination> error, List<String> warnings) {

    public DestinationList {
        destinations = List.copyOf(destinations);
        Objects.requireNonNull(error, "error");
        warnings = List.copyOf(warnings);
        if (error.isPresent() && !destinations.isEmpty()) {
            throw new IllegalArgumentException("a failed list has no destinations");
        }
    }

    static DestinationList failed(BadDestination error, List<String> warnings) {
        return new DestinationList(List.of(), Optional.of(error), warnings);
    }

    public boolean isValid() {
        return error.isEmpty();
    }

    /** Whether {@code index} is the last item, which makes that destination final (LOOKUP-20). */
    public boolean isLast(int index) {
        return index == destinations.size() - 1;
    }
}
