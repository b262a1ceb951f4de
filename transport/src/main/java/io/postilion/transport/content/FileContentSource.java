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
 * is.
 */
public final class FileContentSource implements ContentSource {

    private final Path file;
    private final int chunkSize;
    private final long size;

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
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public Flux<ByteBuf> open(ByteBufAllocator alloc) {
        return Flux.using(
                () -> FileChannel.open(file, StandardOpenOption.READ),
                channel -> Flux.<ByteBuf, Long>generate(() -> 0L, (position, sink) -> {
                    ByteBuf buf = alloc.buffer(chunkSize);
                    int n;
                    try {
                        n = buf.writeBytes(channel, position, chunkSize);
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
                        sink.complete();
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
