package io.postilion.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MainCfParserTest {

    @Test
    void nameEqualsValueWithValuesTrimmed() {
        List<MainCfParser.Definition> defs = MainCfParser.parse("relayhost   =   [mail.example]:587   \n", "t");
        assertEquals(List.of(new MainCfParser.Definition("relayhost", "[mail.example]:587", 1)), defs);
    }

    @Test
    void continuationLinesJoin() {
        List<MainCfParser.Definition> defs = MainCfParser.parse(
                "smtp_discard_ehlo_keywords = pipelining,\n    chunking,\n\tdsn\nsoft_bounce = yes\n", "t");
        assertEquals(2, defs.size());
        assertEquals("smtp_discard_ehlo_keywords", defs.get(0).name());
        assertEquals("pipelining,    chunking,\tdsn", defs.get(0).value());
        assertEquals("soft_bounce", defs.get(1).name());
        assertEquals(4, defs.get(1).line());
    }

    @Test
    void commentsAndBlankLinesAreSkippedEvenInsideAContinuation() {
        List<MainCfParser.Definition> defs = MainCfParser.parse(
                "# a comment\n\n   # indented comment\nmynetworks = 127.0.0.0/8\n# between\n  [::1]/128\n\n", "t");
        assertEquals(1, defs.size());
        assertEquals("127.0.0.0/8  [::1]/128", defs.get(0).value());
    }

    @Test
    void hashInsideAValueIsNotAComment() {
        assertEquals("a#b", MainCfParser.parse("smtp_helo_name = a#b\n", "t").get(0).value());
    }

    @Test
    void emptyValueIsAllowed() {
        assertEquals("", MainCfParser.parse("relayhost =\n", "t").get(0).value());
    }

    @Test
    void laterDefinitionsOverrideEarlier() {
        Configuration c = ConfigurationLoader.fromText(
                "smtp_mx_session_limit = 3\nsmtp_mx_session_limit = 4\n", "t", List.of());
        assertEquals(4, c.integer("smtp_mx_session_limit"));
    }

    @Test
    void lineWithoutEqualsIsAnErrorNamingTheLine() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> MainCfParser.parse("soft_bounce = no\nthis is not a definition\n", "main.cf"));
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("main.cf, line 2"), e.getMessage());
    }

    @Test
    void continuationWithNothingToContinueIsAnError() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> MainCfParser.parse("   soft_bounce = no\n", "main.cf"));
        assertEquals(78, e.exitStatus());
    }

    @Test
    void crlfLineEndingsAreAccepted() {
        List<MainCfParser.Definition> defs = MainCfParser.parse("a = 1\r\nb = 2\r\n", "t");
        assertEquals("1", defs.get(0).value());
        assertEquals("2", defs.get(1).value());
    }
}
