package io.postilion.transport.protocol;

import java.util.Collection;

/**
 * When a delivery needs an SMTPUTF8 server (DATA-20): the sender asked for SMTPUTF8 and something
 * in this delivery is actually UTF-8 (the envelope sender, a header, or one of its recipients).
 * A message that only asked, with pure ASCII inside, may go to any server.
 */
public final class Smtputf8 {

    private Smtputf8() {
    }

    /**
     * @param requested the sender asked for SMTPUTF8 (MAIL FROM ... SMTPUTF8, or autodetection)
     * @param sender the envelope sender
     * @param headersUtf8 a message header contains UTF-8
     * @param recipients the recipients of this delivery request
     */
    public static boolean required(boolean requested, String sender, boolean headersUtf8, Collection<String> recipients) {
        if (!requested) {
            return false;
        }
        if (headersUtf8 || !isAscii(sender)) {
            return true;
        }
        for (String r : recipients) {
            if (!isAscii(r)) {
                return true;
            }
        }
        return false;
    }

    static boolean isAscii(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }
}
