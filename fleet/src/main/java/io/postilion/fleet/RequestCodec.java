package io.postilion.fleet;

import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.transport.protocol.Notify;
import io.postilion.transport.protocol.Ret;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The request topic's record value, version 1: a small binary envelope, so that the content
 * travels as the bytes it is (no base64) and a parser can check every byte. Big-endian:
 *
 * <pre>
 *   magic    4 bytes  "PSTR"
 *   version  u8       1
 *   flags    u8       bit 0 SMTPUTF8, bit 1 8BITMIME; other bits 0
 *   ret      u8       0 none, 1 FULL, 2 HDRS
 *   envid    str      DSN ENVID, empty = none (printable ASCII, at most 100)
 *   sender   str      empty = the null sender
 *   count    u16      recipients, 1 to 1000
 *   count x: address str, notify u8 (1 NEVER alone, or SUCCESS 2 | FAILURE 4 | DELAY 8; 0 none),
 *            orcpt str (type;address in printable ASCII, empty = none)
 *   length   u32      content bytes, 1 to 2^31-1
 *   content           the message: CRLF line ends only, ending with CRLF, not dot-stuffed;
 *                     bytes above 127 only with 8BITMIME or SMTPUTF8; no NUL
 * </pre>
 * where {@code str} is a u16 byte length and that many bytes of UTF-8. Nothing may follow the
 * content. Addresses are {@code local@domain} (both parts non-empty), at most 512 characters,
 * without spaces, angle brackets or control characters, and ASCII unless SMTPUTF8 is set. The
 * record key is the application's (the destination domain, for partitioning); it is not read.
 */
public final class RequestCodec {

    private static final byte[] MAGIC = {'P', 'S', 'T', 'R'};
    public static final int VERSION = 1;
    public static final int MAX_RECIPIENTS = 1000;
    static final int MAX_ADDRESS = 512;
    static final int MAX_ENVID = 100;
    private static final int FLAG_SMTPUTF8 = 1;
    private static final int FLAG_8BITMIME = 2;

    private RequestCodec() {
    }

