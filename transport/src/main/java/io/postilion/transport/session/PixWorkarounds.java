package io.postilion.transport.session;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the client does for a server whose greeting looks masked by a Cisco PIX (SESS-18;
 * Postfix's smtp_helo in smtp_proto.c), under Postfix's parameter names (the lmtp_ twins in LMTP
 * mode). Decided once, at the greeting, for the message that opened the session; a session that is
 * reused keeps the decision, as Postfix keeps the feature bits of a cached connection.
 *
 * @param workarounds smtp_pix_workarounds ({@code disable_esmtp, delay_dotcrlf}), the list used when
 *     the map has no entry for the server
 * @param maps smtp_pix_workaround_maps (none), keyed by the server's address; its value wins over
 *     the list
 * @param delay smtp_pix_workaround_delay_time (10s): the pause before the "." line
 * @param threshold smtp_pix_workaround_threshold_time (500s): delay_dotcrlf only for a message queued
 *     at least this long (0: always), so a first attempt is normally not slowed down
 */
public record PixWorkarounds(String workarounds, AddressMap maps, Duration delay, Duration threshold) {

    /** Postfix's defaults. */
    public static final PixWorkarounds DEFAULTS = new PixWorkarounds("disable_esmtp, delay_dotcrlf", AddressMap.NONE,
            Duration.ofSeconds(10), Duration.ofSeconds(500));

    public PixWorkarounds {
        Objects.requireNonNull(workarounds, "workarounds");
        Objects.requireNonNull(maps, "maps");
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(threshold, "threshold");
    }

    /**
     * The workarounds for a server with a PIX-like greeting at {@code address}, for a message that
     * has been queued for {@code messageAge}; empty when the list that applies names none, in which
     * case Postfix says nothing. A table that cannot answer counts as no entry ("best effort only").
     */
    public Optional<Set<PixWorkaround>> forServer(String address, Duration messageAge) {
        String words;
        try {
            words = maps.find(address).orElse(workarounds);
        } catch (RuntimeException e) {
            words = workarounds;
        }
        if (words.isBlank()) {
            return Optional.empty();
        }
        Set<PixWorkaround> set = EnumSet.noneOf(PixWorkaround.class);
        set.addAll(PixWorkaround.parse(words));
        if (messageAge.compareTo(threshold) < 0) {
            set.remove(PixWorkaround.DELAY_DOTCRLF); // a young message is not held up
        }
        return Optional.of(Collections.unmodifiableSet(set));
    }
}
