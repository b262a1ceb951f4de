package io.postilion.transport.protocol;

/**
 * Whether the content must be converted to 7 bit for this server (DATA-10): only when the server
 * lacks 8BITMIME (after SESS-17), the message is not known to be 7bit, conversion is not disabled,
 * and the message does not need SMTPUTF8 (such a message never reaches a server without it,
 * SESS-16). A downgraded message goes without SIZE=, since its size changes (XFER-3).
 */
public final class MimeDowngrade {

    private MimeDowngrade() {
    }

    /**
     * @param disableMimeOutputConversion disable_mime_output_conversion (no)
     */
    public static boolean needed(Capabilities server, BodyType body, boolean disableMimeOutputConversion,
            boolean requiresSmtputf8) {
        return !disableMimeOutputConversion && !server.eightBitMime() && body != BodyType.SEVEN_BIT && !requiresSmtputf8;
    }
}
