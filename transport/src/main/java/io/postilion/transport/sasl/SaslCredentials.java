package io.postilion.transport.sasl;

import java.util.Objects;

/**
 * A user name and password (or, for XOAUTH2, bearer token) found for a server. The password is
 * never shown: {@link #toString} names the user only, so a credential that reaches a log line or
 * an exception message by accident gives nothing away.
 *
 * @param username the authentication identity
 * @param password the secret; may be empty
 * @param sendAuthzid send_cyrus_sasl_authzid: send the user name as authorization identity too
 */
public record SaslCredentials(String username, String password, boolean sendAuthzid) {

    public SaslCredentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
    }

    @Override
    public String toString() {
        return "SaslCredentials[username=" + username + ", password=<hidden>]";
    }
}
