package io.postilion.engine.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The DSN status value: read once, compared by value, never by its first character. */
class DsnStatusTest {

    @Test
    void readsAndWritesClassSubjectDetail() {
        DsnStatus s = DsnStatus.parse("5.7.255");
        assertEquals(new DsnStatus(5, 7, 255), s);
        assertEquals("5.7.255", s.text());
        assertTrue(s.isPermanent());
        assertEquals("4.7.255", s.withClass(4).text());
    }

    @Test
    void refusesWhatIsNotAStatus() {
        for (String bad : new String[] {"", "5", "5.1", "3.1.1", "5.1.1 ", "5..1", "5.1.1000", "x.1.1", "5.1.1.1"}) {
            assertThrows(IllegalArgumentException.class, () -> DsnStatus.parse(bad), bad);
        }
    }

    @Test
    void outcomesAndActionsHaveStableCodesAndOldQueueFilesStillRead() {
        for (Outcome o : Outcome.values()) {
            assertEquals(o, Outcome.ofCode(o.code()));
            assertEquals(o, Outcome.ofCode(o.name()), "a queue file from before the codes");
        }
        for (DsnAction a : DsnAction.values()) {
            assertEquals(a, DsnAction.ofWord(a.word()));
        }
        assertThrows(IllegalArgumentException.class, () -> Outcome.ofCode("lost"));
    }

    @Test
    void onlyAServersVerdictNamesARemoteMta() {
        assertThrows(IllegalArgumentException.class, () -> new Verdict(VerdictSource.LOCAL, "mx.test", "x"));
        assertThrows(IllegalArgumentException.class, () -> new Verdict(VerdictSource.SMTP_REPLY, "", "550 no"));
        assertTrue(Verdict.reply("mx.test", "550 no").fromServer());
    }
}
