package io.postilion.transport.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import reactor.core.publisher.Flux;

/**
 * A {@link ContentSource} over bytes already in memory. It emits views of those bytes (wrapped
 * array ranges or retained slices) rather than copies, cut at the chunk size so downstream stages
 * work on bounded pieces.
 */
public final class MemoryContentSource implements ContentSource {

    private final ByteBuf content;
    private final int chunkSize;

    /** Content held in an array, emitted in pieces of {@code chunkSize}. */
    public MemoryContentSource(byte[] content, int chunkSize) {
        // Wrapping an array allocates nothing that needs releasing.
        this(Unpooled.wrappedBuffer(content), chunkSize);
    }

    /**
     * Content held in a buffer, emitted as retained slices in pieces of {@code chunkSize}. The
     * caller keeps ownership of {@code content} and must keep it alive while subscriptions run.
     */
    public MemoryContentSource(ByteBuf content, int chunkSize) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunk size must be positive: " + chunkSize);
        }
        this.content = content;
        this.chunkSize = chunkSize;
    }

    @Override
    public long size() {
        return content.readableBytes();
    }

    @Override
    public Flux<ByteBuf> open(ByteBufAllocator alloc) {
        int start = content.readerIndex();
        int end = content.writerIndex();
        return Flux.generate(() -> start, (index, sink) -> {
            if (index >= end) {
                sink.complete();
                return index;
            }
            int n = Math.min(chunkSize, end - index);
            sink.next(content.retainedSlice(index, n));
            return index + n;
        });
    }
}
