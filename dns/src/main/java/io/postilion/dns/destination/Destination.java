package io.postilion.dns.destination;

/** A syntactically valid destination: a TCP host/port (perhaps to be looked up in DNS) or a UNIX socket. */
public sealed interface Destination extends ParsedDestination permits InetDestination, UnixDestination {

    /** True when this item came from the fallback relay setting rather than the request (DEST-2, LOOKUP-22). */
    boolean fallbackRelay();
}
