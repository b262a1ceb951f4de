package io.postilion.dns;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The ordered servers for one destination, or why there are none.
 *
 * @param nexthop the destination as written (DEST-15)
 * @param targets servers in the order to try them, already cut to {@code smtp_mx_address_limit}
 * @param failure present when the lookup failed (then {@code targets} is empty)
 * @param finalNexthop no later destination may be tried after this one (LOOKUP-20): last in the list,
 *     this MTA is one of its MX hosts, or a loop was detected
 * @param selfMx whether this MTA found itself among the MX hosts (LOOKUP-8)
 * @param warnings texts to log (e.g. "no MX host for D has a valid address record")
 * @param rrset the MX/SRV RRset the servers came from, as DANE judges it (TLS-8)
 */
public record TargetList(
        String nexthop,
        List<Target> targets,
        Optional<LookupFailure> failure,
        boolean finalNexthop,
        boolean selfMx,
        List<String> warnings,
        ServerRrset rrset) {

    /** A list whose servers came from no MX/SRV RRset, or a failed lookup. */
    public TargetList(String nexthop, List<Target> targets, Optional<LookupFailure> failure, boolean finalNexthop,
            boolean selfMx, List<String> warnings) {
        this(nexthop, targets, failure, finalNexthop, selfMx, warnings, ServerRrset.NONE);
    }

    public TargetList {
        Objects.requireNonNull(rrset, "rrset");
        Objects.requireNonNull(nexthop, "nexthop");
        targets = List.copyOf(targets);
        Objects.requireNonNull(failure, "failure");
        warnings = List.copyOf(warnings);
        if (failure.isPresent() && !targets.isEmpty()) {
            throw new IllegalArgumentException("a failed lookup has no targets");
        }
    }

    public boolean ok() {
        return failure.isEmpty();
    }
}
