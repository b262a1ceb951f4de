package io.postilion.transport.content;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * A {@link ContentSource} reading a file in chunks. File reads block, so opening, reading and
 * closing all happen on {@code Schedulers.boundedElastic()}, never on an event loop (BlockHound
 * fails the build otherwise). Only one chunk is read ahead of demand.
 *
 * <p>The size is taken when the source is made; the stream reads to the end of the file as it then
 * is. A region source reads exactly its stretch of a larger file (a spool file's content section).
 */
public final class FileContentSource implements ContentSource {

    private final Path file;
    private final int chunkSize;
    private final long size;
    private final long start;
    /** The position after the last byte to read, or -1 for the end of the file. */
    private final long end;

    /**
     * Reads the file's size now (a blocking call: use off the event loop).
     *
     * @param file the content file
     * @param chunkSize how many bytes each read asks for, at least 1
     */
    public FileContentSource(Path file, int chunkSize) throws IOException {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunk size must be positive: " + chunkSize);
        }
        this.file = file;
        this.chunkSize = chunkSize;
        this.size = Files.size(file);
        this.start = 0;
        this.end = -1;
    }

    /**
     * The {@code length} bytes of {@code file} from {@code offset} on. Touches nothing now; a file
     * shorter than the region ends the stream with an error when read.
     */
    public FileContentSource(Path file, long offset, long length, int chunkSize) {
        if (chunkSize < 1 || offset < 0 || length < 0) {
            throw new IllegalArgumentException("bad region: offset " + offset + ", length " + length + ", chunk " + chunkSize);
        }
        this.file = file;
        this.chunkSize = chunkSize;
        this.size = length;
        this.start = offset;
        this.end = offset + length;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public Flux<ByteBuf> open(ByteBufAllocator alloc) {
        return Flux.using(
                () -> FileChannel.open(file, StandardOpenOption.READ),
                channel -> Flux.<ByteBuf, Long>generate(() -> start, (position, sink) -> {
                    if (end >= 0 && position >= end) {
                        sink.complete();
                        return position;
                    }
                    int want = end < 0 ? chunkSize : (int) Math.min(chunkSize, end - position);
                    ByteBuf buf = alloc.buffer(want);
                    int n;
                    try {
                        n = buf.writeBytes(channel, position, want);
                    } catch (IOException e) {
                        buf.release();
                        sink.error(new UncheckedIOException("reading " + file, e));
                        return position;
                    } catch (RuntimeException | Error e) {
                        buf.release();
                        throw e;
                    }
                    if (n < 0) {
                        buf.release();
                        if (end >= 0) {
                            sink.error(new UncheckedIOException(new java.io.EOFException(
                                    file + " ends at " + position + ", before its content's end at " + end)));
                        } else {
                            sink.complete();
                        }
                        return position;
                    }
                    sink.next(buf);
                    return position + n;
                }),
                // Closing may come from the cancelling thread; do it where blocking is allowed.
                channel -> Schedulers.boundedElastic().schedule(() -> closeQuietly(channel)))
                .subscribeOn(Schedulers.boundedElastic());
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing was written; a failed close loses nothing.
        }
    }
}
