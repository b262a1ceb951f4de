package io.postilion.engine.tls;

import io.postilion.engine.config.LookupTable;
import io.postilion.tls.TrustAnchorFiles;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What main.cf adds to the global level when a server's policy is computed (TLS-3 steps 3, 4 and
 * 6): the policy tables, the legacy per-site table, and the defaults of the fingerprint and trust
 * anchor levels (TLS-24, TLS-28) and of TLS-16. Loaded at start-up, so a lookup reads no file.
 *
 * @param policyMapsName smtp_tls_policy_maps as this agent names it (lmtp_ in LMTP mode), for warnings
 * @param policyMaps smtp_tls_policy_maps (TLS-31): the empty table when not set
 * @param perSiteName smtp_tls_per_site as this agent names it
 * @param perSite smtp_tls_per_site: the empty table when not set, or when policy maps are set
 * @param fingerprintDigest smtp_tls_fingerprint_digest, a digest {@link io.postilion.tls.FingerprintCheck} computes
 * @param fingerprintMatch smtp_tls_fingerprint_cert_match, already split
 * @param trustAnchors smtp_tls_trust_anchor_file, loaded; empty when not set
 * @param verifyDepth smtp_tls_scert_verifydepth, also for the tafile= anchors of a policy
 * @param enforceStsMxPatterns smtp_tls_enforce_sts_mx_patterns (TLS-16)
 */
public record TlsPolicySources(String policyMapsName, LookupTable policyMaps, String perSiteName, LookupTable perSite,
        String fingerprintDigest, List<String> fingerprintMatch, Optional<TrustAnchorFiles> trustAnchors, int verifyDepth,
        boolean enforceStsMxPatterns) {

    /** No tables; Postfix's defaults. */
    public static final TlsPolicySources NONE = new TlsPolicySources("smtp_tls_policy_maps", LookupTable.empty(),
            "smtp_tls_per_site", LookupTable.empty(), "sha256", List.of(), Optional.empty(), 9, true);

    public TlsPolicySources {
        Objects.requireNonNull(policyMapsName, "policyMapsName");
        Objects.requireNonNull(policyMaps, "policyMaps");
        Objects.requireNonNull(perSiteName, "perSiteName");
        Objects.requireNonNull(perSite, "perSite");
        Objects.requireNonNull(fingerprintDigest, "fingerprintDigest");
        fingerprintMatch = List.copyOf(fingerprintMatch);
        Objects.requireNonNull(trustAnchors, "trustAnchors");
    }

    /** Whether a policy table is configured (TLS-3 step 3). */
    public boolean hasPolicyMaps() {
        return !policyMaps.equals(LookupTable.empty());
    }

    /** Whether the legacy per-site table is in use (TLS-3 step 4). */
    public boolean hasPerSite() {
        return !perSite.equals(LookupTable.empty());
    }
}
