/** Finding the servers for a next-hop as Postfix's smtp(8)/lmtp(8) do: NextHopResolver turns a parsed destination into an ordered TargetList. */
package io.postilion.dns;
