package io.postilion.engine.spool.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Fuzzes the journal's recovery scan, which reads whatever a crash, a bad disk or a hostile local
 * user left in the journal directory. Each input writes a real journal of a few small segments,
 * then damages it as the fuzzer says (bytes changed, a segment cut short or extended with
 * garbage, a segment of arbitrary bytes added after the others) and opens it again, as the
 * relay's recovery does, asking for the envelope only of some records. For any damage: the open
 * neither throws nor stops; every record of a segment left untouched is found, with its bytes;
 * no record handed over whole is found at an address that held another one with other bytes; and
 * the journal takes, and gives back after another open, a new record. A head handed over alone
 * is unchecked by contract ({@link ScanVisitor#headOnly}): in a damaged segment it may differ,
 * and the spool checks the record whole before it uses it (JournalSpoolTest covers that). In a normal build this replays the
 * seeds under {@code JournalScanFuzzTestInputs/anyDamagedJournal}.
 */
class JournalScanFuzzTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @FuzzTest(maxDuration = "30s")
    void anyDamagedJournal(FuzzedDataProvider data) throws IOException {
        Path root = Files.createTempDirectory(Files.isWritable(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(
                System.getProperty("java.io.tmpdir")), "journal-fuzz");
        try {
            run(data, root.resolve("journal"));
        } finally {
            try (Stream<Path> all = Files.walk(root)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void run(FuzzedDataProvider data, Path dir) throws IOException {
        JournalOptions options = JournalOptions.defaults().withSegmentBytes(256);
        Map<RecordAddress, byte[]> written = new HashMap<>();
        int records = data.consumeInt(1, 12);
        try (Journal j = Journal.open(dir, options, ScanVisitor.ignoring())) {
            for (int i = 0; i < records; i++) {
                byte[] payload = data.consumeBytes(data.consumeInt(0, 120));
                RecordAddress a = j.appendDurable(data.consumeInt(1, 3), payload).block(WAIT);
                written.put(a, payload);
            }
        }
        Set<Long> touched = new HashSet<>();
        List<Long> segments = segmentsIn(dir);
        int damages = data.consumeInt(0, 3);
        for (int d = 0; d < damages && !segments.isEmpty(); d++) {
            long n = segments.get(data.consumeInt(0, segments.size() - 1));
            Path file = dir.resolve(SegmentNames.name(n));
            byte[] bytes = Files.readAllBytes(file);
            switch (data.consumeInt(0, 3)) {
                case 0 -> { // bytes changed in place
                    if (bytes.length > 0) {
                        int at = data.consumeInt(0, bytes.length - 1);
                        byte[] with = data.consumeBytes(Math.min(16, bytes.length - at));
                        System.arraycopy(with, 0, bytes, at, with.length);
                    }
                }
                case 1 -> bytes = java.util.Arrays.copyOf(bytes, data.consumeInt(0, bytes.length)); // cut short
                case 2 -> { // garbage after the end
                    byte[] more = data.consumeBytes(64);
                    byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + more.length);
                    System.arraycopy(more, 0, longer, bytes.length, more.length);
                    bytes = longer;
                }
                default -> { // a new segment of arbitrary bytes, newest of all
                    n = segments.get(segments.size() - 1) + 1 + data.consumeInt(0, 3);
                    file = dir.resolve(SegmentNames.name(n));
                    bytes = data.consumeBytes(300);
                }
            }
            Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            touched.add(n);
        }

        Map<RecordAddress, byte[]> found = new HashMap<>();
        Set<RecordAddress> headsOnly = new HashSet<>();
        int headBytes = data.consumeInt(-1, 40);
        ScanVisitor visitor = new ScanVisitor() {
            @Override
            public int headOnly(int kind) {
                return kind == 1 ? headBytes : -1;
            }

            @Override
            public void record(RecordAddress address, int kind, ByteBuffer payload) {
                byte[] b = new byte[payload.remaining()];
                payload.get(b);
                found.put(address, b);
                if (b.length < address.length()) {
                    headsOnly.add(address);
                }
            }

            @Override
            public void corrupt(Corruption corruption) {
                assertTrue(corruption.offset() >= 0 && corruption.length() >= 0, corruption.toString());
            }
        };
        RecordAddress added;
        try (Journal j = Journal.open(dir, options, visitor)) {
            for (Map.Entry<RecordAddress, byte[]> w : written.entrySet()) {
                RecordAddress a = w.getKey();
                byte[] seen = found.get(a);
                if (!touched.contains(a.segment())) {
                    assertTrue(seen != null, "a record of an untouched segment was not found: " + a);
                }
                if (seen != null && !(headsOnly.contains(a) && touched.contains(a.segment()))) {
                    byte[] expected = headsOnly.contains(a) ? java.util.Arrays.copyOf(w.getValue(), seen.length) : w.getValue();
                    assertEquals(ByteBuffer.wrap(expected), ByteBuffer.wrap(seen), "other bytes at " + a);
                }
            }
            added = j.appendDurable(2, new byte[] {'o', 'k'}).block(WAIT);
        }
        List<RecordAddress> again = new ArrayList<>();
        try (Journal j = Journal.open(dir, options, new ScanVisitor() {
            @Override
            public void record(RecordAddress address, int kind, ByteBuffer payload) {
                if (address.equals(added)) {
                    again.add(address);
                }
            }

            @Override
            public void corrupt(Corruption corruption) {
            }
        })) {
            assertEquals(List.of(added), again, "the record appended after the damage was not found again");
        }
    }

    private static List<Long> segmentsIn(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> SegmentNames.parse(p.getFileName().toString())).filter(java.util.OptionalLong::isPresent)
                    .map(java.util.OptionalLong::getAsLong).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
