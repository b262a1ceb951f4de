package io.postilion.engine.listener;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.postilion.engine.config.LookupTable;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Optional;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Checks AUTH PLAIN/LOGIN credentials against smtpd_sasl_password_maps: a table from user name to
 * a bcrypt hash (CLARIFICATIONS 13; {@code htpasswd -nbB user pass} prints one). A table holding
 * anything but bcrypt hashes is refused at start-up, so no plaintext password can sit in it.
 *
 * <p>bcrypt is slow on purpose (tens of milliseconds), so the check runs on a worker thread,
 * never on the event loop. An unknown user costs a hash check too, so timing does not tell which
 * user names exist.
 */
public final class SaslAuthenticator {

    /** A hash that matches no password, checked for unknown users. */
    private static final byte[] DUMMY = BCrypt.withDefaults().hash(10, new byte[16], "no such user".getBytes(StandardCharsets.UTF_8));

    private final LookupTable passwords;

    private SaslAuthenticator(LookupTable passwords) {
        this.passwords = passwords;
    }

    /**
     * @throws IllegalArgumentException when the table's entries cannot be listed (use inline: or
     *     texthash:) or one of them is not a bcrypt hash
     */
    public static SaslAuthenticator of(LookupTable passwords) {
        Optional<Collection<String>> values = passwords.fixedValues();
        if (values.isEmpty()) {
            throw new IllegalArgumentException("use an inline: or texthash: table, whose entries can be checked at start-up");
        }
        for (String v : values.get()) {
            if (!isBcrypt(v)) {
                throw new IllegalArgumentException("an entry is not a bcrypt hash ($2a$, $2b$ or $2y$, as htpasswd -nbB "
                        + "prints); plaintext passwords are refused");
            }
        }
        return new SaslAuthenticator(passwords);
    }

    static boolean isBcrypt(String v) {
        return v.matches("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");
    }

    /** Whether {@code password} is {@code user}'s; completes off the event loop. */
    public Mono<Boolean> verify(String user, String password) {
        return Mono.fromCallable(() -> {
            Optional<String> hash = passwords.find(user);
            byte[] stored = hash.map(h -> h.getBytes(StandardCharsets.US_ASCII)).orElse(DUMMY);
            boolean ok = BCrypt.verifyer().verify(password.getBytes(StandardCharsets.UTF_8), stored).verified;
            return ok && hash.isPresent();
        }).subscribeOn(Schedulers.boundedElastic());
    }
}
