package io.postilion.engine.spool;

import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Notify;
import io.postilion.transport.protocol.Ret;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * The queue file format: a magic number and version, then records of
 * {@code [type byte][length int][payload][CRC32C int]}: E (envelope), R (one per recipient),
 * C (the content, CRLF lines, not dot-stuffed), then S records appended as recipients are decided.
 *
 * <p>Why checksums: a crash can tear the last append, and a disk can rot. A bad or short record
 * after the content is a torn status append and is ignored (that recipient is simply tried
 * again); a bad record before the content's end makes the whole file corrupt.
 */
public final class QueueFile {

    static final byte[] MAGIC = {'P', 'S', 'T', 'Q', 1};
    static final byte ENVELOPE = 'E';
    static final byte RECIPIENT = 'R';
    static final byte CONTENT = 'C';
    static final byte STATUS = 'S';

    private QueueFile() {
    }

    /** A file's envelope and content, and where the content sits in the file. */
    public record Encoded(byte[] bytes, long contentOffset, long contentLength) {
    }

    /**
     * One recorded recipient result, by the recipient's queue index. On disk the outcome and the
     * status are stable codes ({@link Outcome#code()}, {@code x.y.z}), never Java names, so a
     * renamed constant cannot make a queue unreadable.
     */
    public record Status(int index, Outcome outcome, DsnStatus status, String reason, Instant at) {
    }

    /** What a queue file holds. */
    public record Decoded(ReceivedMessage envelope, long contentOffset, long contentLength, List<Status> statuses,
            boolean tornTail) {
    }

    /** Thrown for a file that cannot be used: it goes to corrupt/. */
    public static final class CorruptQueueFile extends Exception {
        CorruptQueueFile(String message) {
            super(message);
        }
    }

    public static Encoded encode(ReceivedMessage m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(m.content().length + 512);
        out.writeBytes(MAGIC);
        Fields e = new Fields()
                .text(m.queueId()).text(m.sender()).text(bodyCode(m.bodyType())).bool(m.smtputf8()).text(m.envId())
                .text(retCode(m.ret())).number(m.arrival().toEpochMilli()).text(m.client().address())
                .text(m.client().helo()).bool(m.client().tls()).text(m.client().authenticatedAs())
                .bool(m.headersUtf8()) // added later: a file without it reads as "no UTF-8 header"
                // added later still: a file without them reads as "no REQUIRETLS, no TLS-Required: no"
                .bool(m.tls().requireTls()).bool(m.tls().tlsRequiredNo());
        record(out, ENVELOPE, e.bytes());
        for (ReceivedMessage.Recipient r : m.recipients()) {
            StringBuilder notify = new StringBuilder();
            for (Notify n : r.notifyOn()) {
                notify.append(notify.length() > 0 ? "," : "").append(notifyCode(n));
            }
            record(out, RECIPIENT, new Fields().text(r.address()).text(notify.toString()).text(r.orcpt()).bytes());
        }
        long contentOffset = out.size() + 5;
        record(out, CONTENT, m.content());
        return new Encoded(out.toByteArray(), contentOffset, m.content().length);
    }

    /** One status record, to append. */
    public static byte[] status(Status s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        record(out, STATUS, new Fields().number(s.index()).text(s.outcome().code()).text(s.status().text()).text(s.reason())
                .number(s.at().toEpochMilli()).bytes());
        return out.toByteArray();
    }

