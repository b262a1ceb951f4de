package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListenerConfigurationTest {

    private static ListenerSettings load(String mainCf) {
        return ListenerConfiguration.settings(ConfigurationLoader.fromText(mainCf, "main.cf", List.of()));
    }

    @Test
    void theDefaultsArePostfixsAndTheRelaysOwnPort() throws Exception {
        ListenerSettings s = load("myhostname = relay.example.test\n");
        assertEquals("127.0.0.1", s.bind().getHostString());
        assertEquals(2525, s.bind().getPort());
        assertEquals("relay.example.test ESMTP Postilion", s.banner());
        assertEquals(10_240_000, s.messageSizeLimit());
        assertEquals(1000, s.recipientLimit());
        assertEquals(BareNewlinePolicy.NORMALIZE, s.bareNewline());
        assertEquals(100, s.sessionLimit());
        assertTrue(s.mynetworks().contains(InetAddress.getByName("127.0.0.1")));
        assertTrue(!s.mynetworks().contains(InetAddress.getByName("192.0.2.1")));
        assertNull(s.tls(), "no certificate, no STARTTLS");
    }

    @Test
    void badValuesStopStartUpNamingTheParameter() {
        var listen = assertThrows(ConfigurationException.class, () -> load("smtpd_listen = localhost:25x\n"));
        assertTrue(listen.getMessage().contains("smtpd_listen"), listen.getMessage());
        var nets = assertThrows(ConfigurationException.class, () -> load("mynetworks = 10.0.0.0/8, example.com\n"));
        assertTrue(nets.getMessage().contains("mynetworks") && nets.getMessage().contains("example.com"), nets.getMessage());
        var cert = assertThrows(ConfigurationException.class, () -> load("smtpd_tls_cert_file = /nonexistent/cert.pem\n"));
        assertTrue(cert.getMessage().contains("smtpd_tls_cert_file"), cert.getMessage());
    }

    @Test
    void ipv6ListenAddressesTakeBrackets() {
        ListenerSettings s = load("smtpd_listen = [::1]:2599\n");
        assertEquals(2599, s.bind().getPort());
        assertTrue(s.bind().getAddress().isLoopbackAddress());
    }
}
