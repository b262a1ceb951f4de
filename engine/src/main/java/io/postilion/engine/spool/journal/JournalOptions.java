package io.postilion.engine.spool.journal;

import java.util.Objects;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * How a journal is opened.
 *
 * @param segmentBytes the size past which the writer starts a new segment (a single record larger
 *     than this gets a segment of its own)
 * @param files the file system (a recording one in tests)
 * @param completions where the callers' Monos are completed, so that their subscribers never run
 *     on the writer thread (see {@link Journal})
 */
public record JournalOptions(long segmentBytes, JournalFiles files, Scheduler completions) {

    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    /** Room for the segment header and at least one small record. */
    public static final long MIN_SEGMENT_BYTES = 64;

    public JournalOptions {
        if (segmentBytes < MIN_SEGMENT_BYTES) {
            throw new IllegalArgumentException("segment size " + segmentBytes + " is below " + MIN_SEGMENT_BYTES);
        }
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(completions, "completions");
    }

    /** 64 MiB segments on the real file system, completions on Reactor's parallel scheduler. */
    public static JournalOptions defaults() {
        return new JournalOptions(DEFAULT_SEGMENT_BYTES, JournalFiles.system(), Schedulers.parallel());
    }

    public JournalOptions withSegmentBytes(long bytes) {
        return new JournalOptions(bytes, files, completions);
    }

    public JournalOptions withFiles(JournalFiles f) {
        return new JournalOptions(segmentBytes, f, completions);
    }

    public JournalOptions withCompletions(Scheduler s) {
        return new JournalOptions(segmentBytes, files, s);
    }
}
