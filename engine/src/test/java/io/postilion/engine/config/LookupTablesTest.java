package io.postilion.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LookupTablesTest {

    @TempDir
    Path dir;

    private static Configuration load(String text) {
        return ConfigurationLoader.fromText(text, "main.cf", List.of());
    }

    @Test
    void inlineTable() {
        LookupTable t = load("smtp_generic_maps = inline:{ a@x=b@y, { Key2 = value with spaces, and comma } }\n")
                .table("smtp_generic_maps");
        assertEquals(Optional.of("b@y"), t.find("a@x"));
        assertEquals(Optional.of("b@y"), t.find("A@X"));
        assertEquals(Optional.of("value with spaces, and comma"), t.find("key2"));
        assertEquals(Optional.empty(), t.find("other"));
    }

    @Test
    void inlineTableSpanningContinuationLines() {
        LookupTable t = load("smtp_generic_maps = inline:{\n    one=1,\n    two=2 }\n").table("smtp_generic_maps");
        assertEquals(Optional.of("2"), t.find("two"));
    }

    @Test
    void malformedInlineTableIsExit78() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> load("smtp_generic_maps = inline:{ novalue }\n"));
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("novalue"), e.getMessage());
        assertThrows(ConfigurationException.class, () -> load("smtp_generic_maps = inline:a=b\n"));
    }

    @Test
    void staticTable() {
        LookupTable t = load("smtp_pix_workaround_maps = static:disable_esmtp\n").table("smtp_pix_workaround_maps");
        assertEquals(Optional.of("disable_esmtp"), t.find("anything"));
        assertEquals(Optional.of("two words"), load("smtp_generic_maps = static:{ two words }\n")
                .table("smtp_generic_maps").find("x"));
    }

    @Test
    void emptyTableParameterFindsNothing() {
        assertEquals(Optional.empty(), Configuration.defaults().table("smtp_generic_maps").find("x"));
    }

    @Test
    void texthashTable() throws IOException {
        Path file = Files.writeString(dir.resolve("generic"), "# comment\n"
                + "\n"
                + "User@Example.COM    other@example.net\n"
                + "long     first part\n"
                + "   second part\n"
                + "  # indented comment\n"
                + "dup  first\n"
                + "dup  second\n");
        Configuration c = load("smtp_generic_maps = texthash:" + file + "\n");
        LookupTable t = c.table("smtp_generic_maps");
        assertEquals(Optional.of("other@example.net"), t.find("user@example.com"));
        assertEquals(Optional.of("other@example.net"), t.find("USER@EXAMPLE.COM"));
        assertEquals(Optional.of("first part   second part"), t.find("long"));
        assertEquals(Optional.of("first"), t.find("dup"));
        assertEquals(Optional.empty(), t.find("nobody"));
        assertTrue(c.warnings().stream().anyMatch(w -> w.message().contains("duplicate")), c.warnings().toString());
    }

    @Test
    void texthashLineWithoutValueIsAnError() {
        List<String> warnings = new ArrayList<>();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TextHashTable.parse("good value\nlonely\n", "texthash:x", warnings));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void regexpTableFirstMatchWinsWithSubstitution() {
        RegexpTable t = RegexpTable.parse("# header checks\n"
                + "/^Subject: (.*) spam$/   REJECT $1 is spam\n"
                + "/^(to|cc): (\\S+)@(.*)$/  OK ${2} at $(3) $$\n"
                + "/^X-/                     IGNORE\n", "regexp:test");
        assertEquals(Optional.of("REJECT cheap pills is spam"), t.find("Subject: cheap pills spam"));
        assertEquals(Optional.of("OK bob at example.com $"), t.find("To: bob@example.com"));
        assertEquals(Optional.of("IGNORE"), t.find("x-mailer: foo"));
        assertEquals(Optional.empty(), t.find("From: someone"));
    }

    @Test
    void regexpIsCaseInsensitiveByDefaultAndTheIFlagMakesItSensitive() {
        RegexpTable t = RegexpTable.parse("/^ABC$/i  sensitive\n/^abc$/  insensitive\n", "regexp:test");
        assertEquals(Optional.of("sensitive"), t.find("ABC"));
        assertEquals(Optional.of("insensitive"), t.find("abc"));
        assertEquals(Optional.of("insensitive"), t.find("aBc"));
    }

    @Test
    void regexpNegationAndOtherDelimiters() {
        RegexpTable t = RegexpTable.parse("!/@example\\.com$/  not ours\n# a comment line\n", "regexp:test");
        assertEquals(Optional.of("not ours"), t.find("user@other.org"));
        RegexpTable u = RegexpTable.parse("|a/b| slash\n", "regexp:test");
        assertEquals(Optional.of("slash"), u.find("xa/by"));
        assertEquals(Optional.empty(), t.find("user@example.com"));
    }

    @Test
    void regexpMatchUnlessSecondPatternMatches() {
        RegexpTable t = RegexpTable.parse("/^(.*)@example\\.com$/!/^postmaster@/  local $1\n", "regexp:test");
        assertEquals(Optional.of("local bob"), t.find("bob@example.com"));
        assertEquals(Optional.empty(), t.find("postmaster@example.com"));
    }

    @Test
    void regexpIfEndifBlocks() {
        RegexpTable t = RegexpTable.parse("if /@example\\.com$/\n"
                + "/^admin@/  inner admin\n"
                + "if !/^root/\n"
                + "/./  inner other\n"
                + "endif\n"
                + "endif\n"
                + "/^admin@/  outer admin\n", "regexp:test");
        assertEquals(Optional.of("inner admin"), t.find("admin@example.com"));
        assertEquals(Optional.of("inner other"), t.find("bob@example.com"));
        assertEquals(Optional.empty(), t.find("root@example.com"));
        assertEquals(Optional.of("outer admin"), t.find("admin@other.org"));
    }

    @Test
    void regexpSyntaxErrorsNameTheLine() {
        for (String bad : List.of("/a/ ok\n/b/ $0\n", "/a/ ok\n/(b/ x\n", "/a/ ok\n/b/q x\n", "/a/ ok\n/b/ $1\n",
                "/a/ ok\n!/(b)/ $1\n", "/a/ ok\nplain text\n", "/a/ ok\nendif\n", "/a/ ok\nif /x/\n")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RegexpTable.parse(bad, "regexp:test"), bad);
            assertTrue(e.getMessage().contains("line 2"), bad + " -> " + e.getMessage());
        }
    }

    @Test
    void regexpKeywordsInAnyCaseAndEmptyResultIsAWarning() {
        List<String> warnings = new ArrayList<>();
        RegexpTable t = RegexpTable.parse("IF/^a/\n/b/\nEndIf\n", "regexp:test", warnings);
        assertEquals(Optional.of(""), t.find("ab"));
        assertEquals(Optional.empty(), t.find("b"));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("line 2"), warnings.toString());
    }

    @Test
    void regexpTableFromAFileThroughTheConfiguration() throws IOException {
        Path file = Files.writeString(dir.resolve("reply_filter"), "/^(250-?)PIPELINING$/ ${1}XPIPELINING\n");
        Configuration c = load("smtp_reply_filter = regexp:" + file + "\nlmtp_reply_filter = pcre:" + file + "\n");
        assertEquals(Optional.of("250-XPIPELINING"), c.table("smtp_reply_filter").find("250-pipelining"));
        assertEquals(Optional.of("250XPIPELINING"), c.forLmtp().table("smtp_reply_filter").find("250PIPELINING"));
    }

    @Test
    void tableListAsksEachTableInOrder() {
        LookupTable t = load("smtp_generic_maps = inline:{ a=first }, inline:{ a=second, b=second }, static:last\n")
                .table("smtp_generic_maps");
        assertEquals(Optional.of("first"), t.find("a"));
        assertEquals(Optional.of("second"), t.find("b"));
        assertEquals(Optional.of("last"), t.find("zzz"));
    }
}