    /**
     * The envelope and recipients of a queue file, and where its content lies, read from the
     * file's first bytes only (the content itself is neither read nor checked); null when
     * {@code head} ends before the content record begins. Recovery uses it so a restart does not
     * read message bodies.
     */
    public static Decoded decodeHead(ByteBuffer head) throws CorruptQueueFile {
        ByteBuffer in = head.duplicate();
        byte[] magic = new byte[MAGIC.length];
        if (in.remaining() < MAGIC.length) {
            return null;
        }
        in.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new CorruptQueueFile("not a queue file of this version");
        }
        byte[] bytes = new byte[in.remaining()];
        in.get(bytes);
        int base = MAGIC.length;
        ByteBuffer r = ByteBuffer.wrap(bytes);
        Fields envelope = null;
        List<Fields> recipients = new ArrayList<>();
        while (r.remaining() >= 5) {
            int start = r.position();
            byte type = r.get();
            int length = r.getInt();
            if (length < 0) {
                throw new CorruptQueueFile("a record of type " + (char) type + " has a negative length");
            }
            if (type == CONTENT) {
                if (envelope == null || recipients.isEmpty()) {
                    throw new CorruptQueueFile("the envelope or the recipients are missing");
                }
                return new Decoded(envelopeOf(envelope, recipients), base + start + 5, length, List.of(), false);
            }
            if (length > r.remaining() - 4) { // (not length + 4: a length near 2^31 would wrap round)
                return null; // the head ends inside this record
            }
            int payload = r.position();
            r.position(payload + length);
            if (r.getInt() != crc(bytes, start, payload + length)) {
                throw new CorruptQueueFile("checksum mismatch in a record of type " + (char) type);
            }
            Fields f = new Fields(bytes, payload, length);
            switch (type) {
                case ENVELOPE -> envelope = f;
                case RECIPIENT -> recipients.add(f);
                default -> throw new CorruptQueueFile("unexpected record type " + (type & 0xff) + " before the content");
            }
        }
        return null;
    }

    /** Reads a whole file's bytes; the content is referred to by offset, not copied. */
    public static Decoded decode(byte[] file) throws CorruptQueueFile {
        ByteBuffer in = ByteBuffer.wrap(file);
        byte[] magic = new byte[MAGIC.length];
        if (file.length < MAGIC.length) {
            throw new CorruptQueueFile("too short for a queue file (" + file.length + " bytes)");
        }
        in.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new CorruptQueueFile("not a queue file of this version");
        }
        Fields envelope = null;
        List<Fields> recipients = new ArrayList<>();
        long contentOffset = -1;
        long contentLength = -1;
        List<Status> statuses = new ArrayList<>();
        boolean torn = false;
        while (in.hasRemaining()) {
            boolean afterContent = contentOffset >= 0;
            if (in.remaining() < 9) {
                if (afterContent) {
                    torn = true;
                    break;
                }
                throw new CorruptQueueFile("a record is cut short before the content's end");
            }
            int start = in.position();
            byte type = in.get();
            int length = in.getInt();
            if (length < 0 || length > in.remaining() - 4) {
                if (afterContent) {
                    torn = true;
                    break;
                }
                throw new CorruptQueueFile("a record of type " + (char) type + " runs past the end of the file");
            }
            int payload = in.position();
            in.position(payload + length);
            int crc = in.getInt();
            if (crc != crc(file, start, payload + length)) {
                if (afterContent) {
                    torn = true;
                    break;
                }
                throw new CorruptQueueFile("checksum mismatch in a record of type " + (char) type);
            }
            Fields f = new Fields(file, payload, length);
            switch (type) {
                case ENVELOPE -> envelope = f;
                case RECIPIENT -> recipients.add(f);
                case CONTENT -> {
                    contentOffset = payload;
                    contentLength = length;
                }
                case STATUS -> {
                    Status st = statusOf(f);
                    if (st == null) { // a checksummed record we cannot read: that recipient is tried again
                        torn = true;
                    } else {
                        statuses.add(st);
                    }
                }
                default -> throw new CorruptQueueFile("unknown record type " + (type & 0xff));
            }
        }
        if (envelope == null || contentOffset < 0 || recipients.isEmpty()) {
            throw new CorruptQueueFile("the envelope, the recipients or the content is missing");
        }
        return new Decoded(envelopeOf(envelope, recipients), contentOffset, contentLength, statuses, torn);
    }

    private static ReceivedMessage envelopeOf(Fields e, List<Fields> rs) throws CorruptQueueFile {
        try {
            String queueId = e.readText();
            String sender = e.readText();
            BodyType body = bodyOf(e.readText());
            boolean utf8 = e.readBool();
            String envId = e.readText();
            Ret ret = retOf(e.readText());
            Instant arrival = Instant.ofEpochMilli(e.readNumber());
            ReceivedMessage.Client client = new ReceivedMessage.Client(e.readText(), e.readText(), e.readBool(), e.readText());
            boolean headersUtf8 = e.more() && e.readBool();
            boolean requireTls = e.more() && e.readBool();
            boolean tlsRequiredNo = e.more() && e.readBool();
            List<ReceivedMessage.Recipient> recipients = new ArrayList<>();
            for (Fields r : rs) {
                String address = r.readText();
                Set<Notify> notify = EnumSet.noneOf(Notify.class);
                for (String n : r.readText().split(",")) {
                    if (!n.isEmpty()) {
                        notify.add(notifyOf(n));
                    }
                }
                recipients.add(new ReceivedMessage.Recipient(address, notify, r.readText()));
            }
            return new ReceivedMessage(queueId, sender, recipients, body, utf8, envId, ret, new byte[0], client, arrival,
                    headersUtf8, new io.postilion.engine.delivery.TlsRequest(requireTls, tlsRequiredNo));
        } catch (RuntimeException bad) {
            throw new CorruptQueueFile("an envelope field is unreadable: " + bad.getMessage());
        }
    }

    /**
     * One status record as {@link #status} wrote it (kept apart from its file, as the journal
     * keeps it); null when it is not one or cannot be read.
     */
    static Status statusRecord(byte[] record) {
        if (record.length < 9 || record[0] != STATUS) {
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(record);
        in.get();
        int length = in.getInt();
        if (length < 0 || length != record.length - 9 || in.getInt(5 + length) != crc(record, 0, 5 + length)) {
            return null;
        }
        return statusOf(new Fields(record, 5, length));
    }

    private static Status statusOf(Fields f) {
        try {
            return new Status((int) f.readNumber(), Outcome.ofCode(f.readText()), DsnStatus.parse(f.readText()),
                    f.readText(), Instant.ofEpochMilli(f.readNumber()));
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    // The stable codes of the envelope's enumerations. Files written before the codes existed hold
    // the Java constant names; those are read too, so an old spool converts as it is read.

    private static String bodyCode(BodyType t) {
        return switch (t) {
            case SEVEN_BIT -> "7bit";
            case EIGHT_BIT -> "8bit";
            case UNKNOWN -> "unknown";
        };
    }

    private static BodyType bodyOf(String code) {
        return switch (code) {
            case "7bit", "SEVEN_BIT" -> BodyType.SEVEN_BIT;
            case "8bit", "EIGHT_BIT" -> BodyType.EIGHT_BIT;
            case "unknown", "UNKNOWN" -> BodyType.UNKNOWN;
            default -> throw new IllegalArgumentException("body type \"" + code + "\"");
        };
    }

    private static String retCode(Ret r) {
        return switch (r) {
            case NONE -> "";
            case FULL -> "full";
            case HDRS -> "hdrs";
        };
    }

    private static Ret retOf(String code) {
        return switch (code) {
            case "", "NONE" -> Ret.NONE;
            case "full", "FULL" -> Ret.FULL;
            case "hdrs", "HDRS" -> Ret.HDRS;
            default -> throw new IllegalArgumentException("RET \"" + code + "\"");
        };
    }

    private static String notifyCode(Notify n) {
        return switch (n) {
            case NEVER -> "never";
            case SUCCESS -> "success";
            case FAILURE -> "failure";
            case DELAY -> "delay";
        };
    }

    private static Notify notifyOf(String code) {
        return switch (code) {
            case "never", "NEVER" -> Notify.NEVER;
            case "success", "SUCCESS" -> Notify.SUCCESS;
            case "failure", "FAILURE" -> Notify.FAILURE;
            case "delay", "DELAY" -> Notify.DELAY;
            default -> throw new IllegalArgumentException("NOTIFY \"" + code + "\"");
        };
    }

    private static void record(ByteArrayOutputStream out, byte type, byte[] payload) {
        byte[] head = ByteBuffer.allocate(5).put(type).putInt(payload.length).array();
        CRC32C crc = new CRC32C();
        crc.update(head);
        crc.update(payload);
        out.writeBytes(head);
        out.writeBytes(payload);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static int crc(byte[] file, int from, int to) {
        CRC32C crc = new CRC32C();
        crc.update(file, from, to - from);
        return (int) crc.getValue();
    }

    /** Length-prefixed UTF-8 texts and 8-byte numbers, in order. */
    private static final class Fields {
        private final ByteArrayOutputStream out;
        private final ByteBuffer in;

        Fields() {
            this.out = new ByteArrayOutputStream(128);
            this.in = null;
        }

        Fields(byte[] file, int offset, int length) {
            this.out = null;
            this.in = ByteBuffer.wrap(file, offset, length).slice();
        }

        Fields text(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
            out.writeBytes(b);
            return this;
        }

        Fields number(long n) {
            out.writeBytes(ByteBuffer.allocate(8).putLong(n).array());
            return this;
        }

        Fields bool(boolean b) {
            out.write(b ? 1 : 0);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        String readText() {
            int n = in.getInt();
            byte[] b = new byte[n];
            in.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }

        long readNumber() {
            return in.getLong();
        }

        boolean readBool() {
            return in.get() != 0;
        }

        /** Whether a field follows (fields added to a record later are read only when present). */
        boolean more() {
            return in.hasRemaining();
        }
    }
}
