package io.postilion.transport.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRegionContentTest {

    @TempDir
    Path dir;

    private static String read(ContentSource c) {
        StringBuilder sb = new StringBuilder();
        c.open(UnpooledByteBufAllocator.DEFAULT).doOnNext(b -> {
            sb.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }).blockLast(Duration.ofSeconds(10));
        return sb.toString();
    }

    @Test
    void aRegionReadsExactlyItsStretchInAnyChunkSize() throws Exception {
        Path f = Files.writeString(dir.resolve("q"), "HEADERcontent of the messageTRAILER");
        for (int chunk : new int[] {1, 3, 7, 64}) {
            ContentSource c = new FileContentSource(f, 6, 22, chunk);
            assertEquals(22, c.size());
            assertEquals("content of the message", read(c), "chunk " + chunk);
        }
        assertEquals("", read(ContentSource.of(f, 6, 0)));
    }

    @Test
    void aFileShorterThanItsRegionIsAnErrorNotATruncatedMessage() throws Exception {
        Path f = Files.writeString(dir.resolve("short"), "HEADERcont");
        ContentSource c = ContentSource.of(f, 6, 22);
        assertThrows(RuntimeException.class, () -> c.open(UnpooledByteBufAllocator.DEFAULT)
                .doOnNext(ByteBuf::release).blockLast(Duration.ofSeconds(10)));
    }
}
