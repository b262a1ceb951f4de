package io.postilion.transport.protocol;

import java.util.Objects;

/**
 * Where a message came from, as the receiving side saw its client: what XFORWARD hands on to a
 * content filter so that it sees the original client and not us (XFER-2, MISC-4). Empty strings
 * mean "not available"; a locally submitted message has nothing but its origin flag.
 *
 * @param name the client's host name ("unknown" when it had none)
 * @param addr the client's IP address
 * @param port the client's TCP port
 * @param proto the protocol it spoke (SMTP, ESMTP, ...)
 * @param helo the name it gave in HELO/EHLO
 * @param remote whether it came over the network (SOURCE=REMOTE) or was submitted locally (LOCAL)
 */
public record ClientOrigin(String name, String addr, String port, String proto, String helo, boolean remote) {

    /** A local submission: no client attributes. */
    public static final ClientOrigin LOCAL = new ClientOrigin("", "", "", "", "", false);

    public ClientOrigin {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(addr, "addr");
        Objects.requireNonNull(port, "port");
        Objects.requireNonNull(proto, "proto");
        Objects.requireNonNull(helo, "helo");
    }
}
