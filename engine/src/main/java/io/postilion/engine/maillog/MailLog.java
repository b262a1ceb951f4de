package io.postilion.engine.maillog;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mail log as Postfix writes it with {@code maillog_file}: one syslog-format line per event,
 * {@code Mmm dd hh:mm:ss HOST SYSLOG_NAME/PROCESS[PID]: TEXT}, with Postfix's process names
 * (smtpd, cleanup, qmgr, smtp, lmtp, bounce), so pflogsumm, logwatch and fail2ban read it as they
 * read Postfix's log (CLARIFICATIONS 34).
 *
 * <p>Why a thread of its own: lines come from event loops, which must never wait for a disk or a
 * lock. A line goes on a lock-free queue, bounded by a counter; one writer thread appends and
 * flushes when the queue runs dry, and parks until it is woken. A full queue drops the line and
 * counts it, and the next batch written says how many were lost, rather than stalling mail.
 *
 * <p>The relay installs its log with {@link #install}; until then {@link #current} writes nothing,
 * so the library and the {@code send} command never write a file they were not asked to.
 */
public final class MailLog implements AutoCloseable {

    private static final MailLog NONE = new MailLog();
    private static volatile MailLog current = NONE;

    private static final long PID = ProcessHandle.current().pid();
    private static final DateTimeFormatter SYSLOG_TIME = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

    private static final int CAPACITY = 65_536;

    private final java.util.Queue<String> lines;
    private final java.util.concurrent.atomic.AtomicInteger queued = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean writerParked;
    private final BufferedWriter out;
    private final Thread writer;
    private final String prefix;
    private final Clock clock;
    private final ZoneId zone;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    private MailLog() {
        this.lines = null;
        this.out = null;
        this.writer = null;
        this.prefix = "";
        this.clock = Clock.systemUTC();
        this.zone = ZoneId.systemDefault();
    }

    private MailLog(BufferedWriter out, String host, String syslogName, Clock clock) {
        this.lines = new java.util.concurrent.ConcurrentLinkedQueue<>();
        this.out = out;
        this.prefix = " " + host + " " + syslogName + "/";
        this.clock = clock;
        this.zone = clock.getZone();
        this.writer = new Thread(this::drain, "postilion-maillog");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /**
     * Opens (appending, creating with mode 0640) the file named by maillog_file; {@code /dev/stdout}
     * writes to standard output. Blocking: call at start-up.
     *
     * @param host the host name syslog would write (the first label of myhostname)
     * @param syslogName syslog_name, the part before {@code /smtpd}
     */
    public static MailLog open(Path file, String host, String syslogName, Clock clock) throws IOException {
        Objects.requireNonNull(file, "file");
        BufferedWriter w;
        if (file.toString().equals("/dev/stdout")) {
            w = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        } else {
            if (!Files.exists(file)) {
                Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----")));
            }
            w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        return new MailLog(w, host, syslogName, clock);
    }

    /** Makes {@code log} the process's mail log (the relay does, at start). */
    public static void install(MailLog log) {
        current = Objects.requireNonNull(log, "log");
    }

    /** The process's mail log; one that writes nothing until the relay installs one. */
    public static MailLog current() {
        return current;
    }

    /** Whether lines go anywhere (callers may skip building them otherwise). */
    public boolean enabled() {
        return lines != null && !closed;
    }

    /**
     * One line from {@code process} (smtpd, cleanup, qmgr, smtp, lmtp, bounce). Never blocks; a line
     * that does not fit the queue is dropped and counted. Line ends in {@code text} become spaces.
     */
    public void log(String process, String text) {
        if (!enabled()) {
            return;
        }
        String line = SYSLOG_TIME.format(clock.instant().atZone(zone)) + prefix + process + "[" + PID + "]: " + text.replace('\r', ' ').replace('\n', ' ') + "\n";
        if (queued.incrementAndGet() > CAPACITY) {
            queued.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        lines.add(line);
        if (writerParked) {
            java.util.concurrent.locks.LockSupport.unpark(writer); // never blocks
        }
    }

    /** Lines dropped because the writer could not keep up. */
    public long dropped() {
        return dropped.get();
    }

    private void drain() {
        List<String> batch = new ArrayList<>();
        try {
            while (!closed || !lines.isEmpty()) {
                String first = lines.poll();
                if (first == null) {
                    writerParked = true;
                    if (lines.isEmpty() && !closed) {
                        java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
                    }
                    writerParked = false;
                    continue;
                }
                batch.add(first);
                for (String next; batch.size() < 4096 && (next = lines.poll()) != null; ) {
                    batch.add(next);
                }
                queued.addAndGet(-batch.size());
                long lost = dropped.getAndSet(0);
                if (lost > 0) {
                    batch.add(0, first.substring(0, first.indexOf(']') + 1) + ": warning: " + lost
                            + " mail log line(s) dropped: the log could not keep up\n");
                }
                for (String l : batch) {
                    out.write(l);
                }
                out.flush();
                batch.clear();
            }
        } catch (IOException e) {
            System.err.println("postilion: cannot write the mail log: " + e.getMessage());
        }
    }

    /** Writes what is queued and stops; the log that writes nothing is installed again. */
    @Override
    public void close() {
        if (lines == null || closed) {
            return;
        }
        closed = true;
        if (current == this) {
            current = NONE;
        }
        java.util.concurrent.locks.LockSupport.unpark(writer);
        try {
            writer.join(5000);
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            System.err.println("postilion: cannot write the mail log: " + e.getMessage());
        }
    }
}
