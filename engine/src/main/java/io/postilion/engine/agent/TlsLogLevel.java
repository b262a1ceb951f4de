package io.postilion.engine.agent;

import io.postilion.engine.config.ConfigurationException;
import java.util.Locale;
import java.util.Map;

/**
 * Reads smtp_tls_loglevel (TLS-30; Postfix's tls_log_mask in tls_misc.c): numbers 0-4 (5-9 count
 * as 4, as in Postfix), their names none, routine, debug, ssl-expert and ssl-developer, and the
 * detail keywords, separated by commas or white space. The result is the one figure Postilion
 * acts on: 1 and above log the "TLS connection established" line after each handshake. The
 * detail keywords and the levels above 1 are accepted, as Postfix accepts them, and add nothing
 * here (their output is OpenSSL's own tracing, which BoringSSL under Netty does not offer); a word
 * Postfix does not know stops start-up, as Postfix's name_mask does.
 */
final class TlsLogLevel {

    /** Every word Postfix accepts, with the figure it stands for (-1: a detail keyword only). */
    private static final Map<String, Integer> WORDS = Map.ofEntries(
            Map.entry("0", 0), Map.entry("none", 0),
            Map.entry("1", 1), Map.entry("routine", 1), Map.entry("summary", 1),
            Map.entry("2", 2), Map.entry("debug", 2),
            Map.entry("3", 3), Map.entry("ssl-expert", 3),
            Map.entry("4", 4), Map.entry("ssl-developer", 4),
            Map.entry("5", 4), Map.entry("6", 4), Map.entry("7", 4), Map.entry("8", 4), Map.entry("9", 4),
            Map.entry("untrusted", -1), Map.entry("peercert", -1), Map.entry("certmatch", -1),
            Map.entry("verbose", -1), Map.entry("cache", -1), Map.entry("dane", -1), Map.entry("ssl-debug", -1),
            Map.entry("ssl-handshake-packet-dump", -1), Map.entry("ssl-session-packet-dump", -1));

    private TlsLogLevel() {
    }

    /**
     * @param parameter the name to report (smtp_tls_loglevel or its lmtp_ twin)
     * @return 0-4
     * @throws ConfigurationException (78) for a word Postfix does not know
     */
    static int parse(String parameter, String value) {
        int level = 0;
        for (String word : value.split("[,\\s]+")) {
            if (word.isEmpty()) {
                continue;
            }
            Integer figure = WORDS.get(word.toLowerCase(Locale.ROOT));
            if (figure == null) {
                throw ConfigurationException.badValue(parameter, parameter + " = " + value + ": unknown TLS log level or keyword '"
                        + word + "'");
            }
            level = Math.max(level, figure);
        }
        return level;
    }
}
