package io.postilion.engine.spool.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recovery scan: reads every segment in order and tells a visitor what it finds. Damage is
 * reported and stepped over, never allowed to stop the scan: a journal that refuses to open
 * because of one bad sector would hold every other message hostage.
 *
 * <p>Only the newest segment may end in a torn write (older ones were flushed before the next was
 * created), so only there is damage that nothing valid follows taken for a torn tail: cut off
 * (when repairing) with one info line. Anywhere else it is corruption.
 */
final class Scanner {

    private static final Logger log = LoggerFactory.getLogger(Scanner.class);
    /** Chunk size for checking a payload the visitor does not want in memory. */
    private static final int CHECK_CHUNK = 1 << 20;

    /** What the scan leaves behind: the segments kept, and the highest number any entry's name uses. */
    record Result(List<Long> segments, long highestName) {
        Result {
            segments = List.copyOf(segments);
        }
    }

    private final Path dir;
    private final JournalFiles files;
    private final ScanVisitor visitor;
    private final boolean repair;

    Scanner(Path dir, JournalFiles files, ScanVisitor visitor, boolean repair) {
        this.dir = dir;
        this.files = files;
        this.visitor = visitor;
        this.repair = repair;
    }

    Result run() throws IOException {
        TreeMap<Long, Path> segments = new TreeMap<>();
        long highest = 0;
        for (JournalFiles.Entry e : files.list(dir)) {
            if (e.name().equals(Journal.LOCK_FILE)) {
                continue;
            }
            OptionalLong n = SegmentNames.parse(e.name());
            if (n.isEmpty()) {
                log.warn("journal: ignoring {} in {}: not a segment name", e.name(), dir);
                continue;
            }
            // Even an odd entry's name is never reused: creating a segment there would fail.
            highest = Math.max(highest, n.getAsLong());
            if (!e.regularFile()) {
                log.warn("journal: ignoring {} in {}: not a regular file", e.name(), dir);
                continue;
            }
            segments.put(n.getAsLong(), dir.resolve(e.name()));
        }
        List<Long> kept = new ArrayList<>();
        Long last = segments.isEmpty() ? null : segments.lastKey();
        for (Map.Entry<Long, Path> s : segments.entrySet()) {
            if (scanSegment(s.getKey(), s.getValue(), s.getKey().equals(last))) {
                kept.add(s.getKey());
            }
        }
        return new Result(kept, highest);
    }

    private void report(Corruption c) {
        log.warn("journal: segment {} damaged at offset {} ({} bytes, {}): {}", c.segment(), c.offset(), c.length(),
                c.type(), c.detail());
        visitor.corrupt(c);
    }

    /** False when the segment was deleted (a creation torn by a crash, holding nothing). */
    private boolean scanSegment(long number, Path path, boolean last) {
        SegmentChannel channel;
        try {
            channel = files.openSegment(path, repair && last);
        } catch (IOException e) {
            report(new Corruption(Corruption.Type.SEGMENT, number, 0, -1, "cannot be opened: " + e));
            return true;
        }
        long size = -1;
        long position = 0;
        try (channel) {
            size = channel.size();
            SegmentReader reader = new SegmentReader(channel);
            if (size < Frame.SEGMENT_HEADER) {
                if (last) {
                    return tornCreation(channel, number, path, size);
                }
                report(new Corruption(Corruption.Type.SEGMENT, number, 0, size, "shorter than a segment header"));
                return true;
            }
            String bad = Frame.checkSegmentHeader(reader.read(0, Frame.SEGMENT_HEADER), number);
            if (bad != null) {
                if (last && size == Frame.SEGMENT_HEADER && allZero(reader.read(0, Frame.SEGMENT_HEADER))) {
                    return tornCreation(channel, number, path, size);
                }
                report(new Corruption(Corruption.Type.SEGMENT, number, 0, size, bad));
                return true;
            }
            position = Frame.SEGMENT_HEADER;
            scanRecords(channel, reader, number, size, last, position);
            return true;
        } catch (IOException e) {
            report(new Corruption(Corruption.Type.SEGMENT, number, position, size, "read failed: " + e));
            return true;
        }
    }

