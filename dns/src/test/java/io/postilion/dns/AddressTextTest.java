package io.postilion.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The one address formatter: glibc inet_ntop's text, which Postfix logs. */
class AddressTextTest {

    private static String text(String literal) throws Exception {
        return AddressText.of(InetAddress.getByName(literal));
    }

    @Test
    void ipv6IsCompressedAsInetNtopWritesIt() throws Exception {
        assertEquals("::1", text("0:0:0:0:0:0:0:1"));
        assertEquals("::", text("0:0:0:0:0:0:0:0"));
        assertEquals("2001:db8::25", text("2001:0DB8:0:0:0:0:0:25"));
        assertEquals("2001:db8:0:1:1:1:1:1", text("2001:db8:0:1:1:1:1:1"), "a single zero group stays");
        assertEquals("2001:0:0:1::1", text("2001:0:0:1:0:0:0:1"), "the longest run is compressed");
        assertEquals("2001::1:0:0:1", text("2001:0:0:0:1:0:0:1"),
                "the first of equal runs");
        assertEquals("192.0.2.1", text("192.0.2.1"));
    }

    @Test
    void embeddedIpv4IsDotted() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = (byte) 192;
        mapped[15] = 1;
        assertEquals("::ffff:192.0.0.1", AddressText.of(Inet6Address.getByAddress(null, mapped, -1)));
    }
}
