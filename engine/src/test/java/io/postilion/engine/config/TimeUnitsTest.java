package io.postilion.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimeUnitsTest {

    @Test
    void timeUnits() {
        assertEquals(Duration.ofSeconds(300), PostfixTime.parse("300s", 's'));
        assertEquals(Duration.ofMinutes(5), PostfixTime.parse("5m", 's'));
        assertEquals(Duration.ofHours(2), PostfixTime.parse("2h", 's'));
        assertEquals(Duration.ofDays(3), PostfixTime.parse("3d", 's'));
        assertEquals(Duration.ofDays(14), PostfixTime.parse("2w", 's'));
        assertEquals(Duration.ZERO, PostfixTime.parse("0", 's'));
    }

    @Test
    void bareNumberTakesTheParametersDefaultUnit() {
        assertEquals(Duration.ofSeconds(45), PostfixTime.parse("45", 's'));
        assertEquals(Duration.ofDays(5), PostfixTime.parse("5", 'd'));
        Configuration c = ConfigurationLoader.fromText(
                "smtp_connect_timeout = 45\nmaximal_queue_lifetime = 2\ndelay_warning_time = 4\n", "t", List.of());
        assertEquals(Duration.ofSeconds(45), c.time("smtp_connect_timeout"));
        assertEquals(Duration.ofDays(2), c.time("maximal_queue_lifetime"));
        assertEquals(Duration.ofHours(4), c.time("delay_warning_time"));
    }

    @Test
    void badTimeValuesAreRejected() {
        for (String bad : List.of("10x", "", "s", "-5s", "5 s", "1h30m", "5S", "99999999999999999999s")) {
            assertThrows(IllegalArgumentException.class, () -> PostfixTime.parse(bad, 's'), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> PostfixTime.parse("9223372036854775807w", 's'));
    }

    @Test
    void sizesAndIntegers() {
        Configuration c = ConfigurationLoader.fromText("message_size_limit = 52428800\n", "t", List.of());
        assertEquals(52_428_800L, c.size("message_size_limit"));
        assertThrows(ConfigurationException.class,
                () -> ConfigurationLoader.fromText("message_size_limit = 50M\n", "t", List.of()));
        assertThrows(ConfigurationException.class,
                () -> ConfigurationLoader.fromText("smtp_mx_address_limit = 99999999999\n", "t", List.of()));
    }

    @Test
    void listsSplitOnCommasAndWhitespaceKeepingBraceGroups() {
        assertEquals(List.of("a", "b", "c"), PostfixList.split(" a,b ,\t c,, "));
        assertEquals(List.of("inline:{ a=b, c=d }", "static:x"), PostfixList.split("inline:{ a=b, c=d }, static:x"));
        assertEquals(List.of("text with spaces", "x"), PostfixList.splitUngrouped("{ text with spaces }, x"));
        assertThrows(IllegalArgumentException.class, () -> PostfixList.split("inline:{ a=b"));
    }
}