    private void scanRecords(SegmentChannel channel, SegmentReader reader, long number, long size, boolean last,
            long start) throws IOException {
        long position = start;
        // In the newest segment a bad record is held back until something valid follows it: if
        // nothing does, it is part of the torn tail, not corruption.
        List<Corruption> held = new ArrayList<>();
        while (position < size) {
            long tornFrom = held.isEmpty() ? position : held.get(0).offset();
            if (size - position < Frame.HEADER) {
                if (last) {
                    tornTail(channel, number, tornFrom, size, "a partial record header");
                } else {
                    held.forEach(this::report);
                    report(new Corruption(Corruption.Type.REGION, number, position, size - position,
                            "a partial record header at the end of the segment"));
                }
                return;
            }
            ByteBuffer h = reader.read(position, Frame.HEADER);
            Frame.Header header = Frame.parse(h);
            if (header == null) {
                // The length cannot be trusted, so the next record's start is unknown. Searching
                // for it would risk taking bytes inside some payload (a message can carry anything)
                // for a record, so the rest of the segment is given up as one region.
                if (last && !validRecordAfter(reader, position + 1, size)) {
                    tornTail(channel, number, tornFrom, size, "bytes that are not a record");
                } else {
                    held.forEach(this::report);
                    report(new Corruption(Corruption.Type.REGION, number, position, size - position,
                            "bytes that are not a record (bad magic, header checksum or length)"));
                }
                return;
            }
            long end = position + Frame.HEADER + header.length();
            if (end > size) {
                if (last) {
                    tornTail(channel, number, tornFrom, size, "a record cut short");
                } else {
                    held.forEach(this::report);
                    report(new Corruption(Corruption.Type.REGION, number, position, size - position,
                            "a record running past the end of the segment"));
                }
                return;
            }
            int kind = header.kind();
            int head = last ? -1 : visitor.headOnly(kind);
            if (head >= 0 && head < header.length()) {
                // Only the head of a record in an older segment, unchecked: the visitor must check
                // the record whole before it trusts more than its place (a record the head covers
                // is read whole below, and checked, for the same cost).
                ByteBuffer prefix = reader.read(position + Frame.HEADER, Math.min(head, header.length()));
                held.forEach(this::report);
                held.clear();
                visitor.record(new RecordAddress(number, position, header.length()), kind, prefix.asReadOnlyBuffer());
                position = end;
                continue;
            }
            CRC32C crc = Frame.recordCrc(h);
            ByteBuffer payload = null;
            if (visitor.wantsPayload(kind)) {
                payload = reader.read(position + Frame.HEADER, header.length());
                crc.update(payload.duplicate());
            } else {
                for (long off = 0; off < header.length(); off += CHECK_CHUNK) {
                    int n = (int) Math.min(CHECK_CHUNK, header.length() - off);
                    crc.update(reader.read(position + Frame.HEADER + off, n));
                }
            }
            if ((int) crc.getValue() != header.recordCrc()) {
                Corruption c = new Corruption(Corruption.Type.RECORD, number, position, header.length(),
                        "payload checksum mismatch");
                if (last) {
                    held.add(c);
                } else {
                    report(c);
                }
            } else {
                held.forEach(this::report);
                held.clear();
                visitor.record(new RecordAddress(number, position, header.length()), kind,
                        payload == null ? null : payload.asReadOnlyBuffer());
            }
            position = end;
        }
        if (!held.isEmpty()) {
            tornTail(channel, number, held.get(0).offset(), size, "a record with a bad checksum at the end");
        }
    }

    /** Whether a whole, checksum-valid record starts anywhere in [from, size). */
    private static boolean validRecordAfter(SegmentReader reader, long from, long size) throws IOException {
        for (long p = from; p + Frame.HEADER <= size; p++) {
            ByteBuffer h = reader.read(p, Frame.HEADER);
            Frame.Header header = Frame.parse(h);
            if (header == null || p + Frame.HEADER + header.length() > size) {
                continue;
            }
            CRC32C crc = Frame.recordCrc(h);
            for (long off = 0; off < header.length(); off += CHECK_CHUNK) {
                int n = (int) Math.min(CHECK_CHUNK, header.length() - off);
                crc.update(reader.read(p + Frame.HEADER + off, n));
            }
            if ((int) crc.getValue() == header.recordCrc()) {
                return true;
            }
        }
        return false;
    }

    private void tornTail(SegmentChannel channel, long number, long from, long size, String what)
            throws IOException {
        log.info("journal: segment {} ends in a torn write ({} bytes from offset {}: {}); {}", number, size - from, from,
                what, repair ? "cut off" : "ignored");
        if (repair) {
            channel.truncate(from);
            channel.force();
        }
    }

    /** A newest segment whose header never reached the disk: no record can have been acknowledged in it. */
    private boolean tornCreation(SegmentChannel channel, long number, Path path, long size) throws IOException {
        log.info("journal: segment {} was torn while being created ({} bytes); {}", number, size,
                repair ? "removed" : "ignored");
        if (!repair) {
            return true;
        }
        channel.close();
        files.delete(path);
        files.forceDirectory(dir);
        return false;
    }

    private static boolean allZero(ByteBuffer b) {
        for (int i = b.position(); i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
