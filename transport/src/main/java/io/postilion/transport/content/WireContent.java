package io.postilion.transport.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * The content path in one place: source, optional 8BITMIME downgrade, wire encoding, and for BDAT
 * the chunk framing. The session asks for the bytes of a DATA transfer or for BDAT chunks and
 * writes what it gets.
 *
 * <p>Every buffer or chunk emitted belongs to the subscriber. Each subscription runs its own fresh
 * stages, so a flux can be subscribed again (for a retry on another server). Cancelling or failing
 * releases everything in flight; the fluxes release what Reactor discards from their inner queues
 * themselves (see {@link DiscardedContent}). A MIME error arrives as a {@link ContentException}
 * error signal, before any end-of-data line; so does a {@link ContentReadException} when the source
 * fails or gives fewer bytes than its size (DATA-31).
 */
public final class WireContent {

    private static final Runnable NO_BREAK_NOTICE = () -> { };

    private WireContent() {
    }

    /**
     * The bytes to send after {@code 354}: the encoded, dot-stuffed content, then the end-of-data
     * line {@code .CRLF} as the last buffer on its own, so a session that must delay it (SESS-18)
     * can recognise it.
     */
    public static Flux<ByteBuf> data(ContentSource source, ByteBufAllocator alloc, ContentOptions options) {
        return data(source, alloc, options, NO_BREAK_NOTICE);
    }

    /**
     * As {@link #data(ContentSource, ByteBufAllocator, ContentOptions)}, calling {@code lineBroken}
     * once, when a line longer than the limit is first broken (DATA-3: the session's caller logs it).
     */
    public static Flux<ByteBuf> data(ContentSource source, ByteBufAllocator alloc, ContentOptions options,
            Runnable lineBroken) {
        return encoded(source, alloc, ContentMode.DATA, options, lineBroken)
                .concatWith(Mono.fromCallable(() -> WireContentEncoder.endOfData(alloc)))
                .contextWrite(ctx -> Operators.enableOnDiscard(ctx, DiscardedContent::release));
    }

    /** The content as BDAT chunks, the last marked {@code LAST}; none is dot-stuffed. */
    public static Flux<BdatChunk> bdatChunks(ContentSource source, ByteBufAllocator alloc, ContentOptions options) {
        return bdatChunks(source, alloc, options, NO_BREAK_NOTICE);
    }

    /** As {@link #bdatChunks(ContentSource, ByteBufAllocator, ContentOptions)}, telling {@code lineBroken} of the first break. */
    public static Flux<BdatChunk> bdatChunks(ContentSource source, ByteBufAllocator alloc, ContentOptions options,
            Runnable lineBroken) {
        return BdatFramer.frame(encoded(source, alloc, ContentMode.BDAT, options, lineBroken), alloc,
                options.bdatChunkSize());
    }

    /** The content as wire bytes for BDAT: each chunk's command line followed by its payload. */
    public static Flux<ByteBuf> bdat(ContentSource source, ByteBufAllocator alloc, ContentOptions options) {
        return bdatChunks(source, alloc, options)
                .map(chunk -> chunk.toWire(alloc))
                .contextWrite(ctx -> Operators.enableOnDiscard(ctx, DiscardedContent::release));
    }

    /**
     * The encoded content without any end-of-data line or framing; empty buffers are left out.
     * Installs no discard hook: the public methods above do.
     */
    public static Flux<ByteBuf> encoded(ContentSource source, ByteBufAllocator alloc, ContentMode mode,
            ContentOptions options) {
        return encoded(source, alloc, mode, options, NO_BREAK_NOTICE);
    }

    /**
     * As {@link #encoded(ContentSource, ByteBufAllocator, ContentMode, ContentOptions)}; {@code
     * lineBroken} runs once per subscription, when the encoder first breaks a long line.
     */
    public static Flux<ByteBuf> encoded(ContentSource source, ByteBufAllocator alloc, ContentMode mode,
            ContentOptions options, Runnable lineBroken) {
        return Flux.defer(() -> {
            Stages stages = new Stages(alloc, mode, options, lineBroken);
            long size = source.size();
            long[] read = {0};
            // DATA-31: a source that fails or ends short is a local data error, before any end-of-data.
            return source.open(alloc)
                    .doOnNext(b -> read[0] += b.readableBytes())
                    .onErrorMap(e -> !(e instanceof ContentException), ContentReadException::of)
                    .concatWith(Mono.defer(() -> read[0] < size
                            ? Mono.error(ContentReadException.shortContent(read[0], size)) : Mono.empty()))
                    .map(stages::process)
                    .concatWith(Mono.fromCallable(stages::finish))
                    .<ByteBuf>handle((buf, sink) -> {
                        if (buf.isReadable()) {
                            sink.next(buf);
                        } else {
                            buf.release();
                        }
                    });
        });
    }

    // One message's stages. Holds no buffers between calls, so abandoning it leaks nothing.
    private static final class Stages {
        private final ByteBufAllocator alloc;
        private final MimeDowngrader downgrader;
        private final WireContentEncoder encoder;
        private final Runnable lineBroken;
        private boolean toldOfBreak;

        Stages(ByteBufAllocator alloc, ContentMode mode, ContentOptions options, Runnable lineBroken) {
            this.alloc = alloc;
            this.downgrader = options.downgrade() ? new MimeDowngrader(alloc, options.mimeNestingLimit()) : null;
            this.encoder = new WireContentEncoder(alloc, mode, options.lineLengthLimit());
            this.lineBroken = lineBroken;
        }

        // Takes ownership of the source buffer and releases it.
        ByteBuf process(ByteBuf in) {
            try {
                if (downgrader == null) {
                    return noticed(encoder.encode(in));
                }
                ByteBuf converted = downgrader.convert(in);
                try {
                    return noticed(encoder.encode(converted));
                } finally {
                    converted.release();
                }
            } finally {
                in.release();
            }
        }

        /** Passes {@code out} on, first telling of the encoder's first line break (DATA-3). */
        private ByteBuf noticed(ByteBuf out) {
            if (!toldOfBreak && encoder.brokeLongLine()) {
                toldOfBreak = true;
                lineBroken.run();
            }
            return out;
        }

        ByteBuf finish() {
            if (downgrader == null) {
                return encoder.finish();
            }
            ByteBuf tail = downgrader.finish();
            ByteBuf encodedTail;
            try {
                encodedTail = noticed(encoder.encode(tail));
            } finally {
                tail.release();
            }
            ByteBuf end;
            try {
                end = encoder.finish();
            } catch (RuntimeException | Error e) {
                encodedTail.release();
                throw e;
            }
            if (!end.isReadable()) {
                end.release();
                return encodedTail;
            }
            if (!encodedTail.isReadable()) {
                encodedTail.release();
                return end;
            }
            return alloc.compositeBuffer(2).addComponents(true, encodedTail, end);
        }
    }
}
