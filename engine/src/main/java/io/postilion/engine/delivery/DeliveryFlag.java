package io.postilion.engine.delivery;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The master.cf {@code flags=} letters the SMTP/LMTP client honours (DATA-22..25). Other letters
 * of Postfix's pipe(8) flag set mean nothing to this client and are refused, so a typo is not
 * silently ignored.
 */
public enum DeliveryFlag {
    /** Prepend Delivered-To: RECIPIENT, and refuse mail that already carries it (loop check). */
    D,
    /** Prepend X-Original-To: ORIGINAL_RECIPIENT. */
    O,
    /** Prepend Return-Path: <SENDER>. */
    R,
    /** Final delivery: the success DSN action is "delivered" in LMTP mode. */
    X;

    /** Parses a flags string such as {@code "DORX"}; an unknown letter is an error naming it. */
    public static Set<DeliveryFlag> parse(String letters) {
        Set<DeliveryFlag> out = EnumSet.noneOf(DeliveryFlag.class);
        for (char c : letters.toCharArray()) {
            try {
                out.add(valueOf(String.valueOf(c).toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unsupported delivery flag '" + c + "' (D, O, R and X are)");
            }
        }
        return out;
    }
}
