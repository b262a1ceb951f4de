package io.postilion.engine.spool.journal;

import java.nio.file.Path;

/**
 * A record's payload as a stretch of its segment file, so that a delivery can send it with
 * zero-copy file transfer (a Netty FileRegion, sendfile) instead of reading it through the heap.
 * It stays valid while the segment exists: the caller must not release a segment it still
 * streams from (an already opened file keeps working after a delete on Linux).
 */
public record PayloadRegion(Path file, long offset, long length) {
}
