package io.postilion.dns.destination;

import java.util.Objects;

/** An LMTP server on a UNIX-domain socket ({@code unix:/path}, DEST-11); never looked up in DNS. */
public record UnixDestination(String nexthop, String path) implements Destination {

    public UnixDestination {
        Objects.requireNonNull(nexthop, "nexthop");
        Objects.requireNonNull(path, "path");
    }

    @Override
    public boolean fallbackRelay() {
        return false;
    }
}
