package io.postilion.engine.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.LookupTable;
import io.postilion.engine.config.TableList;
import io.postilion.tls.ServerVerification;
import io.postilion.tls.TlsLevel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What the agent tests cannot provoke with the tables this project loads: a table that fails to
 * answer (a socketmap service that is down, in Postfix). TLS-31: the server is skipped with 4.7.5,
 * whichever table of the list fails, and never reached under the global level instead.
 */
class TlsPolicyResolverTest {

    private static final TlsPolicyQuery QUERY = new TlsPolicyQuery("sub.dest.test", "sub.dest.test", "mx1.dest.test", 25,
            false);

    private static TlsDecision resolve(LookupTable maps) {
        TlsPolicySources sources = new TlsPolicySources("smtp_tls_policy_maps", maps, "smtp_tls_per_site",
                LookupTable.empty(), "sha256", List.of(), Optional.empty(), 9, true);
        return new TlsPolicyResolver(new TlsPolicySettings(TlsLevel.MAY, false, ServerVerification.NONE, "").withSources(sources))
                .resolve(QUERY).block(Duration.ofSeconds(10));
    }

    @Test
    void aTableThatCannotAnswerSkipsTheServerRatherThanWeakenIt_TLS31() {
        List<String> asked = new ArrayList<>();
        LookupTable quiet = key -> {
            asked.add(key);
            return Optional.empty();
        };
        LookupTable down = key -> {
            throw new IllegalStateException("socketmap service unavailable");
        };
        // the failing table is second: the first has no answer for the full key, so the second is asked
        TlsDecision d = resolve(new TableList(List.of(quiet, down)));
        TlsDecision.Skip skip = assertInstanceOf(TlsDecision.Skip.class, d);
        assertEquals("4.7.5", skip.status());
        assertEquals("client TLS configuration problem", skip.reason());
        assertTrue(skip.warning().contains("socketmap service unavailable") && skip.warning().contains("sub.dest.test"),
                skip.warning());
        assertEquals(List.of("sub.dest.test"), asked);
    }

    @Test
    void keysAreTheNexthopCaseFoldedThenDotParentsOnlyForPlainNames_TLS3_TLS31() {
        assertEquals(List.of("a.b.example", ".b.example", ".example"), TlsPolicyResolver.policyKeys("A.b.Example"));
        assertEquals(List.of("[a.b.example]"), TlsPolicyResolver.policyKeys("[a.b.example]"));
        assertEquals(List.of("a.b.example:587"), TlsPolicyResolver.policyKeys("a.b.example:587"));
        assertEquals(List.of("192.0.2.1"), TlsPolicyResolver.policyKeys("192.0.2.1"));
        assertEquals(List.of("localhost"), TlsPolicyResolver.policyKeys("localhost"));
        List<String> asked = new ArrayList<>();
        resolve(key -> {
            asked.add(key);
            return Optional.empty();
        });
        assertEquals(List.of("sub.dest.test", ".dest.test", ".test"), asked);
    }
}
