package io.postilion.engine.maillog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DelayFormatTest {

    @Test
    void timesHaveTwoSignificantDigitsAndAtMostTwoDecimals_LOG4() {
        assertEquals("0", DelayFormat.format(0.004, 2));
        assertEquals("0.01", DelayFormat.format(0.005, 2));
        assertEquals("0.12", DelayFormat.format(0.1234, 2));
        assertEquals("1.2", DelayFormat.format(1.2346, 2));
        assertEquals("13", DelayFormat.format(12.6, 2));
    }

    @Test
    void trailingZerosAndEmptyFractionsAreDropped_LOG4() {
        assertEquals("0.1", DelayFormat.format(0.1, 2));
        assertEquals("2", DelayFormat.format(2.0, 2));
        assertEquals("2", DelayFormat.format(2.04, 2));
        assertEquals("9.9", DelayFormat.format(9.94, 2));
        assertEquals("10", DelayFormat.format(9.96, 2));
        assertEquals("0.05", DelayFormat.format(0.049, 2));
        assertEquals("0", DelayFormat.format(0, 2));
    }

    /** format_tv: the limit caps the digits after the point; two significant digits still rule above it. */
    @Test
    void theResolutionLimitCapsTheDecimals_LOG4() {
        assertEquals("0", DelayFormat.format(0.001234, 2));
        assertEquals("0.0012", DelayFormat.format(0.001234, 4));
        assertEquals("0.0012", DelayFormat.format(0.001234, 6));
        assertEquals("0.000012", DelayFormat.format(0.0000123, 6));
        assertEquals("0", DelayFormat.format(0.4, 0));
        assertEquals("1", DelayFormat.format(0.5, 0));
        assertEquals("2", DelayFormat.format(1.6, 0));
        assertEquals("1.6", DelayFormat.format(1.6, 1));
        assertEquals("1.6", DelayFormat.format(1.6, 6), "one decimal from one second on");
        assertEquals("0.1", DelayFormat.format(0.0995, 6), "rounded up into fewer digits");
        assertEquals("0", DelayFormat.format(java.time.Duration.ofNanos(-5), 2), "a clock that went back shows 0");
    }
}
