package io.postilion.transport.content;

import io.netty.util.ReferenceCounted;

/**
 * The discard hook of this package's fluxes: releases buffers and BDAT chunks that Reactor drops
 * from an internal queue when a content flux is cancelled or fails.
 *
 * <p>It is installed with {@code Operators.enableOnDiscard}, which <em>replaces</em> any hook a
 * subscriber installed for the operators upstream of it instead of chaining to it (as
 * {@code doOnDiscard} would). Reactor Netty's send path installs its own release hook; chaining
 * both would release a discarded buffer twice.
 */
final class DiscardedContent {

    private DiscardedContent() {
    }

    static void release(Object discarded) {
        if (discarded instanceof BdatChunk chunk) {
            chunk.release();
        } else if (discarded instanceof ReferenceCounted counted) {
            counted.release();
        }
    }
}
