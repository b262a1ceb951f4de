package io.postilion.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.OpenSsl;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** TLS-26's list syntax and TLS-27's grades on the library's real suite list; contexts cached per set. */
class TlsProtocolsTest {

    private static List<String> v(String value) {
        return TlsProtocols.parse(value, TlsProtocols.Syntax.MAIN_CF).versions();
    }

    @Test
    void everyFormOfTheSyntax_TLS26() {
        assertEquals(TlsProtocols.SUPPORTED, v(">=TLSv1"));
        assertEquals(TlsProtocols.SUPPORTED, v(""));
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), v(">=TLSv1.2"));
        assertEquals(List.of("TLSv1", "TLSv1.1", "TLSv1.2"), v("<=TLSv1.2"));
        assertEquals(List.of("TLSv1.2"), v(">=0x0303 <=0303"));
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), v("!SSLv2, !SSLv3:!TLSv1 !TLSv1.1"));
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), v("tlsv1.2:TLSV1.3"), "names are case-insensitive");
        assertEquals(List.of("TLSv1.3"), v(">=SSLv3 >=TLSv1.3"), "the tighter bound wins");
    }

    @Test
    void sslv3IsKnownButNeverOffered_TLS26() {
        TlsProtocols p = TlsProtocols.parse("SSLv3 TLSv1", TlsProtocols.Syntax.MAIN_CF);
        assertEquals(List.of("TLSv1"), p.versions());
        assertEquals(Set.of("SSLv3"), p.unsupported());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v("SSLv3"));
        assertTrue(e.getMessage().contains("SSLv3 is not supported"), e.getMessage());
    }

    @Test
    void invalidListsAreRefusedWithTheReason_TLS26() {
        for (String bad : new String[] {"TLSv1.4", ">= TLSv1.2", ">=", "<=0x", "!", ">=0x12345", "TLSv1 TLSv1.2", "<=SSLv3",
            ">=TLSv1.3 <=TLSv1.2"}) {
            assertThrows(IllegalArgumentException.class, () -> v(bad), bad);
        }
    }

    @Test
    void aPolicyTableSeparatesByColonOnly_TLS26() {
        assertEquals(List.of("TLSv1.2", "TLSv1.3"),
                TlsProtocols.parse("!TLSv1:!TLSv1.1", TlsProtocols.Syntax.POLICY_TABLE).versions());
        assertThrows(IllegalArgumentException.class,
                () -> TlsProtocols.parse("!TLSv1,!TLSv1.1", TlsProtocols.Syntax.POLICY_TABLE));
    }

    @Test
    void gradesPutForwardSecretAeadFirstAndHaveNoNull_TLS27() {
        List<String> available = List.copyOf(OpenSsl.availableOpenSslCipherSuites());
        List<String> medium = TlsCipherPolicy.DEFAULT.suites(available);
        assertTrue(medium.get(0).startsWith("ECDHE-") && medium.get(0).contains("GCM"), medium.toString());
        int firstCbc = medium.indexOf("ECDHE-ECDSA-AES256-SHA");
        int lastAead = Math.max(medium.indexOf("ECDHE-RSA-CHACHA20-POLY1305"), medium.indexOf("ECDHE-RSA-AES128-GCM-SHA256"));
        assertTrue(lastAead < firstCbc, medium.toString());
        assertTrue(medium.indexOf("ECDHE-RSA-AES128-SHA") < medium.indexOf("AES128-GCM-SHA256"), "forward secrecy first");
        assertTrue(medium.stream().noneMatch(s -> s.contains("PSK")), medium.toString());
        assertEquals(CipherGrade.MEDIUM, CipherGrade.parse("low"));
        assertEquals(CipherGrade.MEDIUM, CipherGrade.parse("EXPORT"));
        assertThrows(IllegalArgumentException.class, () -> CipherSuites.clientGrade(CipherGrade.NULL, available));
        assertThrows(IllegalArgumentException.class, () -> CipherGrade.parse("strong"));
        List<String> noRsa = new TlsCipherPolicy(TlsProtocols.ALL, CipherGrade.HIGH, List.of("kRSA", "aNULL", "eNULL"))
                .suites(available);
        assertTrue(noRsa.stream().allMatch(s -> s.startsWith("ECDHE-")), noRsa.toString());
    }

    @Test
    void oneContextPerDistinctSet_TLS6() {
        TlsCipherPolicy a = new TlsCipherPolicy(TlsProtocols.parse(">=TLSv1.2", TlsProtocols.Syntax.MAIN_CF),
                CipherGrade.HIGH, List.of("aNULL"));
        TlsCipherPolicy same = new TlsCipherPolicy(TlsProtocols.parse("TLSv1.2:TLSv1.3", TlsProtocols.Syntax.MAIN_CF),
                CipherGrade.HIGH, List.of("aNULL"));
        assertSame(ClientTlsContexts.forPolicy(a), ClientTlsContexts.forPolicy(same));
        assertNotSame(ClientTlsContexts.forPolicy(a), ClientTlsContexts.forPolicy(TlsCipherPolicy.DEFAULT));
    }
}
