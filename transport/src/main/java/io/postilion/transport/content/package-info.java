/**
 * Message content on its way to the wire: the spool's CRLF-normalised, unstuffed bytes become the
 * bytes of a DATA transfer (dot-stuffed, ended by {@code .CRLF}) or of BDAT chunks (never
 * stuffed), optionally downgraded from 8BITMIME to 7-bit MIME first (spec section 5,
 * CLARIFICATIONS 1, 2 and 26).
 *
 * <p>Order of the stages, composed by {@link io.postilion.transport.content.WireContent}:
 * {@link io.postilion.transport.content.ContentSource} &rarr;
 * {@link io.postilion.transport.content.MimeDowngrader} (only when downgrading) &rarr;
 * {@link io.postilion.transport.content.WireContentEncoder} &rarr; end-of-data line (DATA) or
 * {@link io.postilion.transport.content.BdatFramer} (BDAT).
 *
 * <p>Buffer ownership, everywhere in this package: a stage that transforms bytes
 * ({@code WireContentEncoder.encode}, {@code MimeDowngrader.convert}) reads its argument without
 * releasing it and returns a new buffer the caller owns; a stage that must keep bytes
 * ({@code BdatFramer.offer}) takes ownership of its argument; every buffer or chunk a flux emits
 * belongs to its subscriber.
 */
package io.postilion.transport.content;
