package io.postilion.bench.crash;

/**
 * What the crash test starts, runs under load, kills and finally stops: our relay, or Postfix as
 * the anchor ({@link PostfixTarget}). The test itself (clients, sink, counting) is the same for
 * both.
 */
interface CrashTarget extends AutoCloseable {

    /** Starts on the queue the last run left, and returns once it accepts mail. */
    void start() throws Exception;

    /** Lets it run under load for {@code millis}, or less if it dies meanwhile. */
    void runFor(long millis) throws Exception;

    /** SIGKILL: nothing of it may deliver or record after this returns. */
    void kill() throws Exception;

    /**
     * A graceful stop at the end of the test.
     *
     * @return whether anything was running to stop
     */
    boolean stop() throws Exception;

    /** Frees what the target holds beyond the process itself. */
    @Override
    default void close() {
    }
}
