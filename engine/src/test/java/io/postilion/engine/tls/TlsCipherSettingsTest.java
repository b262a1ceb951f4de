package io.postilion.engine.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.postilion.tls.CipherGrade;
import io.postilion.tls.TlsCipherPolicy;
import io.postilion.tls.TlsLevel;
import io.postilion.tls.TlsProtocols;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TLS-6's choice of set per level and the policy table's overrides, as the policy-table code will
 * hand them to {@link TlsPolicyResolver#context(TlsLevel, String, String, String)}.
 */
class TlsCipherSettingsTest {

    private static final TlsCipherSettings MAIN_CF = new TlsCipherSettings(
            new TlsCipherPolicy(TlsProtocols.parse("<=TLSv1.2", TlsProtocols.Syntax.MAIN_CF), CipherGrade.MEDIUM, List.of("kRSA")),
            new TlsCipherPolicy(TlsProtocols.parse(">=TLSv1.2", TlsProtocols.Syntax.MAIN_CF), CipherGrade.HIGH,
                    List.of("kRSA", "SHA1")));

    @Test
    void eachLevelTakesItsSetAndTheForcedExclusions_TLS6() {
        TlsCipherPolicy may = MAIN_CF.forLevel(TlsLevel.MAY);
        assertEquals(List.of("TLSv1", "TLSv1.1", "TLSv1.2"), may.protocols().versions());
        assertEquals(List.of("kRSA"), may.exclusions(), "may authenticates nothing: nothing forced");
        TlsCipherPolicy encrypt = MAIN_CF.forLevel(TlsLevel.ENCRYPT);
        assertEquals(CipherGrade.HIGH, encrypt.grade());
        assertEquals(List.of("kRSA", "SHA1", "eNULL"), encrypt.exclusions());
        assertEquals(List.of("kRSA", "SHA1", "aNULL"), MAIN_CF.forLevel(TlsLevel.VERIFY).exclusions());
    }

    @Test
    void aPolicyEntryOverridesAttributeByAttributeAndExcludeReplacesBothLists_TLS6() {
        TlsCipherPolicy p = MAIN_CF.forLevel(TlsLevel.SECURE, "TLSv1.3", null, "AES128:CHACHA20");
        assertEquals(List.of("TLSv1.3"), p.protocols().versions());
        assertEquals(CipherGrade.HIGH, p.grade(), "no ciphers= keeps main.cf's mandatory grade");
        assertEquals(List.of("AES128", "CHACHA20", "aNULL"), p.exclusions());
        assertEquals(CipherGrade.MEDIUM, MAIN_CF.forLevel(TlsLevel.MAY, null, "low", null).grade());
        assertSame(MAIN_CF.forLevel(TlsLevel.MAY).protocols(), MAIN_CF.forLevel(TlsLevel.MAY, null, null, null).protocols());
    }

    @Test
    void invalidAttributesAreRefusedWithTheReason_TLS26_TLS27() {
        assertThrows(IllegalArgumentException.class, () -> MAIN_CF.forLevel(TlsLevel.ENCRYPT, "TLSv1.2,TLSv1.3", null, null),
                "a policy table separates protocols by colon only");
        assertThrows(IllegalArgumentException.class, () -> MAIN_CF.forLevel(TlsLevel.ENCRYPT, null, "strong", null));
        TlsPolicyResolver resolver = new TlsPolicyResolver(TlsPolicySettings.NONE);
        assertThrows(IllegalArgumentException.class, () -> resolver.context(TlsLevel.ENCRYPT, null, "null", null));
        assertThrows(IllegalArgumentException.class, () -> resolver.context(TlsLevel.ENCRYPT, null, null, "NOSUCH"));
        assertSame(resolver.context(TlsLevel.ENCRYPT, "TLSv1.2:TLSv1.3", "high", null),
                resolver.context(TlsLevel.ENCRYPT, ">=TLSv1.2", "high", ""), "one context per distinct set");
    }
}
