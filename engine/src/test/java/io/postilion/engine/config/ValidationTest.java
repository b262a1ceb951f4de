package io.postilion.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidationTest {

    @TempDir
    Path dir;

    private static ConfigurationException loadFails(String text, String... overrides) {
        return assertThrows(ConfigurationException.class,
                () -> ConfigurationLoader.fromText(text, "main.cf", List.of(overrides)));
    }

    @Test
    void unknownNameInMainCfIsAWarning_CLARIFICATION6() {
        Configuration c = ConfigurationLoader.fromText("soft_bounce = yes\nsmtp_conect_timeout = 5s\n", "main.cf",
                List.of());
        assertEquals(1, c.warnings().size());
        ConfigurationWarning w = c.warnings().get(0);
        assertEquals("smtp_conect_timeout", w.parameter());
        assertTrue(w.message().contains("smtp_conect_timeout"), w.message());
        assertTrue(w.message().contains("line 2"), w.message());
        assertEquals(30, c.time("smtp_connect_timeout").getSeconds());
    }

    @Test
    void unknownNameThatIsReferencedIsNotWarnedAbout() {
        Configuration c = ConfigurationLoader.fromText("relay_name = [r.example]\nrelayhost = $relay_name\n",
                "main.cf", List.of());
        assertTrue(c.warnings().isEmpty(), c.warnings().toString());
    }

    @Test
    void unknownNameInDashOIsAnErrorExit64_CLARIFICATION6() {
        ConfigurationException e = loadFails("", "smtp_conect_timeout=5s");
        assertEquals(64, e.exitStatus());
        assertEquals(ConfigurationException.EX_USAGE, e.exitStatus());
        assertTrue(e.getMessage().contains("smtp_conect_timeout"), e.getMessage());
    }

    @Test
    void parseOverrideSplitsAtTheFirstEquals() {
        assertEquals(java.util.Map.entry("smtp_helo_name", "a=b"), ConfigurationLoader.parseOverride("smtp_helo_name=a=b"));
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> ConfigurationLoader.parseOverride("no_such_thing=1"));
        assertEquals("no_such_thing", e.parameter().orElseThrow());
    }

    @Test
    void dashOWithoutEqualsIsExit64() {
        assertEquals(64, loadFails("", "soft_bounce").exitStatus());
        assertEquals(64, loadFails("", "=yes").exitStatus());
    }

    @Test
    void dashOOverridesMainCf() {
        Configuration c = ConfigurationLoader.fromText("smtp_mx_session_limit = 3\n", "main.cf",
                List.of("smtp_mx_session_limit=7", "smtp_helo_name = helo.example"));
        assertEquals(7, c.integer("smtp_mx_session_limit"));
        assertEquals("helo.example", c.string("smtp_helo_name"));
        assertTrue(c.isSet("smtp_mx_session_limit"));
    }

    @Test
    void dashOValueMayBeEmpty() {
        Configuration c = ConfigurationLoader.fromText("relayhost = [x]\n", "main.cf", List.of("relayhost="));
        assertEquals("", c.string("relayhost"));
    }

    @Test
    void negativeIntegerIsExit78NamingParameterAndValue_CLARIFICATION6() {
        ConfigurationException e = loadFails("smtp_mx_session_limit = -3\n");
        assertEquals(78, e.exitStatus());
        assertEquals("smtp_mx_session_limit", e.parameter().orElseThrow());
        assertTrue(e.getMessage().contains("smtp_mx_session_limit"), e.getMessage());
        assertTrue(e.getMessage().contains("-3"), e.getMessage());
    }

    @Test
    void badTimeUnitIsExit78NamingParameterAndValue_CLARIFICATION6() {
        ConfigurationException e = loadFails("smtp_connect_timeout = 10x\n");
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("smtp_connect_timeout"), e.getMessage());
        assertTrue(e.getMessage().contains("10x"), e.getMessage());
    }

    @Test
    void badValueGivenWithDashOIsExit78() {
        assertEquals(78, loadFails("", "soft_bounce=maybe").exitStatus());
    }

    @Test
    void badValueReachedThroughExpansionShowsBoth() {
        ConfigurationException e = loadFails("my_t = soon\nsmtp_rset_timeout = $my_t\n");
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("$my_t") && e.getMessage().contains("soon"), e.getMessage());
    }

    @Test
    void booleansAreYesOrNo() {
        assertEquals(78, loadFails("soft_bounce = true\n").exitStatus());
        assertTrue(ConfigurationLoader.fromText("soft_bounce = YES\n", "t", List.of()).bool("soft_bounce"));
    }

    @Test
    void enumValuesAreChecked() {
        ConfigurationException e = loadFails("smtp_tls_security_level = sometimes\n");
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("sometimes"), e.getMessage());
        assertEquals(78, loadFails("smtp_host_lookup = dns, nis\n").exitStatus());
        assertEquals(78, loadFails("smtp_address_preference = ipv5\n").exitStatus());
    }

    @Test
    void timeBelowTheParameterMinimumIsRejected() {
        assertEquals(78, loadFails("smtp_helo_timeout = 0s\n").exitStatus());
        assertEquals(0, ConfigurationLoader.fromText("smtp_connect_timeout = 0\n", "t", List.of())
                .time("smtp_connect_timeout").getSeconds());
    }

    @Test
    void missingTableFileIsExit78NamingParameterAndFile() {
        Path missing = dir.resolve("nope");
        ConfigurationException e = loadFails("smtp_generic_maps = texthash:" + missing + "\n");
        assertEquals(78, e.exitStatus());
        assertEquals("smtp_generic_maps", e.parameter().orElseThrow());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void unreadableTableFileIsExit78_CLARIFICATION24() {
        // running as root: a directory stands in for an unreadable file
        ConfigurationException e = loadFails("smtp_header_checks = regexp:" + dir + "\n");
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("smtp_header_checks") && e.getMessage().contains(dir.toString()),
                e.getMessage());
    }

    @Test
    void unsupportedTableTypeIsExit78() {
        ConfigurationException e = loadFails("smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n");
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("texthash"), e.getMessage());
        assertEquals(78, loadFails("smtp_generic_maps = notatable\n").exitStatus());
    }

    @Test
    void malformedTableIsExit78NamingTheLine() throws IOException {
        Path file = Files.writeString(dir.resolve("checks"), "/ok/ OK\n/unclosed REJECT\n");
        ConfigurationException e = loadFails("smtp_header_checks = regexp:" + file + "\n");
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void mainCfFileLoadsAndSetsConfigDirectory() throws IOException {
        Path table = Files.writeString(dir.resolve("generic"), "root@local  postmaster@example.com\n");
        Path mainCf = Files.writeString(dir.resolve("main.cf"),
                "smtp_generic_maps = texthash:$config_directory/generic\n");
        Configuration c = ConfigurationLoader.load(mainCf, List.of());
        assertEquals(dir.toAbsolutePath().toString(), c.string("config_directory"));
        assertEquals("postmaster@example.com", c.table("smtp_generic_maps").find("ROOT@local").orElseThrow());
        assertEquals(table.toAbsolutePath().toString(), dir.toAbsolutePath() + "/generic");
    }

    @Test
    void missingMainCfIsExit78() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> ConfigurationLoader.load(dir.resolve("main.cf"), List.of()));
        assertEquals(78, e.exitStatus());
    }

    @Test
    void errorsComeFromLoadNotFromAccessors() {
        // a valid configuration answers every registered parameter without throwing
        Configuration c = Configuration.defaults();
        for (ParameterDefinition d : ParameterRegistry.all()) {
            c.string(d.name());
            if (d.type().kind() == ParameterType.Kind.TABLE) {
                c.table(d.name());
            }
        }
    }
}
