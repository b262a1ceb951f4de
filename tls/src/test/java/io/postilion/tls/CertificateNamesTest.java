package io.postilion.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TLS-7's name rules one by one, as OpenSSL's host check applies them for Postfix (partial
 * wildcards off). The agent-level tests (ClientTlsVerifyTest) show them deciding deliveries.
 */
class CertificateNamesTest {

    @Test
    void matchListEntriesResolveForOneServer() {
        CertificateNames n = CertificateNames.resolve(List.of("hostname", "nexthop, dot-nexthop", "Literal.Test:.Under.Test", "."),
                "mx.provider.test", "dest.test");
        assertEquals(List.of("mx.provider.test", "dest.test", ".dest.test", "literal.test", ".under.test"), n.references());
    }

    @Test
    void nonAsciiReferencesBecomeALabels() {
        assertEquals(List.of("xn--bcher-kva.test", ".xn--bcher-kva.test"),
                CertificateNames.resolve(List.of("nexthop", "dot-nexthop"), "h", "bücher.test").references());
    }

    @Test
    void exactNamesAndWholeLabelWildcards() {
        assertTrue(CertificateNames.matches("mx1.dest.test", "mx1.dest.test"));
        assertTrue(CertificateNames.matches("*.dest.test", "mx1.dest.test"));
        assertFalse(CertificateNames.matches("*.dest.test", "a.b.dest.test"), "one label only");
        assertFalse(CertificateNames.matches("*.dest.test", "dest.test"), "the star covers a non-empty label");
        assertFalse(CertificateNames.matches("*.test", "dest.test"), "a wildcard needs two labels after it");
        assertFalse(CertificateNames.matches("mx*.dest.test", "mx1.dest.test"), "partial wildcards are text");
        assertFalse(CertificateNames.matches("f*o.dest.test", "foo.dest.test"));
    }

    @Test
    void dotReferencesTakeAnyLongerNameUnderTheDomain() {
        assertTrue(CertificateNames.matches("mx.dest.test", ".dest.test"));
        assertTrue(CertificateNames.matches("a.b.dest.test", ".dest.test"));
        assertTrue(CertificateNames.matches("*.dest.test", ".dest.test"), "OpenSSL compares the suffix as text");
        assertFalse(CertificateNames.matches("dest.test", ".dest.test"), "a proper subdomain only");
        assertFalse(CertificateNames.matches("xdest.test", ".dest.test"));
    }

    @Test
    void anEmptyListMatchesNothing() {
        assertTrue(CertificateNames.resolve(List.of(" ", "."), "h.test", "n.test").references().isEmpty());
    }
}
