package io.postilion.engine.admin;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import java.io.IOException;
import reactor.netty.http.server.HttpServerRequest;

/**
 * The UNIX socket's guard: the kernel tells who is at the other end (SO_PEERCRED), and only the
 * relay's own user may administer its queue, whatever the socket file's mode says. Root is not
 * let in when the relay runs as another user: postsuper needs root because root owns Postfix's
 * queue; here the relay's user owns it. A channel whose peer cannot be asked is refused.
 */
public final class PeerCredentialsGuard implements AdminGuard {

    private final int ownUid;

    public PeerCredentialsGuard(int ownUid) {
        this.ownUid = ownUid;
    }

    @Override
    public Verdict check(HttpServerRequest request, Channel channel) {
        if (!(channel instanceof EpollDomainSocketChannel domain)) {
            return Verdict.refuse(new Requester("peer=unknown"), 403,
                    "the peer's credentials cannot be read on a " + channel.getClass().getSimpleName());
        }
        PeerCredentials peer;
        try {
            peer = domain.peerCredentials(); // getsockopt(SO_PEERCRED): a system call that does not wait
        } catch (IOException e) {
            return Verdict.refuse(new Requester("peer=unknown"), 403, "SO_PEERCRED failed: " + e.getMessage());
        }
        Requester who = Requester.peer(peer);
        if (peer.uid() != ownUid) {
            return Verdict.refuse(who, 403, "uid " + peer.uid() + " is not the relay's uid " + ownUid);
        }
        return Verdict.admit(who);
    }
}
