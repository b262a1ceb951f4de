package io.postilion.transport.sasl;

import com.ongres.scram.client.ScramClient;
import com.ongres.scram.common.StringPreparation;
import com.ongres.scram.common.exception.ScramException;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) through the ongres SCRAM client: SASLprep
 * on the password, gs2 header {@code n,,} ({@code n,a=USER,} with send_cyrus_sasl_authzid), no
 * channel binding. The server's signature in its final message is verified, and until it is, a
 * 235 is not believed (SASL-13): a mismatch is a mechanism failure, 4.7.0.
 */
final class ScramMechanism implements SaslMechanism {

    /**
     * Client nonces. A DRBG seeded once, here, computes every later nonce without reading the
     * kernel's entropy device, which would be blocking I/O on the event loop the exchange runs on.
     */
    private static final SecureRandom NONCES = seeded();

    private final String name;
    /** Null when the credentials cannot be used with SCRAM (see {@link #unusable}). */
    private final ScramClient client;
    /** Why SASLprep or the client refused the credentials: a local failure, reported before AUTH. */
    private final String unusable;
    private int step;
    private boolean verified;

    ScramMechanism(String name, SaslCredentials credentials) {
        this(name, credentials, ScramMechanism::nonce);
    }

    /** With a given nonce source: RFC 7677's worked example, in tests. */
    ScramMechanism(String name, SaslCredentials credentials, Supplier<String> nonces) {
        this.name = name;
        ScramClient built = null;
        String why = null;
        try {
            // SASLprep now, so that credentials it refuses fail before AUTH, as the table's fault.
            StringPreparation.SASL_PREPARATION.normalize(credentials.username().toCharArray());
            StringPreparation.SASL_PREPARATION.normalize(credentials.password().toCharArray());
            var stage = ScramClient.builder().advertisedMechanisms(List.of(name)).username(credentials.username())
                    .password(credentials.password().toCharArray()).stringPreparation(StringPreparation.SASL_PREPARATION)
                    .nonceSupplier(nonces);
            built = (credentials.sendAuthzid() ? stage.authzid(credentials.username()) : stage).build();
        } catch (RuntimeException e) {
            // An empty user name, a control character in the password (SASLprep): the table's fault,
            // not the server's; the message names the rule, never the password.
            why = name + " cannot use these credentials: " + e.getMessage();
        }
        this.client = built;
        this.unusable = why;
    }

    /** Makes sure the nonce source is seeded (class loading does it) off any event loop. */
    static void prepare() {
        // the static initialiser has run once this method is reached
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<byte[]> initialResponse() throws SaslException {
        if (client == null) {
            throw new SaslException(unusable);
        }
        try {
            return Optional.of(client.clientFirstMessage().toString().getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) { // SASLprep of the user name happens here
            throw new SaslException(name + " cannot use these credentials: " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] evaluate(byte[] challenge) throws SaslException {
        if (client == null) {
            throw new SaslException(unusable);
        }
        String text = new String(challenge, StandardCharsets.UTF_8);
        try {
            switch (step++) {
                case 0 -> {
                    client.serverFirstMessage(text);
                    return client.clientFinalMessage().toString().getBytes(StandardCharsets.UTF_8);
                }
                case 1 -> {
                    client.serverFinalMessage(text);
                    verified = true;
                    return new byte[0];
                }
                default -> throw new SaslException(name + " has no step after the server's final message");
            }
        } catch (ScramException | RuntimeException | AssertionError e) {
            // Whatever a hostile server's message makes the library throw is the server's failure
            // (with assertions on, its own null checks throw AssertionError; off, a later NPE).
            throw new SaslException(name + ": bad protocol / cancel (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public boolean complete() {
        return verified;
    }

    private static String nonce() {
        byte[] b = new byte[24];
        synchronized (NONCES) {
            NONCES.nextBytes(b);
        }
        return Base64.getEncoder().withoutPadding().encodeToString(b); // printable, and never a comma
    }

    private static SecureRandom seeded() {
        SecureRandom r;
        try {
            r = SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            r = new SecureRandom();
        }
        r.nextBytes(new byte[16]); // seeds now
        return r;
    }
}
