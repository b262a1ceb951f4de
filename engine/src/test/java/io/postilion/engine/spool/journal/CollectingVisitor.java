package io.postilion.engine.spool.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Keeps what a scan reported, payloads as strings. */
final class CollectingVisitor implements ScanVisitor {

    /** One intact record as the scan saw it. */
    record Seen(RecordAddress address, int kind, String payload) {
    }

    final List<Seen> records = new ArrayList<>();
    final List<Corruption> corruptions = new ArrayList<>();

    @Override
    public void record(RecordAddress address, int kind, ByteBuffer payload) {
        byte[] b = new byte[payload.remaining()];
        payload.get(b);
        records.add(new Seen(address, kind, new String(b, StandardCharsets.UTF_8)));
    }

    @Override
    public void corrupt(Corruption corruption) {
        corruptions.add(corruption);
    }

    List<String> payloads() {
        return records.stream().map(Seen::payload).toList();
    }
}
