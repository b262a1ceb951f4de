package io.postilion.engine.spool.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalSegmentTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private Path dir() {
        return tmp.resolve("spool").resolve("journal");
    }

    private Journal open(long segmentBytes) throws IOException {
        return Journal.open(dir(), JournalOptions.defaults().withSegmentBytes(segmentBytes), ScanVisitor.ignoring());
    }

    @Test
    void theDirectoryIsCreated0700AndEverySegment0600() throws Exception {
        try (Journal j = open(256)) {
            for (int i = 0; i < 10; i++) {
                j.appendDurable(1, new byte[100]).block(WAIT);
            }
            assertTrue(j.segments().size() > 1);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir())));
            for (long n : j.segments()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(j.segmentPath(n))),
                        "segment " + n);
            }
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir().resolve(Journal.LOCK_FILE))));
        }
    }

    @Test
    void theWriterMovesToANewSegmentWhenARecordWouldPassTheSizeLimit() throws Exception {
        long limit = 512;
        List<RecordAddress> addresses = new ArrayList<>();
        try (Journal j = open(limit)) {
            for (int i = 0; i < 30; i++) {
                addresses.add(j.appendDurable(1, ("record " + i + " ".repeat(60)).getBytes(StandardCharsets.UTF_8))
                        .block(WAIT));
            }
            assertTrue(j.segments().size() >= 4, "segments: " + j.segments());
            for (long n : j.segments()) {
                assertTrue(Files.size(j.segmentPath(n)) <= limit, "segment " + n + " passed the limit");
            }
            for (int i = 1; i < addresses.size(); i++) {
                RecordAddress prev = addresses.get(i - 1);
                RecordAddress a = addresses.get(i);
                assertTrue(a.segment() == prev.segment() ? a.offset() == prev.end()
                        : a.segment() == prev.segment() + 1 && a.offset() == Frame.SEGMENT_HEADER);
            }
        }
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = Journal.open(dir(), JournalOptions.defaults(), v)) {
            assertEquals(30, v.records.size());
            assertEquals(addresses, v.records.stream().map(CollectingVisitor.Seen::address).toList());
        }
    }

    @Test
    void aRecordLargerThanTheLimitGetsASegmentOfItsOwn() throws Exception {
        try (Journal j = open(256)) {
            RecordAddress small = j.appendDurable(1, new byte[10]).block(WAIT);
            RecordAddress big = j.appendDurable(1, new byte[1000]).block(WAIT);
            RecordAddress after = j.appendDurable(1, new byte[10]).block(WAIT);
            assertEquals(small.segment() + 1, big.segment());
            assertEquals(Frame.SEGMENT_HEADER, big.offset());
            assertEquals(big.segment() + 1, after.segment());
            assertArrayEquals(new byte[1000], j.readBlocking(big));
        }
    }

    @Test
    void olderSegmentsCanBeDeletedButNeverTheOneBeingWritten() throws Exception {
        try (Journal j = open(256)) {
            for (int i = 0; i < 10; i++) {
                j.appendDurable(1, new byte[100]).block(WAIT);
            }
            List<Long> before = j.segments();
            long current = j.currentSegment();
            assertEquals(current, before.get(before.size() - 1));
            assertThrows(IllegalArgumentException.class, () -> j.deleteSegment(current));
            assertThrows(IllegalArgumentException.class, () -> j.deleteSegment(current + 1));
            assertTrue(j.deleteSegment(before.get(0)).block(WAIT));
            assertFalse(Files.exists(j.segmentPath(before.get(0))));
            assertFalse(j.deleteSegment(before.get(0)).block(WAIT), "deleting twice finds nothing");
            assertEquals(before.subList(1, before.size()), j.segments());
            j.appendDurable(1, new byte[10]).block(WAIT);
        }
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = Journal.open(dir(), JournalOptions.defaults(), v)) {
            assertEquals(List.of(), v.corruptions);
            assertFalse(v.records.stream().anyMatch(s -> s.address().segment() == 1));
        }
    }

    @Test
    void aPayloadReadsBackAndItsRegionIsExactlyItsBytesInTheSegmentFile() throws Exception {
        byte[] content = "Subject: hi\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        try (Journal j = open(JournalOptions.DEFAULT_SEGMENT_BYTES)) {
            j.appendDurable(1, "envelope".getBytes(StandardCharsets.UTF_8)).block(WAIT);
            RecordAddress a = j.appendDurable(2, ByteBuffer.wrap(content)).block(WAIT);
            assertArrayEquals(content, j.read(a).block(WAIT));
            PayloadRegion r = j.region(a);
            assertEquals(j.segmentPath(a.segment()), r.file());
            assertEquals(content.length, r.length());
            ByteBuffer fromFile = ByteBuffer.allocate((int) r.length());
            try (FileChannel ch = FileChannel.open(r.file(), StandardOpenOption.READ)) {
                ch.read(fromFile, r.offset());
            }
            assertArrayEquals(content, fromFile.array());
        }
    }

    @Test
    void onlyTheRemainingBytesOfABufferAreAppendedAndItsPositionStays() throws Exception {
        ByteBuffer b = ByteBuffer.wrap("xxHELLOyy".getBytes(StandardCharsets.US_ASCII)).position(2).limit(7);
        try (Journal j = open(JournalOptions.DEFAULT_SEGMENT_BYTES)) {
            RecordAddress a = j.appendDurable(1, b).block(WAIT);
            assertEquals(2, b.position());
            assertEquals("HELLO", new String(j.readBlocking(a), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aReadOfARecordThatRottedFailsItsChecksum() throws Exception {
        try (Journal j = open(JournalOptions.DEFAULT_SEGMENT_BYTES)) {
            RecordAddress a = j.appendDurable(1, "fragile".getBytes(StandardCharsets.UTF_8)).block(WAIT);
            try (FileChannel ch = FileChannel.open(j.segmentPath(a.segment()), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {'F'}), a.payloadOffset());
            }
            IOException e = assertThrows(IOException.class, () -> j.readBlocking(a));
            assertTrue(e.getMessage().contains("checksum"), e.getMessage());
            assertThrows(IOException.class, () -> j.readBlocking(new RecordAddress(a.segment(), a.offset() + 1, a.length())));
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefusedWhileTheFirstIsOpen() throws Exception {
        try (Journal j = open(JournalOptions.DEFAULT_SEGMENT_BYTES)) {
            assertThrows(IOException.class, () -> open(JournalOptions.DEFAULT_SEGMENT_BYTES));
        }
        try (Journal again = open(JournalOptions.DEFAULT_SEGMENT_BYTES)) {
            assertEquals(2, again.currentSegment());
        }
    }

    @Test
    void kindsOutsideAByteAndOversizedPayloadsAreRefused() throws Exception {
        try (Journal j = open(JournalOptions.DEFAULT_SEGMENT_BYTES)) {
            assertThrows(IllegalArgumentException.class, () -> j.append(256, new byte[1]));
            assertThrows(IllegalArgumentException.class, () -> j.append(-1, new byte[1]));
            ByteBuffer huge = ByteBuffer.allocate(0).limit(0);
            assertEquals(0, j.appendDurable(255, huge).block(WAIT).length());
        }
    }
}
