package io.postilion.engine.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** DATA-22: the R, O and D headers, their order, quoting and generic mapping. */
class PrependedHeadersTest {

    private final GenericMapping none = new GenericMapping(RewriteSettings.none(), new RecordingLog());

    @Test
    void returnPathOriginalToAndDeliveredToComeInThatOrder_DATA22() {
        assertEquals(List.of("Return-Path: <s@origin.test>", "X-Original-To: orig@dest.test", "Delivered-To: r@dest.test"),
                PrependedHeaders.lines(true, true, true, "s@origin.test", "orig@dest.test", "r@dest.test", none));
    }

    @Test
    void theNullSenderIsAnEmptyReturnPathAndAnUnknownOriginalIsTheRecipient_DATA22() {
        assertEquals(List.of("Return-Path: <>", "X-Original-To: r@dest.test"),
                PrependedHeaders.lines(true, true, false, "", "", "r@dest.test", none));
    }

    @Test
    void addressesAreQuotedRfc822StyleAndEightBitClean_DATA22() {
        assertEquals(List.of("Delivered-To: \"john doe\"@dest.test"),
                PrependedHeaders.lines(false, false, true, "", "", "john doe@dest.test", none));
        assertEquals(List.of("Delivered-To: jörg@dest.test"),
                PrependedHeaders.lines(false, false, true, "", "", "jörg@dest.test", none));
    }

    @Test
    void addressesAreGenericMappedFirst_DATA22() {
        GenericMapping m = new GenericMapping(RewriteSettings.none()
                .withGenericMaps(Tables.inline("{ @inside.test=@outside.example }")), new RecordingLog());
        assertEquals(List.of("Return-Path: <s@outside.example>", "Delivered-To: r@outside.example"),
                PrependedHeaders.lines(true, false, true, "s@inside.test", "", "r@inside.test", m));
    }
}
