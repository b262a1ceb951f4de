package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DelayFormatTest {

    @Test
    void timesHaveTwoSignificantDigitsAndAtMostTwoDecimals_LOG4() {
        assertEquals("0", DelayFormat.format(0.004));
        assertEquals("0.01", DelayFormat.format(0.005));
        assertEquals("0.12", DelayFormat.format(0.1234));
        assertEquals("1.2", DelayFormat.format(1.2346));
        assertEquals("13", DelayFormat.format(12.6));
    }

    @Test
    void trailingZerosAndEmptyFractionsAreDropped_LOG4() {
        assertEquals("0.1", DelayFormat.format(0.1));
        assertEquals("2", DelayFormat.format(2.0));
        assertEquals("2", DelayFormat.format(2.04));
        assertEquals("9.9", DelayFormat.format(9.94));
        assertEquals("10", DelayFormat.format(9.96));
        assertEquals("0.05", DelayFormat.format(0.049));
        assertEquals("0", DelayFormat.format(0));
    }
}
