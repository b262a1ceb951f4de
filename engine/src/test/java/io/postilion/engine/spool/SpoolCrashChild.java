package io.postilion.engine.spool;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import reactor.core.publisher.Flux;

/**
 * The process {@link SpoolCrashTest} kills: it stores messages as fast as it can, 16 at a time,
 * and prints each queue id only once the spool has acknowledged it (what a 250 would follow).
 */
public final class SpoolCrashChild {

    private SpoolCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Spool spool = Spool.open(Path.of(args[0]), new ChannelSpoolFiles(), Clock.systemUTC());
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
        out.println("ready");
        Flux.range(0, Integer.MAX_VALUE)
                .flatMap(i -> {
                    String id = spool.newQueueId();
                    return spool.accept(SpoolTest.message(id, "Message-ID: <" + id + "@crash.test>\r\n\r\nbody " + i + "\r\n",
                            "a@x.test")).thenReturn(id);
                }, 16)
                .doOnNext(out::println)
                .blockLast();
    }
}
