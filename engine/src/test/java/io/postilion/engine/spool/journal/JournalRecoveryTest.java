package io.postilion.engine.spool.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class JournalRecoveryTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private final RecordingJournalFiles files = new RecordingJournalFiles();

    private Path dir() {
        return tmp.resolve("journal");
    }

    private Journal open(CollectingVisitor v) throws IOException {
        return open(v, JournalOptions.DEFAULT_SEGMENT_BYTES);
    }

    private Journal open(CollectingVisitor v, long segmentBytes) throws IOException {
        return Journal.open(dir(), JournalOptions.defaults().withFiles(files).withSegmentBytes(segmentBytes), v);
    }

    /** Writes {@code payloads} durably in one session and returns their addresses. */
    private List<RecordAddress> session(long segmentBytes, String... payloads) throws IOException {
        List<RecordAddress> out = new ArrayList<>();
        try (Journal j = open(new CollectingVisitor(), segmentBytes)) {
            for (String p : payloads) {
                out.add(j.appendDurable(9, p.getBytes(StandardCharsets.UTF_8)).block(WAIT));
            }
        }
        return out;
    }

    private List<RecordAddress> session(String... payloads) throws IOException {
        return session(JournalOptions.DEFAULT_SEGMENT_BYTES, payloads);
    }

    private Path segment(long n) {
        return dir().resolve(SegmentNames.name(n));
    }

    private static void appendBytes(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    private static void flipByte(Path file, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) ~b.get(0)).rewind();
            ch.write(b, at);
        }
    }

    @Test
    void recordsComeBackInOrderWithTheirKindsAndAddressesAfterReopen() throws Exception {
        List<RecordAddress> written = session("one", "two", "three");
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals(List.of("one", "two", "three"), v.payloads());
            assertEquals(written, v.records.stream().map(CollectingVisitor.Seen::address).toList());
            assertTrue(v.records.stream().allMatch(s -> s.kind() == 9));
            assertTrue(v.corruptions.isEmpty());
            assertEquals("two", new String(j.read(written.get(1)).block(WAIT), StandardCharsets.UTF_8));
        }
    }

    /** The shapes a crash in the middle of a write leaves at the end of the newest segment. */
    enum Tear {
        PARTIAL_HEADER, LENGTH_PAST_THE_END, ZERO_FILL, PAYLOAD_NEVER_WRITTEN
    }

    @ParameterizedTest
    @EnumSource(Tear.class)
    void aTornTailAtTheEndOfTheLastSegmentIsCutSilentlyAndLaterAppendsStillWorkAfterReopen(Tear tear) throws Exception {
        List<RecordAddress> written = session("alpha", "beta", "gamma");
        Path last = segment(1);
        long cleanEnd = written.get(2).end();
        assertEquals(cleanEnd, Files.size(last));
        switch (tear) {
            case PARTIAL_HEADER -> appendBytes(last, new byte[] {Frame.MAGIC, 9, 0, 0});
            case LENGTH_PAST_THE_END -> {
                ByteBuffer h = ByteBuffer.allocate(Frame.HEADER);
                Frame.writeHeader(h, 9, ByteBuffer.wrap(new byte[1000]));
                appendBytes(last, Arrays.copyOf(h.array(), Frame.HEADER + 10));
            }
            case ZERO_FILL -> appendBytes(last, new byte[4096]);
            case PAYLOAD_NEVER_WRITTEN -> {
                ByteBuffer h = ByteBuffer.allocate(Frame.HEADER);
                byte[] payload = "delta, whose page never reached the disk".getBytes(StandardCharsets.UTF_8);
                Frame.writeHeader(h, 9, ByteBuffer.wrap(payload));
                byte[] torn = Arrays.copyOf(h.array(), Frame.HEADER + payload.length); // zeros for the payload
                appendBytes(last, torn);
            }
        }

        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals(List.of("alpha", "beta", "gamma"), v.payloads());
            assertEquals(List.of(), v.corruptions, "a torn tail is not corruption");
            assertEquals(cleanEnd, Files.size(last), "the torn tail was cut off");
            j.appendDurable(9, "epsilon".getBytes(StandardCharsets.UTF_8)).block(WAIT);
        }
        CollectingVisitor again = new CollectingVisitor();
        try (Journal j = open(again)) {
            assertEquals(List.of("alpha", "beta", "gamma", "epsilon"), again.payloads());
            assertEquals(List.of(), again.corruptions);
        }
    }

    @Test
    void aCorruptRecordInTheMiddleOfTheLastSegmentIsReportedWithItsAddressAndTheRestIsRecovered() throws Exception {
        List<RecordAddress> written = session("r1", "r2", "r3", "r4", "r5");
        RecordAddress bad = written.get(2);
        flipByte(segment(1), bad.payloadOffset() + 1);

        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals(List.of("r1", "r2", "r4", "r5"), v.payloads());
            assertEquals(1, v.corruptions.size());
            Corruption c = v.corruptions.get(0);
            assertEquals(Corruption.Type.RECORD, c.type());
            assertEquals(bad, c.address());
            assertEquals(written.get(4).end(), Files.size(segment(1)), "corruption is not cut off like a torn tail");
        }
    }

    @Test
    void aCorruptRecordInAnOlderSegmentIsReportedAndTheScanGoesOnAfterIt() throws Exception {
        List<RecordAddress> written = session(256, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "b", "c", "d", "e",
                "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p");
        assertTrue(written.get(written.size() - 1).segment() > 1, "the records should span segments");
        RecordAddress bad = written.get(0);
        flipByte(segment(1), bad.payloadOffset() + 3);
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals(List.of("b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p"), v.payloads());
            assertEquals(1, v.corruptions.size());
            assertEquals(bad, v.corruptions.get(0).address());
        }
    }

    @Test
    void aDamagedRecordHeaderGivesUpTheRestOfItsSegmentAsOneRegionButNotTheNextSegment() throws Exception {
        List<RecordAddress> written = session(256, "first", "second", "third", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
                "in segment two");
        assertEquals(1, written.get(2).segment());
        assertEquals(2, written.get(written.size() - 1).segment());
        RecordAddress hit = written.get(1);
        flipByte(segment(1), hit.offset() + 3); // the length: the header check fails
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals("first", v.payloads().get(0));
            assertTrue(v.payloads().contains("in segment two"));
            assertFalse(v.payloads().contains("second"));
            assertFalse(v.payloads().contains("third"), "nothing is taken from the rest of a segment without framing");
            assertEquals(1, v.corruptions.size());
            Corruption c = v.corruptions.get(0);
            assertEquals(Corruption.Type.REGION, c.type());
            assertEquals(1, c.segment());
            assertEquals(hit.offset(), c.offset());
            assertEquals(Files.size(segment(1)) - hit.offset(), c.length());
        }
    }

    @Test
    void damageThatAValidRecordFollowsInTheLastSegmentIsReportedNotCutOff() throws Exception {
        List<RecordAddress> written = session("keep1", "hit", "keep2");
        flipByte(segment(1), written.get(1).offset()); // the magic byte
        long size = Files.size(segment(1));
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals(List.of("keep1"), v.payloads());
            assertEquals(1, v.corruptions.size());
            assertEquals(Corruption.Type.REGION, v.corruptions.get(0).type());
            assertEquals(size, Files.size(segment(1)), "bytes that may hold acknowledged records are kept");
        }
    }

    @Test
    void aSegmentThatCannotBeReadIsReportedAndSkippedAndTheOthersAreRecovered() throws Exception {
        session("in one");
        session("in two");
        session("in three");
        files.unopenable.add(2L);
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals(List.of("in one", "in three"), v.payloads());
            assertEquals(1, v.corruptions.size());
            assertEquals(Corruption.Type.SEGMENT, v.corruptions.get(0).type());
            assertEquals(2, v.corruptions.get(0).segment());
            assertEquals(4, j.currentSegment());
        }
    }

    @Test
    void aSegmentWhoseHeaderNamesAnotherSegmentIsReportedAndSkipped() throws Exception {
        session("one");
        session("two");
        Files.copy(segment(1), segment(3)); // a stray copy: its header still says 1
        session("four");
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals(List.of("one", "two", "four"), v.payloads());
            assertEquals(1, v.corruptions.size());
            assertEquals(3, v.corruptions.get(0).segment());
            assertEquals(Corruption.Type.SEGMENT, v.corruptions.get(0).type());
        }
    }

    @Test
    void oddDirectoryEntriesAreIgnoredAndNoSegmentLikeNameIsReused() throws Exception {
        session("before");
        Files.createDirectory(dir().resolve(SegmentNames.name(9)));
        Files.writeString(dir().resolve("notes.txt"), "hello");
        Files.writeString(dir().resolve("0000000000000002.seg.tmp"), "partial");
        Files.writeString(dir().resolve("00000000000000AB.SEG"), "upper case");
        Files.createSymbolicLink(dir().resolve(SegmentNames.name(0xb)), segment(1));
        Path fifo = dir().resolve(SegmentNames.name(0xa));
        boolean madeFifo = mkfifo(fifo);
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals(List.of("before"), v.payloads(), "the link to segment 1 is not read a second time");
            assertEquals(List.of(), v.corruptions);
            assertEquals(0xc, j.currentSegment(), "the new segment is numbered after every segment-like name");
            assertEquals(List.of(1L, 0xcL), j.segments());
            j.appendDurable(1, "after".getBytes(StandardCharsets.UTF_8)).block(WAIT);
        }
        assumeTrue(madeFifo, "mkfifo is not available; the FIFO case was not tried");
    }

    private static boolean mkfifo(Path at) throws InterruptedException {
        try {
            return new ProcessBuilder("mkfifo", at.toString()).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void reopenContinuesNumberingAfterTheHighestSegmentAndLeavesOldSegmentsUntouched() throws Exception {
        session("s1");
        byte[] one = Files.readAllBytes(segment(1));
        session("s2");
        session("s3");
        assertTrue(Arrays.equals(one, Files.readAllBytes(segment(1))));
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals(4, j.currentSegment());
            assertEquals(List.of(1L, 2L, 3L, 4L), j.segments());
            assertEquals(List.of("s1", "s2", "s3"), v.payloads());
        }
        assertTrue(files.events("create").stream().map(RecordingJournalFiles.Event::segment).distinct().count()
                == files.events("create").size(), "a segment was created twice");
    }

    @Test
    void creatingASegmentNeverOverwritesAnExistingFile() throws Exception {
        Path taken = tmp.resolve(SegmentNames.name(1));
        Files.writeString(taken, "precious");
        org.junit.jupiter.api.Assertions.assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> JournalFiles.system().createSegment(taken));
        assertEquals("precious", Files.readString(taken));
    }

    @Test
    void aNewestSegmentTornWhileBeingCreatedIsRemovedAndNumberingGoesOn() throws Exception {
        session("kept");
        Files.write(segment(2), new byte[7]);
        CollectingVisitor v = new CollectingVisitor();
        try (Journal j = open(v)) {
            assertEquals(List.of("kept"), v.payloads());
            assertEquals(List.of(), v.corruptions);
            assertFalse(Files.exists(segment(2)));
            assertEquals(3, j.currentSegment());
        }
    }

    @Test
    void anOfflineScanReportsTheSameRecordsButRepairsNothing() throws Exception {
        session("x", "y");
        appendBytes(segment(1), new byte[100]);
        long size = Files.size(segment(1));
        CollectingVisitor v = new CollectingVisitor();
        assertEquals(List.of(1L), Journal.scan(dir(), JournalFiles.system(), v));
        assertEquals(List.of("x", "y"), v.payloads());
        assertEquals(size, Files.size(segment(1)));
    }

    @Test
    void aVisitorThatDeclinesPayloadsStillHasThemChecked() throws Exception {
        List<RecordAddress> written = session("big content", "other");
        flipByte(segment(1), written.get(0).payloadOffset());
        List<RecordAddress> seen = new ArrayList<>();
        List<Corruption> bad = new ArrayList<>();
        try (Journal j = Journal.open(dir(), JournalOptions.defaults(), new ScanVisitor() {
            @Override
            public boolean wantsPayload(int kind) {
                return false;
            }

            @Override
            public void record(RecordAddress address, int kind, ByteBuffer payload) {
                assertEquals(null, payload);
                seen.add(address);
            }

            @Override
            public void corrupt(Corruption corruption) {
                bad.add(corruption);
            }
        })) {
            assertEquals(List.of(written.get(1)), seen);
            assertEquals(written.get(0), bad.get(0).address());
        }
    }
}
