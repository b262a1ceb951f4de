package io.postilion.transport.content;

import static io.postilion.transport.content.ContentTestSupport.ALLOC;
import static io.postilion.transport.content.ContentTestSupport.bytes;
import static io.postilion.transport.content.ContentTestSupport.collect;
import static io.postilion.transport.content.ContentTestSupport.drain;
import static io.postilion.transport.content.ContentTestSupport.latin1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The composed content path: sources, downgrade, encoding, DATA end and BDAT framing. */
class WireContentTest {

    private static final ContentOptions DEFAULTS = ContentOptions.defaults();

    @Test
    void dataWireEndsWithCrlfDotCrlfWhenTheMessageLacksAFinalNewline_DATA1_DATA4() {
        byte[] wire = collect(WireContent.data(ContentSource.of(bytes("Subject: x\r\n\r\n.hidden\nlast")), ALLOC, DEFAULTS));
        assertEquals("Subject: x\r\n\r\n..hidden\r\nlast\r\n.\r\n", latin1(wire));
    }

    @Test
    void endOfDataLineIsTheLastBufferOnItsOwn_DATA4() {
        List<ByteBuf> bufs = WireContent.data(ContentSource.of(bytes("a\r\n")), ALLOC, DEFAULTS).collectList().block();
        assertEquals(".\r\n", latin1(drain(bufs.get(bufs.size() - 1))));
        bufs.subList(0, bufs.size() - 1).forEach(ByteBuf::release);
    }

    @Test
    void emptyMessageIsJustTheEndOfDataLine_DATA4() {
        assertEquals(".\r\n", latin1(collect(WireContent.data(ContentSource.of(new byte[0]), ALLOC, DEFAULTS))));
    }

    @Test
    void bdatWireIsNotStuffedAndIsFramed_CLARIFICATION26() {
        byte[] wire = collect(WireContent.bdat(ContentSource.of(bytes(".a\n.\n")), ALLOC, DEFAULTS.withBdatChunkSize(4)));
        assertEquals("BDAT 4\r\n.a\r\n" + "BDAT 3 LAST\r\n.\r\n", latin1(wire));
    }

    @Test
    void byteBufSourceLeavesItsBufferToTheCaller() {
        ByteBuf content = ALLOC.buffer().writeBytes(bytes("x".repeat(10) + "\r\n"));
        try {
            ContentSource source = new MemoryContentSource(content, 3);
            assertEquals(12, source.size());
            assertEquals("xxxxxxxxxx\r\n.\r\n", latin1(collect(WireContent.data(source, ALLOC, DEFAULTS))));
            assertEquals(1, content.refCnt());
            // A second subscription reads the content again (retry on another server).
            assertEquals("xxxxxxxxxx\r\n.\r\n", latin1(collect(WireContent.data(source, ALLOC, DEFAULTS))));
        } finally {
            content.release();
        }
    }

    @Test
    void fileSourceKnowsItsSizeAndReadsOffTheEventLoop(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("msg");
        String body = "Subject: file\r\n\r\n" + "line .\r\n.dot\r\n".repeat(1000);
        Files.write(file, bytes(body));
        ContentSource source = ContentSource.of(file, 1000);
        assertEquals(body.length(), source.size());

        List<String> threads = new CopyOnWriteArrayList<>();
        // Subscribing from a non-blocking thread: BlockHound would fail a FileChannel read here.
        byte[] wire = collect(Flux.defer(() -> source.open(ALLOC))
                .doOnNext(b -> threads.add(Thread.currentThread().getName()))
                .subscribeOn(Schedulers.parallel()));
        assertEquals(body, latin1(wire));
        assertFalse(threads.isEmpty());
        assertTrue(threads.stream().allMatch(t -> t.startsWith("boundedElastic")), threads.toString());

        String expected = "Subject: file\r\n\r\n" + "line .\r\n..dot\r\n".repeat(1000) + ".\r\n";
        byte[] data = collect(WireContent.data(source, ALLOC, DEFAULTS).subscribeOn(Schedulers.parallel()));
        assertEquals(expected, latin1(data));
    }

    @Test
    void cancellingAFileReadLeaksNothing(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("big");
        Files.write(file, new byte[200_000]);
        List<ByteBuf> first = WireContent.bdat(ContentSource.of(file, 4096), ALLOC, DEFAULTS.withBdatChunkSize(10_000))
                .take(1).collectList().block();
        assertEquals(1, first.size());
        first.forEach(ByteBuf::release);
    }

    @Test
    void missingFileFailsAtCreation(@TempDir Path dir) {
        assertThrows(java.io.IOException.class, () -> ContentSource.of(dir.resolve("absent")));
    }

    @Test
    void downgradeConvertsBeforeEncoding_DATA10_DATA11() {
        String msg = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + ".caf\u00c3\u00a9\n";
        byte[] wire = collect(WireContent.data(ContentSource.of(bytes(msg)), ALLOC, DEFAULTS.withDowngrade(true)));
        assertEquals("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + "..caf=C3=A9\r\n.\r\n", latin1(wire));
    }

    @Test
    void withoutDowngradeEightBitContentIsSentRaw_DATA10() {
        String msg = "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\u00c3\u00a9\r\n";
        assertEquals(msg + ".\r\n", latin1(collect(WireContent.data(ContentSource.of(bytes(msg)), ALLOC, DEFAULTS))));
    }

    @Test
    void mimeNestingErrorStopsTheFluxBeforeTheEndOfDataLine_DATA13() {
        StringBuilder msg = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            msg.append("Content-Type: multipart/mixed; boundary=n").append(i).append("\r\n\r\n--n").append(i).append("\r\n");
        }
        List<String> seen = new CopyOnWriteArrayList<>();
        Flux<ByteBuf> flux = WireContent.data(ContentSource.of(bytes(msg.toString())), ALLOC,
                        DEFAULTS.withDowngrade(true).withMimeNestingLimit(3))
                .doOnNext(b -> seen.add(latin1(drain(b))));
        Throwable error = assertThrows(RuntimeException.class, () -> flux.blockLast());
        ContentException e = assertInstanceOf(ContentException.class, error);
        assertEquals("5.6.0", e.status());
        assertFalse(seen.contains(".\r\n"));
    }

    @Test
    void bdatChunksCanBeConsumedOneByOne_CLARIFICATION1() {
        List<BdatChunk> chunks = WireContent.bdatChunks(ContentSource.of(bytes("x".repeat(25))), ALLOC,
                DEFAULTS.withBdatChunkSize(10)).collectList().block();
        assertEquals(3, chunks.size());
        assertEquals("BDAT 10\r\n", chunks.get(0).command());
        assertEquals("BDAT 7 LAST\r\n", chunks.get(2).command()); // 25 bytes + the added CRLF
        chunks.forEach(BdatChunk::release);
    }

    @Test
    void subscribingTwiceGivesTheSameBytes() {
        Flux<ByteBuf> flux = WireContent.data(ContentSource.of(bytes("a\rb")), ALLOC, DEFAULTS);
        assertEquals(latin1(collect(flux)), latin1(collect(flux)));
        assertEquals("a\r\nb\r\n.\r\n", latin1(collect(Mono.just(1).flatMapMany(i -> flux))));
    }
}
