/**
 * The segment journal: an append-only, group-committed log of opaque records, the storage engine
 * under a spool. It knows nothing of messages; a record is a kind byte and a payload. Nothing in
 * this package depends on the rest of the engine.
 *
 * <h2>Why</h2>
 *
 * The per-message spool pays one file flush per accepted message (about 0.75 ms on the reference
 * disk, so some 1,300 messages a second), while one flush covering 50 messages costs about 1.4
 * ms. The journal lets every session's records share flushes.
 *
 * <h2>Files</h2>
 *
 * A directory (mode 0700) of segment files {@code NNNNNNNNNNNNNNNN.seg}: the segment number in 16
 * lower-case hex digits, so names sort as numbers. Files are created with CREATE_NEW and mode 0600
 * (given at creation, not by a later chmod). Numbers only grow: each open starts a new segment
 * numbered after the highest segment-like name present, so no file is ever written again once a
 * later one exists. A writer moves to the next segment when a record would take the current one
 * past the size limit (64 MiB by default); a record bigger than the limit gets a segment alone.
 * {@code journal.lock} holds an exclusive lock while a journal is open.
 *
 * <p>All integers are big-endian. A segment starts with a 16-byte header:
 *
 * <pre>
 * offset  size  field
 *      0     4  magic "PJNL" (0x50 0x4A 0x4E 0x4C)
 *      4     4  format version, 1
 *      8     8  the segment's number (must match its file name)
 * </pre>
 *
 * then records, back to back, each a 14-byte header and the payload:
 *
 * <pre>
 * offset  size  field
 *      0     1  magic 0xA7 (never 0, so zero fill cannot pass for a record)
 *      1     1  kind: the caller's record type, stored, never interpreted
 *      2     4  payload length n, 0 &lt;= n &lt;= 2^30
 *      6     4  header check: CRC32C of bytes 0..5
 *     10     4  record check: CRC32C of bytes 0..5 followed by the n payload bytes
 *     14     n  payload
 * </pre>
 *
 * A {@link io.postilion.engine.spool.journal.RecordAddress} names a record by segment, the offset
 * of its header, and n; its payload lies at offset + 14, which is what
 * {@link io.postilion.engine.spool.journal.PayloadRegion} hands to a zero-copy sender. The header
 * has a check of its own so that a damaged payload can be told apart from a damaged length: only
 * a length that passed its check is used to step over a bad record.
 *
 * <h2>Group commit</h2>
 *
 * One writer thread owns the open segment. Appenders build the record header (checksum
 * included) on their own thread, put the record on a lock-free queue and unpark the writer if it
 * sleeps; they never wait. The writer takes everything queued (at most 1,024
 * records or 8 MiB), writes it with one gathering write, then, if any record asked for durability,
 * calls {@code FileChannel.force(false)} once and only then completes the durable appends.
 * Records that arrive during that force form the next batch. So under load one force covers many
 * appends, and when idle a lone append is written and forced at once: there is no timer and no
 * batching delay. Appends that do not ask for durability complete right after the write and are
 * covered by the next force. Before moving to a new segment the writer forces the old one; a new
 * segment's header and directory entry are forced before any record goes in. The Monos are
 * completed on the completion scheduler, never on the writer thread (see
 * {@link io.postilion.engine.spool.journal.Journal}). After a failed write or force the journal
 * takes no more records: the kernel may have dropped the unwritten pages, so nothing could be
 * acknowledged safely any more.
 *
 * <p>There is no benchmark among the unit tests (a shared build machine gives no stable numbers).
 * {@code JournalGroupCommitTest} prints the flush-to-append ratio it saw for 16 threads each
 * appending 500 records durably one after another; to measure throughput, time that test's
 * workload against the real disk the spool will use.
 *
 * <h2>Recovery</h2>
 *
 * Opening scans every segment in number order and checks every record. Damage never stops the
 * scan; it is logged and reported to the {@link io.postilion.engine.spool.journal.ScanVisitor} so
 * that the caller can quarantine what it kept there:
 * <ul>
 *   <li>A record whose header checks but whose payload does not: reported as a corrupt RECORD
 *       with its address; the scan goes on right after it.
 *   <li>Bytes that do not make a record header (wrong magic, header check or length), or a record
 *       running past the end of an older segment: the rest of that segment is reported as one
 *       corrupt REGION, and the scan goes on with the next segment. It does not hunt for the next
 *       record boundary: a payload (a message) may contain anything, including bytes that look
 *       like a valid record, and taking those for a record would be worse than losing the rest of
 *       the segment.
 *   <li>A segment that cannot be opened or read, or whose segment header is wrong: reported as a
 *       corrupt SEGMENT and skipped.
 *   <li>Directory entries that are not segments (another name, a directory, a FIFO, a link) are
 *       ignored with a warning.
 * </ul>
 *
 * <h2>Torn tails</h2>
 *
 * A crash during a write can leave the newest segment ending in any mix of written and unwritten
 * pages: a partial header, a length running past the end, zeros, or a whole record whose payload
 * never arrived. Since every older segment was forced before a newer one was created, only the
 * newest can end like this, and nothing in such a tail was ever acknowledged as durable. So in
 * the newest segment, damage that no valid record follows is a torn tail: it is cut off (the file
 * truncated and forced) with one info line, and not reported. Damage that a valid record does
 * follow is corruption, reported as above. The one case this cannot tell apart is an
 * acknowledged last record that later rotted on the disk: it looks exactly like a torn write. A
 * newest segment too short for its header (a crash while it was being created) holds nothing and
 * is removed.
 */
package io.postilion.engine.spool.journal;
