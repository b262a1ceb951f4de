package io.postilion.transport.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.util.function.LongConsumer;

/**
 * Reports each completed write's size to whoever watches the content phase, so that the
 * {@link TransferBudget} sees the same progress the socket does.
 */
final class WriteProgress extends ChannelOutboundHandlerAdapter {

    private LongConsumer listener;

    /** Set (or clear, with null) the listener; called on the event loop. */
    void listen(LongConsumer l) {
        this.listener = l;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        LongConsumer l = listener;
        if (l != null && msg instanceof ByteBuf buf) {
            long n = buf.readableBytes();
            ctx.write(msg, promise.unvoid().addListener(f -> {
                if (f.isSuccess()) {
                    l.accept(n);
                }
            }));
            return;
        }
        ctx.write(msg, promise);
    }
}
