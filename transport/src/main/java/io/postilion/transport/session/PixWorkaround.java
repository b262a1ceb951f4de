package io.postilion.transport.session;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The workarounds for a Cisco PIX "smtp fixup" that Postfix knows (SESS-18), under the names
 * smtp_pix_workarounds and smtp_pix_workaround_maps use.
 */
public enum PixWorkaround {
    /** Say HELO, never EHLO: the fixup garbles ESMTP. */
    DISABLE_ESMTP,
    /** Flush and pause before the "." line, so that CRLF.CRLF does not straddle two packets. */
    DELAY_DOTCRLF;

    /** The name in main.cf, e.g. {@code delay_dotcrlf}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a list separated by commas and white space: names in any letter case, unknown names
     * ignored (Postfix's name_mask_opt with NAME_MASK_ANY_CASE | NAME_MASK_IGNORE, which lets a
     * main.cf move between Postfix versions).
     */
    public static Set<PixWorkaround> parse(String value) {
        Set<PixWorkaround> out = EnumSet.noneOf(PixWorkaround.class);
        for (String word : value.split("[,\\s]+")) {
            for (PixWorkaround w : values()) {
                if (w.configName().equalsIgnoreCase(word)) {
                    out.add(w);
                }
            }
        }
        return out;
    }

    /** The names as Postfix's log prints a mask: in declaration order, separated by spaces. */
    public static String names(Set<PixWorkaround> set) {
        return set.stream().sorted().map(PixWorkaround::configName).collect(Collectors.joining(" "));
    }
}
