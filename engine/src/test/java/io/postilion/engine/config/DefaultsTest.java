package io.postilion.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DefaultsTest {

    private final Configuration c = Configuration.defaults();

    @Test
    void timeoutDefaultsOfTheSpec() {
        assertEquals(Duration.ofSeconds(30), c.time("smtp_connect_timeout"));
        assertEquals(Duration.ZERO, c.time("lmtp_connect_timeout"));
        assertEquals(Duration.ofSeconds(300), c.time("smtp_helo_timeout"));
        assertEquals(Duration.ofSeconds(300), c.time("lmtp_lhlo_timeout"));
        assertEquals(Duration.ofSeconds(600), c.time("smtp_data_done_timeout"));
        assertEquals(Duration.ofSeconds(120), c.time("smtp_data_init_timeout"));
        assertEquals(Duration.ofSeconds(180), c.time("smtp_data_xfer_timeout"));
        assertEquals(Duration.ofSeconds(20), c.time("smtp_rset_timeout"));
        assertEquals(Duration.ofSeconds(2), c.time("smtp_connection_cache_time_limit"));
        assertEquals(Duration.ofDays(90), c.time("smtp_sasl_auth_cache_time"));
        assertEquals(Duration.ofDays(5), c.time("maximal_queue_lifetime"));
    }

    @Test
    void sessionLimitDefaults() {
        assertEquals(2, c.integer("smtp_mx_session_limit"));
        assertEquals(5, c.integer("smtp_mx_address_limit"));
        assertEquals(998, c.integer("smtp_line_length_limit"));
        assertEquals(2048, c.integer("line_length_limit"));
        assertEquals(500, c.integer("smtp_min_data_rate"));
        assertEquals(50, c.integer("smtp_destination_recipient_limit"));
        assertEquals(20, c.integer("smtp_destination_concurrency_limit"));
    }

    @Test
    void skipQuitResponseIsYesForSmtpAndNoForLmtp() {
        assertTrue(c.bool("smtp_skip_quit_response"));
        assertFalse(c.bool("lmtp_skip_quit_response"));
        assertFalse(c.forLmtp().bool("smtp_skip_quit_response"));
    }

    @Test
    void tlsSecurityLevelIsMayForSmtpAndEmptyForLmtp_CLARIFICATION11() {
        assertEquals("may", c.choice("smtp_tls_security_level"));
        assertEquals("", c.choice("lmtp_tls_security_level"));
    }

    @Test
    void globalSessionCapIsDefaultProcessLimit_CLARIFICATION10() {
        assertEquals(100, c.integer("default_process_limit"));
    }

    @Test
    void hostLookupTakesDnsNativeOrBoth_CLARIFICATION12() {
        assertEquals(List.of("dns"), c.list("smtp_host_lookup"));
        Configuration both = ConfigurationLoader.fromText("smtp_host_lookup = dns, native\n", "t", List.of());
        assertEquals(List.of("dns", "native"), both.list("smtp_host_lookup"));
    }

    @Test
    void postilionOwnParameters() {
        assertTrue(c.bool("smtp_use_chunking"));
        assertTrue(c.bool("lmtp_use_chunking"));
        assertEquals(List.of(), c.list("dns_servers"));
        assertEquals("./var/spool", c.string("queue_directory"));
        assertEquals("127.0.0.1:2525", c.string("smtpd_listen"));
        assertEquals("127.0.0.1:9464", c.string("metrics_listen"));
        assertEquals(50, c.integer("hopcount_limit"));
    }

    @Test
    void otherGlobals() {
        assertFalse(c.bool("soft_bounce"));
        assertFalse(c.bool("disable_dns_lookups"));
        assertEquals(List.of("all"), c.list("inet_interfaces"));
        assertEquals(List.of(), c.list("proxy_interfaces"));
        assertEquals(List.of("all"), c.list("inet_protocols"));
        assertEquals("smtp", c.string("smtp_tcp_port"));
        assertEquals("24", c.string("lmtp_tcp_port"));
        assertEquals(List.of("disable_esmtp", "delay_dotcrlf"), c.list("smtp_pix_workarounds"));
    }

    @Test
    void mtaStsIsOffAndTrustsTheJdkStoreByDefault_TLS32() {
        assertFalse(c.bool("smtp_tls_mta_sts_enable"));
        assertEquals("", c.string("smtp_tls_mta_sts_CAfile"));
    }

    @Test
    void myhostnameIsAFullyQualifiedNameAndMydomainFollowsIt() {
        String host = c.string("myhostname");
        assertTrue(host.contains("."), host);
        assertEquals(host.substring(host.indexOf('.') + 1), c.string("mydomain"));
        assertEquals(host, c.string("smtp_helo_name"));
        assertEquals(host, c.string("lmtp_lhlo_name"));
    }

    @Test
    void undottedHostGetsMydomainWhenMydomainIsSet() {
        assertEquals("mx.localdomain", LocalHostNames.defaultMyHostname("mx", null));
        assertEquals("mx.example", LocalHostNames.defaultMyHostname("mx", "example"));
        assertEquals("mx.example.net", LocalHostNames.defaultMyHostname("mx.example.net", "other"));
        assertEquals("localdomain", LocalHostNames.defaultMyDomain("mx"));
        assertEquals("example.net", LocalHostNames.defaultMyDomain("mx.example.net"));
    }

    @Test
    void lmtpTwinDefaultsReferToLmtpNames() {
        Configuration set = ConfigurationLoader.fromText(
                "smtp_sasl_security_options = noanonymous\nlmtp_sasl_security_options = noplaintext\n", "t", List.of());
        assertEquals(List.of("noanonymous"), set.list("smtp_sasl_tls_security_options"));
        assertEquals(List.of("noplaintext"), set.list("lmtp_sasl_tls_verified_security_options"));
        assertEquals("", c.string("lmtp_fallback_relay"));
        assertEquals("opportunistic", c.string("lmtp_requiretls_policy"));
    }

    @Test
    void perRequestDeadlineDefaultsToPerRecordDeadline() {
        assertFalse(c.bool("smtp_per_request_deadline"));
        Configuration set = ConfigurationLoader.fromText("smtp_per_record_deadline = yes\n", "t", List.of());
        assertTrue(set.bool("smtp_per_request_deadline"));
        assertFalse(set.bool("lmtp_per_request_deadline"));
    }

    @Test
    void everySmtpParameterHasAnLmtpTwinUnlessListedAsSmtpOnly() {
        List<String> smtpOnly = List.of("smtp_always_send_ehlo", "smtp_never_send_ehlo",
                "smtp_tls_dane_insecure_mx_policy", "smtp_tls_enforce_sts_mx_patterns", "smtp_tlsrpt_enable",
                "smtp_tlsrpt_socket_name", "smtp_sender_dependent_authentication",
                // Postilion's own MTA-STS (TLS-32): RFC 8461 is about MX delivery, so SMTP only
                "smtp_tls_mta_sts_enable", "smtp_tls_mta_sts_CAfile");
        for (ParameterDefinition d : ParameterRegistry.all()) {
            if (d.name().startsWith("smtp_") && !smtpOnly.contains(d.name())) {
                String twin = d.twin().orElseThrow(() -> new AssertionError("no twin: " + d.name()));
                assertTrue(twin.startsWith("lmtp_"), twin);
                assertEquals(d.name(), ParameterRegistry.find(twin).orElseThrow().twin().orElseThrow());
            }
        }
        for (String name : smtpOnly) {
            assertTrue(ParameterRegistry.find(name).orElseThrow().twin().isEmpty(), name);
        }
    }

    @Test
    void forLmtpReadsTwins() {
        Configuration set = ConfigurationLoader.fromText("smtp_helo_name = smtp.example\n"
                + "lmtp_lhlo_name = lmtp.example\n"
                + "lmtp_discard_lhlo_keywords = pipelining\n"
                + "lmtp_mx_session_limit = 9\n", "t", List.of());
        Configuration lmtp = set.forLmtp();
        assertTrue(lmtp.isLmtp());
        assertEquals("lmtp.example", lmtp.string("smtp_helo_name"));
        assertEquals("smtp.example", set.string("smtp_helo_name"));
        assertEquals(List.of("pipelining"), lmtp.list("smtp_discard_ehlo_keywords"));
        assertEquals(List.of(), set.list("smtp_discard_ehlo_keywords"));
        assertEquals(9, lmtp.integer("smtp_mx_session_limit"));
        assertEquals(Duration.ZERO, lmtp.time("smtp_connect_timeout"));
        assertEquals("lmtp_lhlo_timeout", lmtp.effectiveName("smtp_helo_timeout"));
        assertEquals("lmtp_discard_lhlo_keyword_address_maps",
                lmtp.effectiveName("smtp_discard_ehlo_keyword_address_maps"));
        assertEquals("soft_bounce", lmtp.effectiveName("soft_bounce"));
        assertTrue(lmtp.isSet("smtp_helo_name"));
        assertEquals(set, lmtp.forSmtp());
    }

    @Test
    void smtpOnlyParametersReadThemselvesInTheLmtpView() {
        Configuration lmtp = c.forLmtp();
        assertEquals("smtp_always_send_ehlo", lmtp.effectiveName("smtp_always_send_ehlo"));
        assertTrue(lmtp.bool("smtp_always_send_ehlo"));
        assertFalse(lmtp.bool("lmtp_assume_final"));
        assertEquals("lmtp_connect_timeout", lmtp.effectiveName("lmtp_connect_timeout"));
    }

    @Test
    void wrongTypeAccessIsAProgrammingError() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> c.bool("smtp_connect_timeout"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> c.time("no_such_parameter"));
    }
}
