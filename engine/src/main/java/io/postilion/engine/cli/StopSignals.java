package io.postilion.engine.cli;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a clean stop with exit 0: the JVM's own handling runs the
 * shutdown hooks and then exits 143, which a supervisor reads as a failure. The relay's main
 * thread waits here, stops the relay itself and returns 0.
 */
final class StopSignals {

    private StopSignals() {
    }

    /** Blocks the calling (main) thread until SIGTERM or SIGINT arrives. */
    static void awaitStop() {
        CountDownLatch stop = new CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> stop.countDown());
        }
        boolean interrupted = false;
        while (stop.getCount() > 0) {
            try {
                stop.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
