package io.postilion.tls.sts;

import java.util.List;
import java.util.Objects;

/**
 * A parsed MTA-STS policy (RFC 8461 section 3.2), as {@link StsPolicyParser} accepts it.
 *
 * @param mode enforce, testing or none
 * @param mx the permitted MX host patterns, in the policy's order (empty only in mode none)
 * @param maxAgeSeconds how long the policy may be cached, at most 31557600 (one year)
 */
public record StsPolicy(StsMode mode, List<MxPattern> mx, long maxAgeSeconds) {

    /** RFC 8461's upper bound on {@code max_age}: a year of 365.25 days. */
    public static final long MAX_AGE_LIMIT = 31_557_600L;

    public StsPolicy {
        Objects.requireNonNull(mode, "mode");
        mx = List.copyOf(mx);
        if (maxAgeSeconds < 0 || maxAgeSeconds > MAX_AGE_LIMIT) {
            throw new IllegalArgumentException("max_age out of range: " + maxAgeSeconds);
        }
    }

    /** Whether an MX host called {@code hostname} may receive mail for the policy's domain (TLS-16). */
    public boolean permits(String hostname) {
        for (MxPattern p : mx) {
            if (p.matches(hostname)) {
                return true;
            }
        }
        return false;
    }
}
