package io.postilion.engine.maillog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mail log file: syslog-format lines, none lost between threads, nothing left unwritten at close. */
class MailLogTest {

    @TempDir
    Path dir;

    @Test
    void linesFromManyThreadsAreWrittenInSyslogFormatAndCloseFlushesThem() throws Exception {
        Path file = dir.resolve("maillog");
        MailLog log = MailLog.open(file, "relay", "postilion", Clock.fixed(Instant.parse("2026-12-07T05:31:02Z"), ZoneOffset.UTC));
        MailLog.install(log);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int n = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    MailLog.current().log("smtpd", "line " + n + "." + i + "\r\nforged: yes");
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        log.close();
        assertTrue(!MailLog.current().enabled(), "closing uninstalls the log");
        List<String> lines = Files.readAllLines(file);
        assertEquals(4000, lines.size());
        long pid = ProcessHandle.current().pid();
        for (String line : lines) {
            assertTrue(line.matches("Dec  7 05:31:02 relay postilion/smtpd\\[" + pid + "\\]: line \\d\\.\\d+  forged: yes"), line);
        }
        assertEquals(0, log.dropped());
    }
}
