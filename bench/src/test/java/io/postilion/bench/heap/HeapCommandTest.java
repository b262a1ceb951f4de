package io.postilion.bench.heap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The heap bench end to end on a small run: a real relay process (from this module's class path,
 * so the test does not depend on a packaged jar), the deferring sink, the samples and the verdict.
 * 300 messages are too few to say anything about growth per message; what this proves is that the
 * bench itself works: every message deferred once and delivered, nothing left behind, exit 0.
 */
class HeapCommandTest {

    private static final Pattern VERDICT = Pattern.compile("(?m)^heap after GC: start \\d+\\.\\d MiB, peak \\d+\\.\\d MiB, "
            + "end \\d+\\.\\d MiB; grown by -?\\d+\\.\\d MiB over 300 deferred-then-delivered messages: flat$");

    @Test
    void threeHundredMessagesEachDeferredOnceAreAllDeliveredLeaveNothingQueuedAndTheHeapFlat() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = HeapCommand.run(new String[] {"--messages", "300", "--sessions", "4", "--timeout", "240",
                "--relay-classpath", System.getProperty("java.class.path")},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertEquals(0, rc, printed + err.toString(StandardCharsets.UTF_8));
        assertTrue(VERDICT.matcher(printed).find(), printed);
        assertTrue(printed.contains("messages=300 acknowledged=300 refused=0 deferred_by_sink=300 delivered=300 lost=0 "
                + "duplicates=0 unknown=0"), printed);
        assertTrue(printed.contains("left behind: nothing (metrics: 0 queued, 0 in flight, 0 retry timers); queue files: none;"
                + " relay stopped on SIGTERM with exit 0"), printed);
        assertTrue(printed.contains("sample start ") && printed.contains("sample 100% ") && printed.contains("sample end "),
                printed);
    }

    @Test
    void anUnknownArgumentIsAUsageError() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(64, HeapCommand.run(new String[] {"--bogus"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown argument --bogus"));
    }
}
