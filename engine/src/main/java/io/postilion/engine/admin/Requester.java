package io.postilion.engine.admin;

import io.netty.channel.unix.PeerCredentials;
import java.net.InetSocketAddress;

/**
 * Who sent an admin request, as the log names them beside every change to the queue: the peer's
 * uid and pid on the UNIX socket (from SO_PEERCRED), the client's address on TCP.
 */
public record Requester(String description) {

    public static Requester peer(PeerCredentials credentials) {
        return new Requester("uid=" + credentials.uid() + " pid=" + credentials.pid());
    }

    public static Requester client(InetSocketAddress address) {
        return new Requester("client=" + (address == null ? "unknown"
                : address.getAddress().getHostAddress() + ":" + address.getPort()));
    }

    @Override
    public String toString() {
        return description;
    }
}
