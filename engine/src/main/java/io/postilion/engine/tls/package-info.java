/**
 * Where the TLS policy for one server is decided (Postfix's smtp_tls_policy.c): the global level,
 * then the policy tables, DANE and the defaults, before the connection is made (TLS-3). The
 * session only follows the {@link io.postilion.tls.TlsPolicy} it is given.
 */
package io.postilion.engine.tls;
