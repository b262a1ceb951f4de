package io.postilion.transport.content;

import static io.postilion.transport.content.ContentTestSupport.ALLOC;
import static io.postilion.transport.content.ContentTestSupport.bytes;
import static io.postilion.transport.content.ContentTestSupport.drain;
import static io.postilion.transport.content.ContentTestSupport.latin1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** BDAT framing (RFC 3030, CLARIFICATIONS 1 and 26). */
class BdatFramerTest {

    private static ByteBuf buf(String s) {
        return ALLOC.buffer().writeBytes(bytes(s));
    }

    private static List<String> wire(List<BdatChunk> chunks) {
        List<String> out = new ArrayList<>();
        for (BdatChunk c : chunks) {
            out.add(latin1(drain(c.toWire(ALLOC))));
        }
        return out;
    }

    private static List<String> frame(int chunkSize, String... pieces) {
        List<ByteBuf> in = new ArrayList<>();
        for (String p : pieces) {
            in.add(buf(p));
        }
        return wire(BdatFramer.frame(Flux.fromIterable(in), ALLOC, chunkSize).collectList().block());
    }

    @Test
    void chunksCarrySizeAndOnlyTheLastSaysLast_CLARIFICATION1() {
        assertEquals(List.of("BDAT 4\r\nabcd", "BDAT 4\r\nefgh", "BDAT 2 LAST\r\nij"), frame(4, "abc", "defghij"));
    }

    @Test
    void contentOfAnExactMultipleEndsWithAFullLastChunk_CLARIFICATION1() {
        assertEquals(List.of("BDAT 4\r\nabcd", "BDAT 4 LAST\r\nefgh"), frame(4, "abcdefgh"));
    }

    @Test
    void emptyContentIsBdatZeroLast_CLARIFICATION1() {
        assertEquals(List.of("BDAT 0 LAST\r\n"), frame(4));
    }

    @Test
    void commandLineAndPayloadAreAvailableApart() {
        BdatFramer framer = new BdatFramer(ALLOC, 3);
        List<BdatChunk> first = framer.offer(buf("abcdefg"));
        BdatChunk last = framer.finish();
        try {
            assertEquals(2, first.size());
            assertEquals("BDAT 3\r\n", first.get(0).command());
            assertEquals(1, last.size());
            assertTrue(last.last());
            assertEquals("BDAT 1 LAST\r\n", last.command());
        } finally {
            first.forEach(BdatChunk::release);
            last.release();
        }
    }

    @Test
    void closingAnUnfinishedFramerReleasesWhatItHolds() {
        BdatFramer framer = new BdatFramer(ALLOC, 100);
        ByteBuf b = buf("held back");
        assertEquals(0, framer.offer(b).size());
        framer.close();
        assertEquals(0, b.refCnt());
    }

    @Test
    void cancellingTheChunkFluxReleasesEverything() {
        List<ByteBuf> in = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            in.add(buf("0123456789"));
        }
        List<BdatChunk> got = BdatFramer.frame(Flux.fromIterable(in), ALLOC, 3).take(2).collectList().block();
        assertEquals(2, got.size());
        got.forEach(BdatChunk::release);
        for (ByteBuf b : in) {
            assertEquals(0, b.refCnt());
        }
    }
}
