package io.postilion.transport.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.nio.file.Path;
import reactor.core.publisher.Flux;

/**
 * Where a message's raw bytes come from: memory or a spool file. The size is known up front (for
 * the {@code SIZE=} parameter, before any byte is read), and the bytes arrive as a stream of
 * buffers so a large message is never held whole.
 *
 * <p>Every subscription to {@link #open} reads the content again from its start. Each buffer
 * emitted belongs to the subscriber, which must release it.
 */
public interface ContentSource {

    /** The default size of the buffers a source emits, 64 KiB. */
    int DEFAULT_CHUNK_SIZE = 64 * 1024;

    /** The content's size in bytes, as stored (before any encoding). */
    long size();

    /**
     * The content, in order, as buffers owned by the subscriber.
     *
     * @param alloc allocates buffers where the source needs new ones (file reads)
     */
    Flux<ByteBuf> open(ByteBufAllocator alloc);

    /** Content held in an array; the array must not change while the content is in use. */
    static ContentSource of(byte[] content) {
        return new MemoryContentSource(content, DEFAULT_CHUNK_SIZE);
    }

    /**
     * Content held in a buffer, emitted as retained slices of it. The caller keeps ownership of
     * {@code content}: it must stay alive (and unchanged) until every subscription has finished, and
     * the caller releases it afterwards.
     */
    static ContentSource of(ByteBuf content) {
        return new MemoryContentSource(content, DEFAULT_CHUNK_SIZE);
    }

    /**
     * Content in a file, read in 64 KiB chunks on {@code Schedulers.boundedElastic()}. This factory
     * reads the file's size now, which touches the file system: call it off the event loop.
     */
    static ContentSource of(Path file) throws IOException {
        return new FileContentSource(file, DEFAULT_CHUNK_SIZE);
    }

    /** The {@code length} bytes of {@code file} from {@code offset}: a section of a larger file. */
    static ContentSource of(Path file, long offset, long length) {
        return new FileContentSource(file, offset, length, DEFAULT_CHUNK_SIZE);
    }

    /** As {@link #of(Path)}, with a chosen read size. */
    static ContentSource of(Path file, int chunkSize) throws IOException {
        return new FileContentSource(file, chunkSize);
    }

    /**
     * Content of a known size whose source is found only when it is opened, each time: a queued
     * message that may move (from a journal to a file of its own) between its deliveries.
     */
    static ContentSource lazy(long size, java.util.function.Function<ByteBufAllocator, Flux<ByteBuf>> open) {
        return new ContentSource() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public Flux<ByteBuf> open(ByteBufAllocator alloc) {
                return Flux.defer(() -> open.apply(alloc));
            }
        };
    }
}
