/**
 * Where the TLS policy for one server is decided (Postfix's smtp_tls_policy.c): MTA-STS when it
 * is on (TLS-32, the answer a TLS-16 plugin would give), the global level, then the policy tables,
 * DANE and the defaults, before the connection is made and before a parked session is taken
 * (TLS-3). The session only follows the {@link io.postilion.tls.TlsPolicy} it is given.
 */
package io.postilion.engine.tls;
