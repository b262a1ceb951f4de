package io.postilion.transport.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A MAIL FROM command line, built as XFER-3 and XFER-4 require: {@code MAIL FROM:<ADDR>} (no space
 * after the colon, the null sender as {@code <>}) followed by the parameters that apply, always in
 * this order: {@code SIZE=}, {@code BODY=}, {@code ENVID=}, {@code RET=}, {@code SMTPUTF8},
 * {@code REQUIRETLS}, {@code AUTH=<>}.
 *
 * @param line the command without CRLF
 */
public record MailFromCommand(String line) {

    public MailFromCommand {
        Objects.requireNonNull(line, "line");
    }

    /**
     * @param envelope what the request asks for
     * @param server the capabilities of this session (after discarding)
     * @param options the configuration and session facts
     */
    public static MailFromCommand of(SenderEnvelope envelope, Capabilities server, EnvelopeOptions options) {
        StringBuilder sb = new StringBuilder(64);
        sb.append("MAIL FROM:<")
                .append(AddressQuoting.quote(envelope.sender().value(), options.quoteRfc821()))
                .append('>');
        if (server.size() && !options.mimeDowngrade()) {
            sb.append(" SIZE=").append(envelope.size());
        }
        if (server.eightBitMime()) {
            switch (envelope.bodyType()) {
                case EIGHT_BIT -> sb.append(" BODY=8BITMIME");
                case SEVEN_BIT -> sb.append(" BODY=7BIT");
                case UNKNOWN -> { }
            }
        }
        if (server.dsn()) {
            if (!envelope.envId().isEmpty()) {
                sb.append(" ENVID=").append(Xtext.encode(envelope.envId()));
            }
            boolean relaxed = envelope.requireTls() && options.requireTlsRelaxed() && !server.requireTls();
            if (relaxed) {
                sb.append(" RET=HDRS");
            } else if (envelope.ret() != Ret.NONE) {
                sb.append(" RET=").append(envelope.ret().name());
            }
        }
        if (server.smtpUtf8() && envelope.smtpUtf8()) {
            sb.append(" SMTPUTF8");
        }
        if (envelope.requireTls() && !options.requireTlsDisabled() && server.requireTls()) {
            sb.append(" REQUIRETLS");
        }
        if (options.sendDummyAuth()) {
            sb.append(" AUTH=<>");
        }
        return new MailFromCommand(sb.toString());
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
