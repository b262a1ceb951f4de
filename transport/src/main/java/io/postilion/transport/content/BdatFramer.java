package io.postilion.transport.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * Cuts encoded (never dot-stuffed) content into BDAT chunks of a fixed size, the last one marked
 * {@code LAST} (RFC 3030, CLARIFICATIONS 1).
 *
 * <p>Because only the end of the input says which chunk is last, the framer keeps up to one chunk
 * of bytes back: a full chunk goes out only once a byte beyond it has arrived. So the last chunk
 * is never empty unless the whole content is, in which case it is {@code BDAT 0 LAST}.
 *
 * <p><b>Buffer ownership.</b> Unlike the encoders, {@link #offer} <em>takes</em> ownership of the
 * buffers it is given, because it must keep their bytes until a chunk is complete. Chunks are built
 * from slices of those buffers without copying. Chunks returned belong to the caller. If the
 * content is abandoned, {@link #close()} releases what is still held. The methods are
 * synchronized so that a cancellation arriving on another thread can close the framer safely.
 */
public final class BdatFramer implements AutoCloseable {

    /** The default chunk size, 64 KiB. */
    public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;

    private final ByteBufAllocator alloc;
    private final int chunkSize;
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private long pendingBytes;
    private boolean done;

    /**
     * @param alloc allocates the composite buffers that hold chunk payloads
     * @param chunkSize the payload size of every chunk but the last, at least 1
     */
    public BdatFramer(ByteBufAllocator alloc, int chunkSize) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunk size must be positive: " + chunkSize);
        }
        this.alloc = alloc;
        this.chunkSize = chunkSize;
    }

    /**
     * Adds encoded content; returns the chunks that are now complete and known not to be last.
     *
     * @param encoded wire-encoded content; ownership passes to the framer
     */
    public synchronized List<BdatChunk> offer(ByteBuf encoded) {
        if (done) {
            encoded.release();
            throw new IllegalStateException("framer already finished or closed");
        }
        if (!encoded.isReadable()) {
            encoded.release();
            return List.of();
        }
        pending.add(encoded);
        pendingBytes += encoded.readableBytes();
        List<BdatChunk> out = new ArrayList<>();
        while (pendingBytes > chunkSize) {
            out.add(new BdatChunk(take(chunkSize), false));
        }
        return out;
    }

    /** Ends the content: the {@code LAST} chunk with whatever is left (possibly nothing). */
    public synchronized BdatChunk finish() {
        if (done) {
            throw new IllegalStateException("framer already finished or closed");
        }
        done = true;
        if (pendingBytes == 0) {
            return new BdatChunk(Unpooled.EMPTY_BUFFER, true);
        }
        return new BdatChunk(take((int) pendingBytes), true);
    }

    /** Releases any content still held; safe to call more than once and after {@link #finish}. */
    @Override
    public synchronized void close() {
        done = true;
        for (ByteBuf b; (b = pending.poll()) != null; ) {
            b.release();
        }
        pendingBytes = 0;
    }

    private ByteBuf take(int size) {
        ByteBuf head = pending.peek();
        if (head != null && head.readableBytes() == size) {
            pending.poll();
            pendingBytes -= size;
            return head;
        }
        CompositeByteBuf chunk = alloc.compositeBuffer(Math.max(2, pending.size()));
        int need = size;
        try {
            while (need > 0) {
                head = pending.peek();
                int n = head.readableBytes();
                if (n <= need) {
                    pending.poll();
                    chunk.addComponent(true, head);
                    need -= n;
                } else {
                    chunk.addComponent(true, head.readRetainedSlice(need));
                    need = 0;
                }
            }
        } catch (RuntimeException | Error e) {
            chunk.release();
            throw e;
        }
        pendingBytes -= size;
        return chunk;
    }

    /**
     * Frames a stream of encoded content. Each input buffer is owned by the framer once emitted
     * upstream; each chunk emitted is owned by the subscriber. Cancelling or failing releases what
     * is held, including buffers and chunks queued inside the flux (see {@link DiscardedContent}).
     */
    public static Flux<BdatChunk> frame(Flux<ByteBuf> encoded, ByteBufAllocator alloc, int chunkSize) {
        return Flux.using(
                () -> new BdatFramer(alloc, chunkSize),
                framer -> encoded
                        .concatMapIterable(framer::offer)
                        .concatWith(Mono.fromCallable(framer::finish)),
                BdatFramer::close)
                .contextWrite(ctx -> Operators.enableOnDiscard(ctx, DiscardedContent::release));
    }
}
