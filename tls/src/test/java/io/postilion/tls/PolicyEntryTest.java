package io.postilion.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * TLS-4's entry syntax, value by value: what a table may say and what makes a policy invalid.
 * The agent-driven consequences (4.7.5, the warnings in the log) are in the engine's
 * TlsPolicyTableTest.
 */
class PolicyEntryTest {

    private static PolicyEntry parse(String v) throws Exception {
        return PolicyEntry.parse(v);
    }

    private static String invalid(String v) {
        return assertThrows(PolicyEntry.InvalidPolicyException.class, () -> PolicyEntry.parse(v)).getMessage();
    }

    @Test
    void attributesAreSeparatedByBlanksOrCommasAndNamesAreCaseInsensitive_TLS4() throws Exception {
        PolicyEntry e = parse("  Secure  MATCH=.example.com:nexthop,servername=hostname\tConnection_Reuse=Yes ");
        assertEquals(TlsLevel.SECURE, e.level());
        assertEquals(List.of(".example.com", "nexthop"), e.match(), "split at ':' for secure");
        assertEquals(Optional.of("hostname"), e.serverName());
        assertEquals(Optional.of(true), e.connectionReuse());
    }

    @Test
    void aBracedAttributeMayHoldBlanksAndCommasNormalised_TLS4() throws Exception {
        PolicyEntry e = parse("encrypt { protocols = >=TLSv1.2 , !SSLv3 }  {ciphers=high}");
        assertEquals(Optional.of(">=TLSv1.2 , !SSLv3"), e.protocols());
        assertEquals(Optional.of("high"), e.ciphers());
        assertTrue(invalid("encrypt { protocols = x").contains("missing '}'"));
    }

    @Test
    void fingerprintMatchValuesSplitAtBarAndRepeat_TLS4_TLS28() throws Exception {
        PolicyEntry e = parse("fingerprint match=AA:BB|cc match=DD");
        assertEquals(List.of("AA:BB", "cc", "DD"), e.match(), "colons stay inside a fingerprint");
    }

    @Test
    void levelNoneIgnoresEveryAttributeWithOneWarningEach_TLS4() throws Exception {
        PolicyEntry e = parse("none ciphers=high bogus");
        assertEquals(TlsLevel.NONE, e.level());
        assertEquals(2, e.warnings().size(), e.warnings().toString());
        assertTrue(e.warnings().get(0).contains("ciphers=high"), e.warnings().toString());
        assertEquals(Optional.empty(), e.ciphers());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "halfdane", "strong", "encrypt match=x", "may match=x", "fingerprint tafile=/x",
        "encrypt tafile=/x", "verify tafile=", "verify match=", "encrypt ciphers=", "encrypt servername=",
        "encrypt servername=bad..name", "encrypt ciphers=high ciphers=low", "encrypt protocols= protocols=",
        "encrypt exclude=a exclude=b", "encrypt servername=a servername=b", "encrypt nonsense",
        "encrypt unknown=1", "encrypt connection_reuse=maybe", "encrypt enable_rpk=1", "encrypt =x",
        "secure policy_domain=example.com", "secure mx_host_pattern=*.example.com", "secure policy_ttl=1",
        "secure policy_string=x", "secure policy_failure=sts-policy-invalid", "secure policy_type=other",
        "secure policy_type=sts policy_type=sts", "secure policy_type=sts policy_ttl=1h",
        "secure policy_type=sts policy_failure=whatever", "secure policy_type=sts policy_domain=a policy_domain=b",
        "{encrypt}", "fingerprint match=|", "verify match=::"})
    void invalidEntries_TLS4(String value) {
        invalid(value);
    }

    @Test
    void protocolsMayBeEmptyAndRepeatableAttributesAccumulate_TLS4() throws Exception {
        PolicyEntry e = parse("verify protocols= tafile=/a tafile=/b enable_rpk=no enable_rpk=YES"
                + " policy_type=sts policy_domain=example.com policy_ttl=86400 policy_string=version:STSv1"
                + " policy_string=mode:enforce mx_host_pattern=mx.example.com mx_host_pattern=*.example.net"
                + " policy_failure=validation-failure");
        assertEquals(Optional.of(""), e.protocols());
        assertEquals(List.of("/a", "/b"), e.trustAnchorFiles());
        assertEquals(Optional.of(true), e.enableRpk(), "the last one wins");
        assertTrue(e.sts());
        assertEquals(List.of("mx.example.com", "*.example.net"), e.mxHostPatterns());
        assertEquals(List.of("version:STSv1", "mode:enforce"), e.policyStrings());
        assertEquals(Optional.of("validation-failure"), e.policyFailure());
        assertEquals(Optional.of("86400"), e.policyTtl());
    }

    @Test
    void daneLevelsAreEntriesTheResolverHandsToDane_TLS4() throws Exception {
        assertEquals(TlsLevel.DANE, parse("dane").level());
        assertEquals(TlsLevel.DANE_ONLY, parse("DANE-ONLY").level());
    }
}
