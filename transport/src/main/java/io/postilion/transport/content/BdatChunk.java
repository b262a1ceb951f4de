package io.postilion.transport.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * One BDAT chunk (RFC 3030): its payload and whether it is the last one. The session may want the
 * command and the payload apart (to wait for the reply after each chunk, or to pipeline), so the
 * chunk keeps them apart until {@link #toWire} joins them.
 *
 * <p>The chunk owns its payload: release it with {@link #release()}, or hand it on with
 * {@link #toWire}, after which the chunk must not be used again.
 */
public final class BdatChunk {

    private final ByteBuf payload;
    private final boolean last;

    /**
     * @param payload the chunk's bytes, whose ownership passes to the chunk
     * @param last whether this chunk ends the message ({@code LAST})
     */
    public BdatChunk(ByteBuf payload, boolean last) {
        this.payload = payload;
        this.last = last;
    }

    /** The chunk's bytes; still owned by the chunk. */
    public ByteBuf payload() {
        return payload;
    }

    /** Whether this chunk carries {@code LAST}. */
    public boolean last() {
        return last;
    }

    /** The payload's size, the number after {@code BDAT}. */
    public int size() {
        return payload.readableBytes();
    }

    /** The command line, with its CRLF: {@code BDAT <n>\r\n} or {@code BDAT <n> LAST\r\n}. */
    public String command() {
        return "BDAT " + size() + (last ? " LAST" : "") + "\r\n";
    }

    /**
     * The command followed by the payload, as one buffer owned by the caller; the payload's
     * ownership moves into it (no copy of the payload is made).
     */
    public ByteBuf toWire(ByteBufAllocator alloc) {
        byte[] cmd = command().getBytes(StandardCharsets.US_ASCII);
        if (!payload.isReadable()) {
            payload.release();
            return alloc.buffer(cmd.length).writeBytes(cmd);
        }
        CompositeByteBuf wire = alloc.compositeBuffer(2);
        wire.addComponent(true, Unpooled.wrappedBuffer(cmd));
        wire.addComponent(true, payload);
        return wire;
    }

    /** Releases the payload. */
    public void release() {
        payload.release();
    }

    @Override
    public String toString() {
        return command().trim();
    }
}
