/** Postfix destination syntax: DestinationParser turns a next-hop string into Destination values or a BadDestination (DEST rules). */
package io.postilion.dns.destination;
