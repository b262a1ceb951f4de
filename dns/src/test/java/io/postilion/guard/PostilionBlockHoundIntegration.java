package io.postilion.guard;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Postilion's one place for BlockHound rules, loaded in every test JVM (blockhound-junit-platform
 * installs BlockHound with every integration found by ServiceLoader).
 *
 * <p>BlockHound knows sockets, sleeps, locks and {@code Mono.block}; it does not know file channels
 * or name-service lookups, which are exactly the calls a mail engine is tempted to make on an event
 * loop (spool I/O, fsync, {@code InetAddress.getByName}). They are marked blocking here.
 *
 * <p>Allowances (calls that block in theory but are safe where they happen) are added below, each
 * with the reason it is safe.
 */
public final class PostilionBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        String fileChannel = "sun.nio.ch.FileChannelImpl";
        builder.markAsBlocking(fileChannel, "read", "(Ljava/nio/ByteBuffer;)I");
        builder.markAsBlocking(fileChannel, "read", "(Ljava/nio/ByteBuffer;J)I");
        builder.markAsBlocking(fileChannel, "write", "(Ljava/nio/ByteBuffer;)I");
        builder.markAsBlocking(fileChannel, "write", "(Ljava/nio/ByteBuffer;J)I");
        builder.markAsBlocking(fileChannel, "force", "(Z)V");
        builder.markAsBlocking(fileChannel, "transferTo", "(JJLjava/nio/channels/WritableByteChannel;)J");

        String inetAddress = "java.net.InetAddress";
        builder.markAsBlocking(inetAddress, "getAllByName", "(Ljava/lang/String;)[Ljava/net/InetAddress;");
        builder.markAsBlocking(inetAddress, "getByName", "(Ljava/lang/String;)Ljava/net/InetAddress;");
        builder.markAsBlocking(inetAddress, "getLocalHost", "()Ljava/net/InetAddress;");
        builder.markAsBlocking(inetAddress, "getCanonicalHostName", "()Ljava/lang/String;");
        builder.markAsBlocking(inetAddress, "getHostName", "()Ljava/lang/String;");

        // Netty 4.2's default allocator takes a StampedLock write lock when two event loops grow or
        // retire a magazine at the same moment (seen under the listener's flood tests: an epoll read
        // allocating its buffer). The lock guards a few field updates, never I/O; Netty 4.2.18's own
        // BlockHound integration does not list it yet (Armeria allows it for the same reason, its
        // pull request 6344). Without this the guard would fail a read of a loaded event loop.
        String magazine = "io.netty.buffer.AdaptivePoolingAllocator$Magazine";
        builder.allowBlockingCallsInside(magazine, "free");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines");

        // Lettuce (the fleet's Redis client) takes its endpoint's lock on its own event loop while a
        // connection becomes active, goes inactive or closes; it may wait there a moment for a
        // command being dispatched from the fleet's dispatch thread, which holds the lock for a few
        // instructions. Only that exclusive side is allowed: a dispatch (incrementWriters) on a
        // loop stays an error, because a throw there corrupts Lettuce's writer count
        // (RedisDestinationLimits dispatches on a thread of its own for that reason).
        builder.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "doExclusive");
    }
}
