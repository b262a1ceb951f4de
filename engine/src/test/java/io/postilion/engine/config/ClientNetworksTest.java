package io.postilion.engine.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientNetworksTest {

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void postfixsDefaultMynetworksCoverLoopbackOnly() throws Exception {
        ClientNetworks n = ClientNetworks.parse(List.of("127.0.0.0/8", "[::1]/128"));
        assertTrue(n.contains(ip("127.0.0.1")));
        assertTrue(n.contains(ip("127.255.0.9")));
        assertTrue(n.contains(ip("::1")));
        assertFalse(n.contains(ip("128.0.0.1")));
        assertFalse(n.contains(ip("::2")));
        assertFalse(n.contains(ip("10.0.0.1")));
    }

    @Test
    void prefixesThatAreNotWholeBytesMatchBitByBit() throws Exception {
        ClientNetworks n = ClientNetworks.parse(List.of("192.168.4.0/22", "2001:db8::/33"));
        assertTrue(n.contains(ip("192.168.7.255")));
        assertFalse(n.contains(ip("192.168.8.0")));
        assertTrue(n.contains(ip("2001:db8:7fff::1")));
        assertFalse(n.contains(ip("2001:db8:8000::1")));
    }

    @Test
    void aSingleAddressIsAHostBlock() throws Exception {
        ClientNetworks n = ClientNetworks.parse(List.of("127.0.0.1"));
        assertTrue(n.contains(ip("127.0.0.1")));
        assertFalse(n.contains(ip("127.0.0.2")));
    }

    @Test
    void namesAndBadPrefixesAreRefusedByName() {
        var name = assertThrows(IllegalArgumentException.class, () -> ClientNetworks.parse(List.of("example.com")));
        assertTrue(name.getMessage().contains("'example.com'"));
        assertThrows(IllegalArgumentException.class, () -> ClientNetworks.parse(List.of("10.0.0.0/33")));
        assertThrows(IllegalArgumentException.class, () -> ClientNetworks.parse(List.of("10.0.0.0/x")));
    }
}
