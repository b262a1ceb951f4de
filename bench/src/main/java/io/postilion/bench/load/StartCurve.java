package io.postilion.bench.load;

import java.util.Arrays;
import java.util.Locale;

/**
 * How fast a run reached its warm rate: the messages/s of each block of B delivered messages, in
 * order, from the completion time of every message (a preallocated array of nanoTime stamps,
 * filled by the run as replies come; nothing is computed while the run goes). The warm rate is
 * the median of the last {@link #WARM_BLOCKS} full blocks (of the last half of the blocks when
 * the run has fewer than twice that many), and the curve says the first block whose rate reaches
 * 80% of it.
 */
final class StartCurve {

    static final int WARM_BLOCKS = 10;
    static final double REACHED = 0.8;

    private final int block;
    private final double[] rates;
    private final int warmBlocks;
    private final double warmRate;

    private StartCurve(int block, double[] rates) {
        this.block = block;
        this.rates = rates;
        this.warmBlocks = Math.min(WARM_BLOCKS, rates.length / 2 > 0 ? rates.length / 2 : rates.length);
        this.warmRate = warmBlocks == 0 ? Double.NaN
                : Stats.median(Arrays.copyOfRange(rates, rates.length - warmBlocks, rates.length));
    }

    /**
     * The curve of a run that started at {@code start} (nanoTime) and finished {@code count}
     * messages at {@code stamps[0..count)} (nanoTime, in completion order); a last partial block
     * is left out, since its rate would be over fewer messages.
     */
    static StartCurve of(long start, long[] stamps, int count, int block) {
        if (block < 1) {
            throw new IllegalArgumentException("block must be positive");
        }
        int blocks = count / block;
        double[] rates = new double[blocks];
        long from = start;
        for (int b = 0; b < blocks; b++) {
            long to = stamps[(b + 1) * block - 1];
            rates[b] = to > from ? block / ((to - from) / 1e9) : Double.POSITIVE_INFINITY;
            from = to;
        }
        return new StartCurve(block, rates);
    }

    double[] rates() {
        return rates.clone();
    }

    /** The median rate of the last blocks (see the class comment); NaN without a full block. */
    double warmRate() {
        return warmRate;
    }

    /** 1-based number of the first block at or above 80% of the warm rate; 0 without one. */
    int reachedBlock() {
        for (int b = 0; b < rates.length; b++) {
            if (rates[b] >= REACHED * warmRate) {
                return b + 1;
            }
        }
        return 0;
    }

    /** One line: the rates, the warm rate with its definition, and where 80% of it was reached. */
    String line() {
        StringBuilder sb = new StringBuilder("curve       block=" + block + " msgs_per_s=");
        for (int b = 0; b < rates.length; b++) {
            sb.append(b == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.0f", rates[b]));
        }
        int reached = reachedBlock();
        sb.append(String.format(Locale.ROOT, " warm_msgs_per_s=%.0f (median of the last %d of %d blocks)", warmRate,
                warmBlocks, rates.length));
        sb.append(reached > 0 ? " reached_80pct_at_block=" + reached + " (" + (long) reached * block + " messages)"
                : " reached_80pct_at_block=none");
        return sb.toString();
    }
}
