package io.postilion.transport.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class XforwardCommandsTest {

    private static final Set<XforwardAttribute> ALL = EnumSet.allOf(XforwardAttribute.class);

    @Test
    void twoCommandsCarryEveryKnownAttribute_XFER2() {
        ClientOrigin c = new ClientOrigin("client.test", "192.0.2.7", "40000", "ESMTP", "helo.test", true);
        assertEquals(List.of("XFORWARD NAME=client.test ADDR=192.0.2.7 PORT=40000",
                "XFORWARD PROTO=ESMTP HELO=helo.test IDENT=ABC123 SOURCE=REMOTE"), XforwardCommands.of(c, "ABC123", ALL));
    }

    @Test
    void unknownNameAddrPortAndProtoAreLeftOutButAnUnknownHeloIsSent_XFER2() {
        ClientOrigin c = new ClientOrigin("unknown", "UNKNOWN", "", "unknown", "unknown", true);
        assertEquals(List.of("XFORWARD HELO=unknown IDENT=Q1 SOURCE=REMOTE"), XforwardCommands.of(c, "Q1", ALL));
    }

    @Test
    void aLocalSubmissionSendsOnlyItsIdentAndSourceLocal_XFER2() {
        assertEquals(List.of("XFORWARD IDENT=Q1 SOURCE=LOCAL"), XforwardCommands.of(ClientOrigin.LOCAL, "Q1", ALL));
    }

    @Test
    void onlyAnnouncedAttributesAreSent_XFER2() {
        ClientOrigin c = new ClientOrigin("client.test", "192.0.2.7", "40000", "ESMTP", "helo.test", true);
        assertEquals(List.of("XFORWARD ADDR=192.0.2.7"),
                XforwardCommands.of(c, "Q1", EnumSet.of(XforwardAttribute.ADDR)));
        assertEquals(List.of(), XforwardCommands.of(c, "Q1", EnumSet.noneOf(XforwardAttribute.class)));
    }

    @Test
    void valuesAreXtextEncoded_XFER2_XFER7() {
        ClientOrigin c = new ClientOrigin("", "", "", "", "we+ird name", false);
        assertEquals(List.of("XFORWARD HELO=we+2Bird+20name"),
                XforwardCommands.of(c, "", EnumSet.of(XforwardAttribute.HELO)));
    }
}
