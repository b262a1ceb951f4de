package io.postilion.dns.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DestinationParserTest {

    private final DestinationParser smtp = DestinationParser.smtp();
    private final DestinationParser lmtp = DestinationParser.lmtp();

    private InetDestination inet(DestinationParser p, String item) {
        return assertInstanceOf(InetDestination.class, p.parseItem(item), item);
    }

    private BadDestination bad(DestinationParser p, String item) {
        BadDestination b = assertInstanceOf(BadDestination.class, p.parseItem(item), item);
        assertEquals("4.3.5", b.status());
        assertEquals(item, b.nexthop());
        return b;
    }

    @Test
    void domainDefaultsToSmtpPortAndAllowsMx_DEST4_DEST8() {
        InetDestination d = inet(smtp, "example.com");
        assertEquals("example.com", d.host());
        assertEquals(25, d.port());
        assertEquals("smtp", d.service());
        assertFalse(d.bracketed());
        assertTrue(d.literal().isEmpty());
    }

    @Test
    void numericServiceKeepsMx_DEST6() {
        InetDestination d = inet(smtp, "example.com:587");
        assertEquals(587, d.port());
        assertFalse(d.bracketed());
        assertEquals("587", d.service());
    }

    @Test
    void symbolicServiceViaKnownTcpPorts_DEST7() {
        assertEquals(587, inet(smtp, "example.com:submission").port());
        assertEquals(465, inet(smtp, "example.com:smtps").port());
        assertEquals(465, inet(smtp, "example.com:submissions").port());
        assertEquals(24, inet(smtp, "example.com:lmtp").port());
        assertEquals(25, inet(smtp, "example.com:smtp").port());
    }

    @Test
    void knownTcpPortsIsConfigurable_DEST7() {
        DestinationParser p = new DestinationParser(DeliveryProtocol.SMTP, KnownTcpPorts.parse("smtp=2525, foo=bar=99"),
                "smtp", true, false);
        assertEquals(2525, inet(p, "example.com").port());
        assertEquals(99, inet(p, "example.com:bar").port());
    }

    @Test
    void systemServicesDatabaseIsSecondChoice_DEST7(@TempDir Path dir) throws IOException {
        Path services = dir.resolve("services");
        Files.writeString(services, "# comment\nmyproto 4025/tcp myalias # x\nudponly 9/udp\nsubmission 1587/tcp\n");
        DestinationParser p = new DestinationParser(DeliveryProtocol.SMTP,
                KnownTcpPorts.defaults().withServicesFile(services), "smtp", true, false);
        assertEquals(4025, inet(p, "h.example:myproto").port());
        assertEquals(4025, inet(p, "h.example:myalias").port());
        assertEquals(587, inet(p, "h.example:submission").port(), "known_tcp_ports wins");
        bad(p, "h.example:udponly");
    }

    @Test
    void bracketsSuppressMx_DEST3_DEST10() {
        InetDestination d = inet(smtp, "[mail.example.com]");
        assertTrue(d.bracketed());
        assertEquals("mail.example.com", d.host());
        assertEquals(25, d.port());
        assertEquals("[mail.example.com]", d.nexthop());
    }

    @Test
    void emptyServiceMeansDefault_DEST3() {
        assertEquals(25, inet(smtp, "[mail.example.com]:").port());
        assertEquals(25, inet(smtp, "mail.example.com:").port());
    }

    @Test
    void bracketedLiteralWithPort_DEST3() {
        InetDestination d = inet(smtp, "[192.0.2.1]:2525");
        assertInstanceOf(Inet4Address.class, d.literal().orElseThrow());
        assertEquals(2525, d.port());
        assertEquals("[192.0.2.1]:2525", d.nexthop(), "verbatim key, DEST-15");
    }

    @Test
    void ipv6LiteralsNeedBrackets_DEST3_DEST4() {
        for (String s : List.of("[ipv6:2001:db8::1]:25", "[IPv6:2001:DB8::1]", "[2001:db8::1]")) {
            InetDestination d = inet(smtp, s);
            assertInstanceOf(Inet6Address.class, d.literal().orElseThrow(), s);
            assertEquals(25, d.port());
        }
        bad(smtp, "2001:db8::1");
    }

    @Test
    void badIpv6AfterPrefixIsDeferredNotBounced_DEST3_DEST9() {
        BadDestination b = bad(smtp, "[ipv6:not-an-address]");
        assertTrue(b.reason().contains("not-an-address"), b.reason());
        bad(smtp, "[ipv6:192.0.2.1]");
    }

    @Test
    void garbageAfterBracketAndMissingBracket_DEST3() {
        assertTrue(bad(smtp, "[host]x").reason().contains("garbage after \"]\""));
        assertTrue(bad(smtp, "[host").reason().contains("missing \"]\""));
    }

    @Test
    void numericServiceErrors_DEST6() {
        assertTrue(bad(smtp, "host:25x").reason().contains("garbage after numerical service \"25x\""));
        assertTrue(bad(smtp, "host:0").reason().contains("\"0\""));
        assertTrue(bad(smtp, "host:70000").reason().contains("\"70000\""));
        assertEquals(65535, inet(smtp, "host:65535").port());
    }

    @Test
    void unknownServiceIsAnError_DEST7() {
        assertTrue(bad(smtp, "host:nosuchservice").reason().contains("unknown service \"nosuchservice\""));
    }

    @Test
    void invalidHostNamesAreErrors_DEST5() {
        bad(smtp, "bad_host!.example");
        bad(smtp, "-lead.example");
        bad(smtp, "a..b");
        bad(smtp, ":25");
        bad(smtp, "[]");
    }

    @Test
    void unbracketedDottedQuadIsAccepted_DEST5() {
        InetDestination d = inet(smtp, "192.0.2.7:2525");
        assertFalse(d.bracketed());
        assertTrue(d.literal().isPresent());
    }

    @Test
    void listSplitsOnCommaAndWhitespace_DEST1() {
        DestinationList list = smtp.parse(" a.example, b.example\tc.example,,", "");
        assertTrue(list.isValid());
        assertEquals(List.of("a.example", "b.example", "c.example"),
                list.destinations().stream().map(d -> ((InetDestination) d).host()).toList());
        assertTrue(list.isLast(2));
    }

    @Test
    void emptyNexthopIsAnError_DEST1() {
        DestinationList list = smtp.parse(" , ", "");
        assertFalse(list.isValid());
        assertEquals("4.3.5", list.error().orElseThrow().status());
    }

    @Test
    void oneBadItemFailsTheList_DEST9() {
        DestinationList list = smtp.parse("a.example, [b.example", "");
        assertFalse(list.isValid());
        assertTrue(list.destinations().isEmpty());
        assertEquals("[b.example", list.error().orElseThrow().nexthop());
    }

    @Test
    void fallbackRelaysAppended_DEST2() {
        DestinationList list = smtp.parse("example.com", "[relay.example]:2525, second.example");
        assertEquals(3, list.destinations().size());
        InetDestination relay = (InetDestination) list.destinations().get(1);
        assertEquals("relay.example", relay.host());
        assertEquals(2525, relay.port());
        assertTrue(relay.fallbackRelay());
        assertFalse(list.destinations().get(0).fallbackRelay());
    }

    @Test
    void lmtpUnixSocket_DEST11() {
        DestinationList list = lmtp.parse("unix:/var/run/lmtp", "");
        UnixDestination u = assertInstanceOf(UnixDestination.class, list.destinations().get(0));
        assertEquals("/var/run/lmtp", u.path());
        assertEquals(1, list.destinations().size());
    }

    @Test
    void lmtpUnixPathIsNotSplit_DEST11() {
        UnixDestination u = (UnixDestination) lmtp.parse("unix:/tmp/a b,c", "").destinations().get(0);
        assertEquals("/tmp/a b,c", u.path());
    }

    @Test
    void lmtpUnixIgnoresFallbackWithWarning_DEST2() {
        DestinationList list = lmtp.parse("unix:/var/run/lmtp", "[relay.example]");
        assertEquals(1, list.destinations().size());
        assertEquals(1, list.warnings().size());
        assertTrue(list.warnings().get(0).contains("fallback"));
    }

    @Test
    void lmtpUnixPathTooLong_DEST14() {
        DestinationList list = lmtp.parse("unix:/" + "x".repeat(200), "");
        assertFalse(list.isValid());
        assertEquals("4.3.5", list.error().orElseThrow().status());
        assertEquals("Server configuration error", list.error().orElseThrow().reason());
        assertEquals(List.of("unix-domain name too long: /" + "x".repeat(200)), list.warnings());
    }

    @Test
    void lmtpInetDefaultsToPort24_DEST8_DEST11() {
        InetDestination d = (InetDestination) lmtp.parse("inet:mx.example", "").destinations().get(0);
        assertEquals(24, d.port());
        assertEquals("mx.example", d.nexthop(), "prefix is not part of the key, DEST-15");
        InetDestination d2 = (InetDestination) lmtp.parse("inet:[10.0.0.1]:2003", "").destinations().get(0);
        assertEquals(2003, d2.port());
        assertTrue(d2.bracketed());
    }

    @Test
    void lmtpInetPrefixStrippedOnlyOnce_DEST11() {
        DestinationList list = lmtp.parse("inet:a.example, inet:b", "");
        assertFalse(list.isValid());
        assertTrue(list.error().orElseThrow().reason().contains("unknown service \"b\""));
    }

    @Test
    void smtpHasNoPrefixes_DEST12() {
        BadDestination b = bad(smtp, "unix:/var/run/lmtp");
        assertTrue(b.reason().contains("/var/run/lmtp"), b.reason());
        InetDestination d = inet(smtp, "inet:smtp");
        assertEquals("inet", d.host());
        assertEquals(25, d.port());
    }

    @Test
    void port465GivesWrapperModeHint_DEST13() {
        DestinationList list = smtp.parse("[mail.example]:465", "");
        assertTrue(list.isValid());
        assertTrue(list.warnings().stream().anyMatch(w -> w.contains("wrappermode")));
    }

    @Test
    void verbatimItemIsTheLookupKey_DEST15() {
        assertEquals("[Mail.Example]:587", inet(smtp, "[Mail.Example]:587").nexthop());
        assertEquals("Mail.Example", inet(smtp, "[Mail.Example]:587").host());
    }

    @Test
    void nonAsciiDomainQueriedAsALabel_DEST16() {
        InetDestination d = inet(smtp, "bücher.example");
        assertEquals("bücher.example", d.host());
        assertEquals("xn--bcher-kva.example", d.queryName());
        DestinationParser noUtf8 = new DestinationParser(DeliveryProtocol.SMTP, KnownTcpPorts.defaults(), "smtp", false, false);
        bad(noUtf8, "bücher.example");
    }
}
