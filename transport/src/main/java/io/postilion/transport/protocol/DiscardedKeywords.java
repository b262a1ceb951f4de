package io.postilion.transport.protocol;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * A parsed {@code smtp_discard_ehlo_keywords} / {@code lmtp_discard_lhlo_keywords} value: the
 * EHLO keywords to act as if the server never announced them (SESS-13).
 *
 * @param keywords the keywords to discard
 * @param silent true when the pseudo keyword {@code silent-discard} was given: do not log what
 *     was discarded
 */
public record DiscardedKeywords(Set<EhloKeyword> keywords, boolean silent) {

    /** Nothing discarded, the default. */
    public static final DiscardedKeywords NONE = new DiscardedKeywords(Set.of(), false);

    /** The pseudo keyword that suppresses the log of discarded keywords. */
    public static final String SILENT_DISCARD = "silent-discard";

    public DiscardedKeywords {
        keywords = keywords.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(keywords));
    }

    /**
     * Parses a list separated by commas and white space. Names are case-insensitive; unknown names
     * are ignored, as SESS-13 requires.
     */
    public static DiscardedKeywords parse(String value) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        EnumSet<EhloKeyword> set = EnumSet.noneOf(EhloKeyword.class);
        boolean silent = false;
        for (String name : value.split("[,\\s]+")) {
            if (name.isEmpty()) {
                continue;
            }
            if (name.toLowerCase(Locale.ROOT).equals(SILENT_DISCARD)) {
                silent = true;
            } else {
                EhloKeyword.fromName(name).ifPresent(set::add);
            }
        }
        return new DiscardedKeywords(set, silent);
    }

    public boolean discards(EhloKeyword keyword) {
        return keywords.contains(keyword);
    }

    /**
     * The keywords as Postfix's "discarding EHLO keywords: ..." line prints them: as spelled on
     * the wire, in its table's order, separated by spaces.
     */
    public String names() {
        return keywords.stream().sorted().map(EhloKeyword::wireName).collect(java.util.stream.Collectors.joining(" "));
    }
}
