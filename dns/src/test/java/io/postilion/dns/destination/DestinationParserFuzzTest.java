package io.postilion.dns.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/** Fuzzes the destination parser: any input gives a value (never an exception) that keeps its invariants. */
class DestinationParserFuzzTest {

    private static final DestinationParser SMTP = DestinationParser.smtp();
    private static final DestinationParser LMTP = DestinationParser.lmtp();

    @FuzzTest(maxDuration = "45s")
    void parserNeverThrows(FuzzedDataProvider data) {
        boolean lmtp = data.consumeBoolean();
        String fallback = data.consumeString(64);
        String nexthop = data.consumeRemainingAsString();
        DestinationList list = (lmtp ? LMTP : SMTP).parse(nexthop, fallback);
        assertNotNull(list);
        if (list.isValid()) {
            assertTrue(!list.destinations().isEmpty());
            for (Destination d : list.destinations()) {
                if (d instanceof InetDestination i) {
                    assertTrue(i.port() >= 1 && i.port() <= 65535);
                    assertTrue(!i.bracketed() || i.nexthop().startsWith("["));
                }
            }
        } else {
            assertEquals("4.3.5", list.error().orElseThrow().status());
        }
        ParsedDestination one = SMTP.parseItem(nexthop.isEmpty() ? "x" : nexthop);
        assertNotNull(one.nexthop());
    }
}
