package io.postilion.transport.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * Writes one command line to a buffer: its UTF-8 bytes (plain US-ASCII when the line is ASCII)
 * followed by CRLF. A line holding CR, LF or NUL is refused, so no command can be split or
 * smuggled whatever its builder did.
 */
public final class CommandLine {

    private CommandLine() {
    }

    /**
     * @return the number of bytes written, CRLF included
     * @throws IllegalArgumentException if {@code line} contains CR, LF or NUL (nothing is written)
     */
    public static int write(ByteBuf out, String line) {
        int bad = EnvelopeAddress.firstForbidden(line);
        if (bad >= 0) {
            throw new IllegalArgumentException("command line contains CR, LF or NUL at offset " + bad);
        }
        int n = ByteBufUtil.writeUtf8(out, line);
        out.writeByte('\r').writeByte('\n');
        return n + 2;
    }
}