    /** Checks and decodes one record value; every violation is a {@link BadRequestException} saying what and where. */
    public static DeliveryRequestRecord parse(byte[] value) throws BadRequestException {
        if (value == null) {
            throw new BadRequestException("no record value (a tombstone)");
        }
        ByteBuffer in = ByteBuffer.wrap(value);
        for (byte b : MAGIC) {
            if (!in.hasRemaining() || in.get() != b) {
                throw new BadRequestException("not a Postilion request: the value does not start with \"PSTR\"");
            }
        }
        int version = u8(in, "version");
        if (version != VERSION) {
            throw new BadRequestException("request format version " + version + " is not known (this relay reads " + VERSION + ")");
        }
        int flags = u8(in, "flags");
        if ((flags & ~(FLAG_SMTPUTF8 | FLAG_8BITMIME)) != 0) {
            throw new BadRequestException("unknown flag bits 0x" + Integer.toHexString(flags));
        }
        boolean utf8 = (flags & FLAG_SMTPUTF8) != 0;
        boolean eightBit = (flags & FLAG_8BITMIME) != 0;
        int retCode = u8(in, "ret");
        Ret ret = switch (retCode) {
            case 0 -> Ret.NONE;
            case 1 -> Ret.FULL;
            case 2 -> Ret.HDRS;
            default -> throw new BadRequestException("ret " + retCode + " is none of 0, 1, 2");
        };
        String envId = str(in, "envid");
        if (envId.length() > MAX_ENVID || !printableAscii(envId)) {
            throw new BadRequestException("envid is not 0 to " + MAX_ENVID + " printable ASCII characters");
        }
        String sender = str(in, "sender");
        if (!sender.isEmpty()) {
            address(sender, "sender", utf8);
        }
        int count = u16(in, "recipient count");
        if (count < 1 || count > MAX_RECIPIENTS) {
            throw new BadRequestException("recipient count " + count + " is not 1 to " + MAX_RECIPIENTS);
        }
        List<ReceivedMessage.Recipient> rcpts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String what = "recipient " + i;
            String address = str(in, what + " address");
            address(address, what, utf8);
            Set<Notify> notify = notify(u8(in, what + " notify"), what);
            String orcpt = str(in, what + " orcpt");
            if (!orcpt.isEmpty() && (orcpt.length() > MAX_ADDRESS || !printableAscii(orcpt) || orcpt.indexOf(';') < 1)) {
                throw new BadRequestException(what + " orcpt is not type;address in printable ASCII");
            }
            rcpts.add(new ReceivedMessage.Recipient(address, notify, orcpt));
        }
        if (in.remaining() < 4) {
            throw new BadRequestException("truncated before the content length");
        }
        long length = in.getInt() & 0xFFFFFFFFL;
        if (length < 1 || length > Integer.MAX_VALUE) {
            throw new BadRequestException("content length " + length + " is not 1 to " + Integer.MAX_VALUE);
        }
        if (in.remaining() != length) {
            throw new BadRequestException("content length " + length + " but " + in.remaining() + " byte(s) follow");
        }
        byte[] content = new byte[(int) length];
        in.get(content);
        content(content, eightBit || utf8);
        return new DeliveryRequestRecord(sender, rcpts, eightBit, utf8, envId, ret, content);
    }

    /** The record value for {@code r} (what applications and the tests publish); {@link #parse} reads it back. */
    public static byte[] encode(DeliveryRequestRecord r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(r.content().length + 256);
        out.writeBytes(MAGIC);
        out.write(VERSION);
        out.write((r.smtputf8() ? FLAG_SMTPUTF8 : 0) | (r.eightBitMime() ? FLAG_8BITMIME : 0));
        out.write(r.ret() == Ret.FULL ? 1 : r.ret() == Ret.HDRS ? 2 : 0);
        writeStr(out, r.envId());
        writeStr(out, r.sender());
        out.write(r.recipients().size() >>> 8);
        out.write(r.recipients().size());
        for (ReceivedMessage.Recipient rc : r.recipients()) {
            writeStr(out, rc.address());
            int n = 0;
            for (Notify x : rc.notifyOn()) {
                n |= 1 << x.ordinal();
            }
            out.write(n);
            writeStr(out, rc.orcpt());
        }
        int len = r.content().length;
        out.writeBytes(new byte[] {(byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len});
        out.writeBytes(r.content());
        return out.toByteArray();
    }

    private static void writeStr(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("a string field is longer than 65535 bytes");
        }
        out.write(b.length >>> 8);
        out.write(b.length);
        out.writeBytes(b);
    }

    private static int u8(ByteBuffer in, String what) throws BadRequestException {
        if (!in.hasRemaining()) {
            throw new BadRequestException("truncated at " + what);
        }
        return in.get() & 0xFF;
    }

    private static int u16(ByteBuffer in, String what) throws BadRequestException {
        if (in.remaining() < 2) {
            throw new BadRequestException("truncated at " + what);
        }
        return in.getShort() & 0xFFFF;
    }

    private static String str(ByteBuffer in, String what) throws BadRequestException {
        int n = u16(in, what);
        if (in.remaining() < n) {
            throw new BadRequestException("truncated in " + what + " (" + n + " bytes announced, " + in.remaining() + " left)");
        }
        ByteBuffer slice = in.slice();
        slice.limit(n);
        in.position(in.position() + n);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new BadRequestException(what + " is not well-formed UTF-8");
        }
    }

    private static boolean printableAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 33 || c > 126) {
                return false;
            }
        }
        return true;
    }

    private static void address(String a, String what, boolean utf8) throws BadRequestException {
        int at = a.lastIndexOf('@');
        if (a.length() > MAX_ADDRESS || at < 1 || at == a.length() - 1) {
            throw new BadRequestException(what + " is not local@domain of at most " + MAX_ADDRESS + " characters");
        }
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            if (c <= ' ' || c == 0x7F || c == '<' || c == '>' || (c >= 0x80 && c <= 0x9F) || Character.isWhitespace(c)) {
                throw new BadRequestException(what + " contains a space, an angle bracket or a control character");
            }
            if (c > 0x7F && !utf8) {
                throw new BadRequestException(what + " is not ASCII and the request does not ask for SMTPUTF8");
            }
        }
    }

    private static Set<Notify> notify(int bits, String what) throws BadRequestException {
        if (bits == 0) {
            return Set.of();
        }
        if ((bits & ~0x0F) != 0 || ((bits & 1) != 0 && bits != 1)) {
            throw new BadRequestException(what + " notify 0x" + Integer.toHexString(bits)
                    + " is not NEVER alone or a set of SUCCESS, FAILURE, DELAY");
        }
        EnumSet<Notify> set = EnumSet.noneOf(Notify.class);
        for (Notify n : Notify.values()) {
            if ((bits & (1 << n.ordinal())) != 0) {
                set.add(n);
            }
        }
        return set;
    }

    private static void content(byte[] c, boolean eightBitAllowed) throws BadRequestException {
        if (c.length < 2 || c[c.length - 2] != '\r' || c[c.length - 1] != '\n') {
            throw new BadRequestException("the content does not end with CRLF");
        }
        for (int i = 0; i < c.length; i++) {
            byte b = c[i];
            if (b == 0) {
                throw new BadRequestException("the content has a NUL byte at " + i);
            }
            if (b < 0 && !eightBitAllowed) {
                throw new BadRequestException("the content has an 8-bit byte at " + i + " and neither 8BITMIME nor SMTPUTF8 is set");
            }
            if (b == '\r' && (i + 1 >= c.length || c[i + 1] != '\n')) {
                throw new BadRequestException("the content has a bare CR at " + i);
            }
            if (b == '\n' && (i == 0 || c[i - 1] != '\r')) {
                throw new BadRequestException("the content has a bare LF at " + i);
            }
        }
    }
}
