package io.postilion.dns.destination;

/** What the parser makes of one destination item: a usable destination or a described syntax error. */
public sealed interface ParsedDestination permits Destination, BadDestination {

    /** The item exactly as written (without an LMTP {@code inet:}/{@code unix:} prefix). */
    String nexthop();
}
