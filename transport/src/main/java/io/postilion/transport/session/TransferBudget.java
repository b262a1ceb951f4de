package io.postilion.transport.session;

/**
 * The time budget of the content phase (TIME-2, TIME-4). Without the per-request deadline every
 * bit of progress restores the full limit; with it, the phase starts with the limit and each
 * write of N bytes that took E seconds changes the budget to
 * {@code min(budget - E + N / smtp_min_data_rate, limit)}, so a server reading slower than the
 * minimum rate runs out of time while a fast one never does.
 */
final class TransferBudget {

    private final long limitNanos;
    private final boolean deadline;
    private final long minDataRate;
    private long budgetNanos;
    private long lastNanos;

    TransferBudget(long limitNanos, boolean deadline, long minDataRate, long nowNanos) {
        this.limitNanos = limitNanos;
        this.deadline = deadline;
        this.minDataRate = minDataRate;
        this.budgetNanos = limitNanos;
        this.lastNanos = nowNanos;
    }

    /** A write completed {@code bytes} bytes at {@code nowNanos}. */
    void progress(long bytes, long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        lastNanos = nowNanos;
        if (!deadline) {
            budgetNanos = limitNanos;
            return;
        }
        long credit = minDataRate > 0 ? (long) (bytes * 1e9 / minDataRate) : 0;
        budgetNanos = Math.min(budgetNanos - elapsed + credit, limitNanos);
    }

    /** Nanoseconds left at {@code nowNanos}; zero or less means the transfer timed out. */
    long remaining(long nowNanos) {
        return budgetNanos - (nowNanos - lastNanos);
    }
}
