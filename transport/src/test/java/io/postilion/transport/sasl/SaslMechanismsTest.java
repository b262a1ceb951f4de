package io.postilion.transport.sasl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The mechanisms against their RFCs' worked examples, and SASL-13's choice. The exchanges on the
 * wire, and against a real Cyrus server, are ClientSaslTest's and SaslInteropTest's.
 */
class SaslMechanismsTest {

    private static final SaslCredentials USER_PENCIL = new SaslCredentials("user", "pencil", false);

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void scramSha256FollowsRfc7677sExampleAndVerifiesTheServer_SASL13() throws Exception {
        ScramMechanism m = new ScramMechanism("SCRAM-SHA-256", USER_PENCIL, () -> "rOprNGfwEbeRWgbNEkqO");
        assertEquals("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", text(m.initialResponse().orElseThrow()));
        byte[] fin = m.evaluate(ascii("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
        assertEquals("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                text(fin));
        assertFalse(m.complete(), "no 235 is believed before the server's signature");
        assertArrayEquals(new byte[0], m.evaluate(ascii("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")));
        assertTrue(m.complete());
    }

    @Test
    void scramSha1FollowsRfc5802sExampleAndAFalseSignatureIsAFailure_SASL13() throws Exception {
        ScramMechanism m = new ScramMechanism("SCRAM-SHA-1", USER_PENCIL, () -> "fyko+d2lbbFgONRv9qkxdawL");
        assertEquals("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", text(m.initialResponse().orElseThrow()));
        byte[] fin = m.evaluate(ascii("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"));
        assertEquals("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", text(fin));
        assertThrows(SaslException.class, () -> m.evaluate(ascii("v=smF9pqV8S7suAoZWja4dJRkFsKQ=")));
        assertFalse(m.complete());
    }

    @Test
    void scramSendsTheAuthzidInTheGs2HeaderOnlyWhenAsked_SASL13() throws Exception {
        ScramMechanism m = new ScramMechanism("SCRAM-SHA-256", new SaslCredentials("user", "pencil", true), () -> "abc");
        assertEquals("n,a=user,n=user,r=abc", text(m.initialResponse().orElseThrow()));
    }

    @Test
    void cramMd5AnswersRfc2195sExample_SASL13() throws Exception {
        SaslMechanism m = SaslMechanisms.start("CRAM-MD5", new SaslCredentials("tim", "tanstaaftanstaaf", false));
        assertEquals(Optional.empty(), m.initialResponse());
        assertEquals("tim b913a602c7eda7a495b4e6e7334d3890",
                text(m.evaluate(ascii("<1896.697170952@postoffice.reston.mci.net>"))));
    }

    @Test
    void plainAndLoginEncodeAsSasl13Says() throws Exception {
        SaslCredentials c = new SaslCredentials("user", "se:cret", false);
        assertEquals("\0user\0se:cret", text(SaslMechanisms.start("PLAIN", c).initialResponse().orElseThrow()));
        SaslMechanism login = SaslMechanisms.start("LOGIN", c);
        assertEquals(Optional.empty(), login.initialResponse());
        assertEquals("user", text(login.evaluate(ascii("whatever"))));
        assertEquals("se:cret", text(login.evaluate(ascii(""))));
        assertThrows(SaslException.class, () -> login.evaluate(ascii("third")));
    }

    @Test
    void theChoicePrefersScramThenCramThenPlainThenLoginWhateverTheServersOrder_SASL13() {
        Set<SaslSecurityOption> none = Set.of();
        List<String> all = List.of("login", "PLAIN", "cram-md5", "SCRAM-SHA-1", "scram-sha-256", "XOAUTH2");
        assertEquals(Optional.of("SCRAM-SHA-256"), SaslMechanisms.choose(all, none, false));
        assertEquals(Optional.of("SCRAM-SHA-1"), SaslMechanisms.choose(all.subList(0, 4), none, false));
        assertEquals(Optional.of("CRAM-MD5"), SaslMechanisms.choose(all.subList(0, 3), none, false));
        assertEquals(Optional.of("PLAIN"), SaslMechanisms.choose(all.subList(0, 2), none, false));
        assertEquals(Optional.of("XOAUTH2"), SaslMechanisms.choose(all, none, true), "when the filter names it");
        assertEquals(Optional.empty(), SaslMechanisms.choose(List.of("XOAUTH2", "GSSAPI"), none, false));
    }

    @Test
    void securityOptionsRuleMechanismsOutAsCyrusPluginsDeclare_SASL4_SASL13() {
        List<String> all = List.of("LOGIN", "PLAIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256");
        assertEquals(Optional.of("CRAM-MD5"), SaslMechanisms.choose(List.of("LOGIN", "PLAIN", "CRAM-MD5"),
                EnumSet.of(SaslSecurityOption.NOPLAINTEXT), false));
        assertEquals(Optional.empty(), SaslMechanisms.choose(List.of("LOGIN", "PLAIN", "CRAM-MD5"),
                EnumSet.of(SaslSecurityOption.NOACTIVE), false));
        assertEquals(Optional.of("SCRAM-SHA-256"), SaslMechanisms.choose(all, EnumSet.of(SaslSecurityOption.MUTUAL_AUTH), false));
        assertEquals(Optional.empty(), SaslMechanisms.choose(all, EnumSet.of(SaslSecurityOption.NODICTIONARY), false));
        assertEquals(Optional.empty(), SaslMechanisms.choose(all, EnumSet.of(SaslSecurityOption.FORWARD_SECRECY), false));
        assertEquals(Optional.empty(), SaslMechanisms.choose(List.of("XOAUTH2"), EnumSet.of(SaslSecurityOption.NOPLAINTEXT), true),
                "XOAUTH2 fails noplaintext like PLAIN (CLARIFICATIONS 42)");
        assertThrows(IllegalArgumentException.class, () -> SaslSecurityOption.parse(List.of("noplaintext", "nonsense")));
    }

    @Test
    void credentialsNeverShowThePassword() {
        assertFalse(new SaslCredentials("user", "hunter2", false).toString().contains("hunter2"));
    }
}
