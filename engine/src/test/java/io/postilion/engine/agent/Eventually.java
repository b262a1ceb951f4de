package io.postilion.engine.agent;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for something a fake server sees after the agent's result is in: the client does not
 * wait for QUIT's reply (smtp_skip_quit_response), so the QUIT may reach the server a moment
 * later. A mechanism check with a generous bound, never a timing assertion.
 */
final class Eventually {

    private static final Duration LIMIT = Duration.ofSeconds(10);

    private Eventually() {
    }

    /** Returns once {@code condition} holds; fails naming {@code what} after ten seconds. */
    static void await(BooleanSupplier condition, String what) {
        long until = System.nanoTime() + LIMIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }
}
