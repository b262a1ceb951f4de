package io.postilion.engine.rewrite;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.postilion.transport.content.ContentException;
import io.postilion.transport.content.ContentReadException;
import io.postilion.transport.content.ContentSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A message as the rewriting steps change it, streamed from the stored content a chunk at a time:
 * each subscription reads the source again and runs a fresh {@link MessageRewriter} over its lines,
 * so the message is never held whole. Only a line that spans chunks is carried over, and once the
 * rewriter has nothing more to change the remaining chunks are passed on as they are.
 *
 * <p>A failure while streaming arrives as a {@link ContentException}, which the session turns into
 * a message-level failure without an end-of-data line (REPLY-10); a read error of the stored copy
 * as a {@link ContentReadException}, a local data error (DATA-31).
 */
final class RewrittenContent implements ContentSource {

    private final ContentSource source;
    private final long size;
    private final Supplier<MessageRewriter> rewriters;

    RewrittenContent(ContentSource source, long size, Supplier<MessageRewriter> rewriters) {
        this.source = source;
        this.size = size;
        this.rewriters = rewriters;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public Flux<ByteBuf> open(ByteBufAllocator alloc) {
        return stream(source, alloc, rewriters.get()).onErrorMap(e -> !(e instanceof ContentException), e -> {
            if (e instanceof ContentReadException || e instanceof IOException || e instanceof UncheckedIOException) {
                // DATA-31: the stored copy cannot be read; the session words it as a local data error
                return e instanceof ContentReadException c ? c : new ContentReadException("queue file read error: " + e, e);
            }
            ContentFailure f = ContentFailure.of(e);
            return new ContentException(f.status(), f.reason());
        });
    }

    /** The rewritten chunks of {@code source}, using the given rewriter; errors are left as they come. */
    static Flux<ByteBuf> stream(ContentSource source, ByteBufAllocator alloc, MessageRewriter rewriter) {
        return Flux.defer(() -> {
            Lines lines = new Lines(rewriter, alloc);
            return source.open(alloc).map(lines::chunk).concatWith(Mono.fromCallable(lines::finish));
        });
    }

    /** What went wrong while reading content, as DATA-26/30/31 and the spec's port note classify it. */
    record ContentFailure(String status, String reason) {

        static ContentFailure of(Throwable e) {
            if (e instanceof TableLookupException t) {
                return t.table().endsWith("generic_maps") ? new ContentFailure("4.3.0", t.getMessage())
                        : new ContentFailure("4.3.0", "local data error (" + t.getMessage() + ")");
            }
            if (e instanceof IOException || e instanceof UncheckedIOException) {
                // the queue file itself cannot be read: Postfix's delivery agent dies and the mail stays queued
                Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
                return new ContentFailure("4.3.0", "queue file read error: " + describe(cause));
            }
            return new ContentFailure("5.3.0", "unreadable mail queue entry");
        }

        private static String describe(Throwable e) {
            if (e instanceof java.nio.file.NoSuchFileException n) {
                return n.getFile() + ": no such file";
            }
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
    }

    /** Cuts chunks into lines for the rewriter; holds only a line that spans chunks. */
    private static final class Lines {
        private final MessageRewriter rewriter;
        private final ByteBufAllocator alloc;
        private byte[] carry = new byte[0];
        private ByteBuf out;

        Lines(MessageRewriter rewriter, ByteBufAllocator alloc) {
            this.rewriter = rewriter;
            this.alloc = alloc;
        }

        private final MessageRewriter.Sink sink = (b, off, len) -> out.writeBytes(b, off, len);

        ByteBuf chunk(ByteBuf in) {
            if (rewriter.raw() && carry.length == 0) {
                return in;
            }
            out = alloc.buffer(in.readableBytes() + 256);
            try {
                while (in.isReadable()) {
                    if (rewriter.raw()) {
                        flushCarry();
                        out.writeBytes(in);
                        break;
                    }
                    int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
                    if (lf < 0) {
                        append(in, in.readableBytes());
                        break;
                    }
                    append(in, lf - in.readerIndex() + 1);
                    byte[] line = carry;
                    carry = new byte[0];
                    int length = line.length - 1;
                    if (length > 0 && line[length - 1] == '\r') {
                        length--;
                    }
                    rewriter.line(line, length, sink);
                }
                ByteBuf done = out;
                out = null;
                return done;
            } catch (RuntimeException e) {
                out.release();
                out = null;
                throw e;
            } finally {
                in.release();
            }
        }

        ByteBuf finish() {
            out = alloc.buffer(carry.length + 256);
            try {
                if (carry.length > 0) {
                    byte[] line = carry;
                    carry = new byte[0];
                    if (rewriter.raw()) {
                        out.writeBytes(line);
                    } else {
                        int length = line.length;
                        if (length > 0 && line[length - 1] == '\r') {
                            length--;
                        }
                        rewriter.line(line, length, sink);
                    }
                }
                rewriter.finish(sink);
                ByteBuf done = out;
                out = null;
                return done;
            } catch (RuntimeException e) {
                out.release();
                out = null;
                throw e;
            }
        }

        private void flushCarry() {
            if (carry.length > 0) {
                out.writeBytes(carry);
                carry = new byte[0];
            }
        }

        private void append(ByteBuf in, int n) {
            byte[] grown = new byte[carry.length + n];
            System.arraycopy(carry, 0, grown, 0, carry.length);
            in.readBytes(grown, carry.length, n);
            carry = grown;
        }
    }
}
