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
}
