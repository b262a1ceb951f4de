package io.postilion.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExpansionTest {

    private static Configuration load(String text) {
        return ConfigurationLoader.fromText(text, "main.cf", List.of());
    }

    @Test
    void allThreeReferenceFormsExpand() {
        Configuration c = load("myhostname = mx.example.com\n"
                + "smtp_helo_name = $myhostname\n"
                + "lmtp_lhlo_name = ${myhostname}\n"
                + "smtp_tls_servername = $(myhostname)\n");
        assertEquals("mx.example.com", c.string("smtp_helo_name"));
        assertEquals("mx.example.com", c.string("lmtp_lhlo_name"));
        assertEquals("mx.example.com", c.string("smtp_tls_servername"));
    }

    @Test
    void referenceSeesTheFinalValueWhateverTheOrder() {
        Configuration c = load("smtp_helo_name = helo.$mydomain\nmydomain = one.example\nmydomain = two.example\n");
        assertEquals("helo.two.example", c.string("smtp_helo_name"));
    }

    @Test
    void defaultsExpandRecursively() {
        Configuration c = load("myhostname = host.example.org\n");
        assertEquals("host.example.org", c.string("smtp_helo_name"));
        assertEquals("host.example.org", c.string("myorigin"));
        assertEquals("example.org", c.string("mydomain"));
        assertEquals(List.of("host.example.org", "localhost.example.org", "localhost"), c.list("mydestination"));
    }

    @Test
    void conditionalExpansion() {
        Configuration c = load("relayhost = [relay.example]\n"
                + "smtp_helo_name = ${relayhost?via-relay}\n"
                + "smtp_tls_servername = ${fallback_relay:no-fallback}\n"
                + "smtp_bind_address = ${relayhost:unused}\n"
                + "smtp_bind_address6 = ${fallback_relay?unused}\n");
        assertEquals("via-relay", c.string("smtp_helo_name"));
        assertEquals("no-fallback", c.string("smtp_tls_servername"));
        assertEquals("", c.string("smtp_bind_address"));
        assertEquals("", c.string("smtp_bind_address6"));
    }

    @Test
    void conditionalTextIsItselfExpanded() {
        Configuration c = load("myhostname = h.example\nrelayhost = x\nsmtp_helo_name = ${relayhost?$myhostname-r}\n");
        assertEquals("h.example-r", c.string("smtp_helo_name"));
    }

    @Test
    void bracedConditionalForms() {
        Configuration c = load("relayhost = x\n"
                + "smtp_helo_name = ${relayhost?{set, with comma}:{unset}}\n"
                + "smtp_tls_servername = ${fallback_relay?{set}:{unset text}}\n"
                + "smtp_bind_address = ${fallback_relay:{empty one}}\n");
        assertEquals("set, with comma", c.string("smtp_helo_name"));
        assertEquals("unset text", c.string("smtp_tls_servername"));
        assertEquals("empty one", c.string("smtp_bind_address"));
    }

    @Test
    void bracedConditionalMayHaveWhitespaceAroundTheBraces() {
        Configuration c = load("relayhost = x\nsmtp_helo_name = ${fallback_relay? {a} : {b}}\n");
        assertEquals("b", c.string("smtp_helo_name"));
        assertThrows(ConfigurationException.class, () -> load("smtp_helo_name = ${relayhost?{a} junk}\n"));
    }

    @Test
    void undefinedNameExpandsToNothingAndDoubleDollarIsADollar() {
        Configuration c = load("smtp_helo_name = a${no_such_name}b$$c\n");
        assertEquals("ab$c", c.string("smtp_helo_name"));
    }

    @Test
    void expansionLoopIsAClearError() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> load("smtp_helo_name = $smtp_tls_servername\nsmtp_tls_servername = ${smtp_helo_name}\n"));
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("loop"), e.getMessage());
        assertTrue(e.getMessage().contains("smtp_helo_name -> smtp_tls_servername -> smtp_helo_name"),
                e.getMessage());
    }

    @Test
    void selfReferenceIsALoop() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> load("relayhost = $relayhost\n"));
        assertTrue(e.getMessage().contains("relayhost -> relayhost"), e.getMessage());
    }

    @Test
    void unmatchedBraceIsAnErrorNamingTheParameter() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> load("smtp_helo_name = ${myhostname\n"));
        assertEquals(78, e.exitStatus());
        assertEquals("smtp_helo_name", e.parameter().orElseThrow());
    }

    @Test
    void userDefinedNamesCanBeReferenced() {
        Configuration c = load("my_relay = [10.0.0.1]:2525\nrelayhost = $my_relay\n");
        assertEquals("[10.0.0.1]:2525", c.string("relayhost"));
        assertEquals("[10.0.0.1]:2525", c.string("my_relay"));
        assertTrue(c.warnings().isEmpty(), c.warnings().toString());
    }

    @Test
    void valueIsExpandedBeforeItsTypeIsChecked() {
        Configuration c = load("my_limit = 7\nsmtp_mx_session_limit = $my_limit\nmy_t = 2m\nsmtp_rset_timeout = $my_t\n");
        assertEquals(7, c.integer("smtp_mx_session_limit"));
        assertEquals(120, c.time("smtp_rset_timeout").getSeconds());
    }
}
