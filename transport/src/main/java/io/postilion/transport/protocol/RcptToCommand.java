package io.postilion.transport.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A RCPT TO command line, built as XFER-5 requires: {@code RCPT TO:<ADDR>} and, only when the
 * server announced DSN, {@code ORCPT=} then {@code NOTIFY=}.
 *
 * <p>ORCPT is the recipient's explicit {@code type;address} when it has one; otherwise, for a
 * non-empty original address, {@code rfc822;ORIG} with the local part quoted, or
 * {@code utf-8;ORIG} when the request carries an SMTPUTF8 flag and the original address is
 * non-ASCII. A {@code utf-8} value is encoded with {@link Utf8AddrXtext} (ORCPT omitted if that
 * fails), any other with {@link Xtext} as a whole. NOTIFY lists NEVER, SUCCESS, FAILURE, DELAY in
 * that order.
 *
 * @param line the command without CRLF
 */
public record RcptToCommand(String line) {

    private static final String UTF8_TYPE = "utf-8;";

    public RcptToCommand {
        Objects.requireNonNull(line, "line");
    }

    public static RcptToCommand of(RecipientEnvelope recipient, Capabilities server, EnvelopeOptions options) {
        StringBuilder sb = new StringBuilder(64);
        sb.append("RCPT TO:<")
                .append(AddressQuoting.quote(recipient.address().value(), options.quoteRfc821()))
                .append('>');
        if (server.dsn()) {
            orcpt(recipient, options).ifPresent(v -> sb.append(" ORCPT=").append(v));
            if (!recipient.notifyOn().isEmpty()) {
                sb.append(" NOTIFY=").append(recipient.notifyOn().stream()
                        .map(Enum::name).collect(Collectors.joining(",")));
            }
        }
        return new RcptToCommand(sb.toString());
    }

    /** The encoded ORCPT value ({@code type;xtext}), or empty when none is to be sent. */
    static Optional<String> orcpt(RecipientEnvelope recipient, EnvelopeOptions options) {
        String explicit = recipient.dsnOrcpt();
        if (!explicit.isEmpty()) {
            return encode(explicit);
        }
        String orig = recipient.originalAddress();
        if (orig.isEmpty()) {
            return Optional.empty();
        }
        String quoted = AddressQuoting.quote(orig);
        if (options.smtpUtf8Flagged() && !isAscii(orig) && Utf8AddrXtext.isValidUnicode(orig)) {
            return encode(UTF8_TYPE + quoted);
        }
        return encode("rfc822;" + quoted);
    }

    private static Optional<String> encode(String typed) {
        if (typed.length() >= UTF8_TYPE.length()
                && typed.substring(0, UTF8_TYPE.length()).toLowerCase(Locale.ROOT).equals(UTF8_TYPE)) {
            return Utf8AddrXtext.encode(typed.substring(UTF8_TYPE.length())).map(v -> UTF8_TYPE + v);
        }
        return Optional.of(Xtext.encode(typed));
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Writes the line and CRLF; returns the number of bytes written. */
    public int writeTo(ByteBuf out) {
        return CommandLine.write(out, line);
    }

    @Override
    public String toString() {
        return line;
    }
}
