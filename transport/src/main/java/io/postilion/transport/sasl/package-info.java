/**
 * Client SASL (spec section 9): the mechanisms this port speaks without Cyrus (SASL-13), the
 * security options that rule mechanisms out by channel (SASL-4), and the choice among the
 * server's offer (SASL-3). The exchange on the wire is the session's ({@code SmtpSession.authenticate});
 * which credentials to use is the delivery agent's (SASL-2). Nothing here logs or prints a secret.
 */
package io.postilion.transport.sasl;
