package io.postilion.engine.spool.journal;

import java.io.IOException;

/**
 * A record read back from the journal is not what was written there: no record header at its
 * address, or one of another length, or a payload that fails its checksum. Distinct from an I/O
 * error, which may pass: these bytes will read the same way next time, so the caller sets the
 * record aside rather than trying again.
 */
public final class DamagedRecordException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient RecordAddress address;

    DamagedRecordException(RecordAddress address, String detail) {
        super("journal record at " + address + ": " + detail);
        this.address = address;
    }

    /** Where the damaged record lies. */
    public RecordAddress address() {
        return address;
    }
}
