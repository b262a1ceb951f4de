package io.postilion.engine.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.ServerRrset;
import io.postilion.dns.Target;
import io.postilion.tls.DaneDigests;
import io.postilion.tls.ServerVerification;
import io.postilion.tls.TlsLevel;
import java.net.InetAddress;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * TLS-8's preconditions in TlsPolicyResolver's DANE step, where no DNS is needed: the warnings
 * Postfix's dane_init gives (naming the next hop), may for dane and the configuration problem for
 * dane-only, and a UNIX-domain socket. The agent-level behaviour is in DaneTest.
 */
class DaneStepTest {

    private static TlsPolicyResolver resolver(TlsLevel level, DaneSettings.Incompatibility why) {
        return new TlsPolicyResolver(new TlsPolicySettings(level, false, ServerVerification.NONE, "")
                .withDane(new DaneSettings(why, TlsLevel.DANE, false, DaneDigests.DEFAULT)));
    }

    private static TlsPolicyQuery query() throws Exception {
        Target t = new Target("mx.dest.test", InetAddress.getByName("127.0.0.2"), 25, 10, true);
        return new TlsPolicyQuery("dest.test", "dest.test", "mx.dest.test", 25, false, t, new ServerRrset(true, "dest.test"));
    }

    private static TlsDecision decide(TlsPolicyResolver r, TlsPolicyQuery q) {
        return r.resolve(q).block(Duration.ofSeconds(5));
    }

    @Test
    void eachIncompatibleLookupSettingIsAWarningNamingTheNexthopAndDaneBecomesMay_TLS8() throws Exception {
        String[] expected = {"dest.test: dane configured with dnssec lookups disabled",
            "dest.test: dane configured with MX lookup errors ignored",
            "dest.test: dns resolver options incompatible with dane TLS"};
        DaneSettings.Incompatibility[] whys = {DaneSettings.Incompatibility.DNSSEC_OFF,
            DaneSettings.Incompatibility.MX_ERRORS_IGNORED, DaneSettings.Incompatibility.RESOLVER_OPTIONS};
        for (int i = 0; i < whys.length; i++) {
            TlsDecision.Use use = (TlsDecision.Use) decide(resolver(TlsLevel.DANE, whys[i]), query());
            assertEquals(TlsLevel.MAY, use.policy().level());
            assertEquals(List.of(expected[i]), use.warnings());
        }
    }

    @Test
    void daneOnlyWithIncompatibleSettingsIsAConfigurationProblem_TLS8() throws Exception {
        TlsDecision.Skip skip = (TlsDecision.Skip) decide(resolver(TlsLevel.DANE_ONLY,
                DaneSettings.Incompatibility.DNSSEC_OFF), query());
        assertEquals("4.7.5", skip.status());
        assertEquals("client TLS configuration problem", skip.reason());
        assertEquals("dest.test: dane-only configured with dnssec lookups disabled", skip.warning());
    }

    @Test
    void aUnixSocketIsInvalidAtBothLevels_TLS8() {
        TlsPolicyQuery socket = new TlsPolicyQuery("unix:/run/lmtp", "client.test", "client.test", 0, true);
        for (TlsLevel level : new TlsLevel[] {TlsLevel.DANE, TlsLevel.DANE_ONLY}) {
            TlsDecision.Skip skip = (TlsDecision.Skip) decide(resolver(level, DaneSettings.Incompatibility.NONE), socket);
            assertEquals("client TLS configuration problem", skip.reason());
            assertTrue(skip.warning().contains("invalid for delivery via unix-domain sockets"), skip.warning());
        }
    }

    @Test
    void withoutATlsaSourceASecureServerIsSkippedNeverWeakened_TLS8() throws Exception {
        TlsDecision.Skip skip = (TlsDecision.Skip) decide(resolver(TlsLevel.DANE, DaneSettings.Incompatibility.NONE), query());
        assertEquals("TLSA lookup error for mx.dest.test:25", skip.reason());
        assertNull(skip.warning());
    }
}
