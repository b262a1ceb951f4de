package io.postilion.transport.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import java.nio.charset.StandardCharsets;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Cuts content into BDAT chunks of at most the chunk size, each preceded by its
 * {@code BDAT n} command and the last by {@code BDAT n LAST} (RFC 3030). Holds at most one
 * chunk, so the content still streams. Counts the chunks, since each one earns a reply.
 */
final class BdatFramer {

    private final Channel channel;
    private final int chunkSize;
    private CompositeByteBuf pending;
    private int chunks;

    BdatFramer(Channel channel, int chunkSize) {
        this.channel = channel;
        this.chunkSize = chunkSize;
    }

    int chunks() {
        return chunks;
    }

    Flux<ByteBuf> frame(Flux<ByteBuf> content) {
        return content.concatMapIterable(this::accept)
                .concatWith(Mono.fromSupplier(this::last))
                .doFinally(sig -> {
                    if (pending != null) {
                        pending.release();
                        pending = null;
                    }
                });
    }

    private java.util.List<ByteBuf> accept(ByteBuf buf) {
        if (pending == null) {
            pending = channel.alloc().compositeBuffer(Integer.MAX_VALUE);
        }
        pending.addComponent(true, buf);
        java.util.List<ByteBuf> out = new java.util.ArrayList<>(2);
        while (pending.readableBytes() > chunkSize) {
            out.add(chunk(pending.readRetainedSlice(chunkSize), false));
        }
        pending.discardReadComponents();
        return out;
    }

    private ByteBuf last() {
        ByteBuf rest = pending == null ? channel.alloc().buffer(0) : pending.readRetainedSlice(pending.readableBytes());
        return chunk(rest, true);
    }

    private ByteBuf chunk(ByteBuf payload, boolean last) {
        chunks++;
        String header = "BDAT " + payload.readableBytes() + (last ? " LAST" : "") + "\r\n";
        CompositeByteBuf framed = channel.alloc().compositeBuffer(2);
        ByteBuf head = channel.alloc().buffer(header.length());
        head.writeCharSequence(header, StandardCharsets.US_ASCII);
        framed.addComponent(true, head);
        framed.addComponent(true, payload);
        return framed;
    }
}
