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

    /** bcrypt takes at most 72 bytes of password; a longer one is a failure, never a truncated match. */
    static final int MAX_PASSWORD_BYTES = 72;

    private final LookupTable passwords;
    /**
     * A hash that matches no password, checked for unknown users, at the cost most entries of the
     * table use, so an unknown user takes as long as a known one and names cannot be probed by time.
     */
    private final byte[] dummy;

    private SaslAuthenticator(LookupTable passwords, int cost) {
        this.passwords = passwords;
        this.dummy = BCrypt.withDefaults().hash(cost, new byte[16], "no such user".getBytes(StandardCharsets.UTF_8));
    }

    /** The cost of the hash checked for unknown users (the table's most common cost). */
    int dummyCost() {
        return Integer.parseInt(new String(dummy, 4, 2, StandardCharsets.US_ASCII));
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
        java.util.Map<Integer, Integer> costs = new java.util.HashMap<>();
        for (String v : values.get()) {
            if (!isBcrypt(v)) {
                // The entry is not shown: it may be a password.
                throw new IllegalArgumentException("an entry is not a bcrypt hash ($2a$, $2b$ or $2y$, as htpasswd -nbB "
                        + "prints); plaintext passwords are refused");
            }
            costs.merge(Integer.parseInt(v.substring(4, 6)), 1, Integer::sum);
        }
        int cost = costs.entrySet().stream().max(java.util.Map.Entry.comparingByValue())
                .map(java.util.Map.Entry::getKey).orElse(10);
        return new SaslAuthenticator(passwords, Math.max(4, Math.min(31, cost)));
    }

    static boolean isBcrypt(String v) {
        return v.matches("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");
    }

    /** Whether {@code password} is {@code user}'s; completes off the event loop. */
    public Mono<Boolean> verify(String user, String password) {
        return Mono.fromCallable(() -> {
            Optional<String> hash = passwords.find(user);
            byte[] stored = hash.map(h -> h.getBytes(StandardCharsets.US_ASCII)).orElse(dummy);
            byte[] given = password.getBytes(StandardCharsets.UTF_8);
            boolean tooLong = given.length > MAX_PASSWORD_BYTES;
            // An over-long password still costs one check, so its refusal takes as long as any other.
            boolean ok = BCrypt.verifyer().verify(tooLong ? java.util.Arrays.copyOf(given, MAX_PASSWORD_BYTES) : given,
                    stored).verified;
            return ok && hash.isPresent() && !tooLong;
        }).subscribeOn(Schedulers.boundedElastic());
    }
}
