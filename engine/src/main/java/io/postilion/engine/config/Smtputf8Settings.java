package io.postilion.engine.config;

import java.util.Collection;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * {@code smtputf8_enable} and {@code smtputf8_autodetect_classes} (DATA-20): whether SMTPUTF8 is
 * supported at all, and for which sources of mail a message that does not ask for SMTPUTF8 gets it
 * anyway because its envelope or headers hold UTF-8 (Postfix's smtputf8_autodetect and cleanup).
 * The one place that decides whether a message entering the relay has SMTPUTF8 requested.
 *
 * @param enabled smtputf8_enable (yes)
 * @param autodetect the classes named by smtputf8_autodetect_classes (sendmail, verify)
 */
public record Smtputf8Settings(boolean enabled, Set<Source> autodetect) {

    /**
     * Postfix's mail source classes that Postilion has: smtpd is the listener, sendmail the
     * {@code send} command, verify its {@code --verify} probes, bounce the notices the relay writes,
     * notify the postmaster's transcripts. qmqpd and forward name sources Postilion does not have
     * (no QMQP server, no local delivery); they are accepted, as "all" is, and match nothing here.
     */
    public enum Source { SENDMAIL, SMTPD, QMQPD, FORWARD, BOUNCE, NOTIFY, VERIFY }

    /** Postfix's defaults. */
    public static final Smtputf8Settings DEFAULTS = new Smtputf8Settings(true, EnumSet.of(Source.SENDMAIL, Source.VERIFY));

    public Smtputf8Settings {
        autodetect = autodetect.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(autodetect));
    }

    /** @throws ConfigurationException (78) for a class name Postfix does not know, as its name_mask is fatal */
    public static Smtputf8Settings from(Configuration cfg) {
        EnumSet<Source> classes = EnumSet.noneOf(Source.class);
        for (String name : cfg.list("smtputf8_autodetect_classes")) {
            String n = name.trim().toUpperCase(Locale.ROOT);
            if (n.isEmpty()) {
                continue;
            }
            if (n.equals("ALL")) {
                classes.addAll(EnumSet.allOf(Source.class));
                continue;
            }
            try {
                classes.add(Source.valueOf(n));
            } catch (IllegalArgumentException e) {
                throw ConfigurationException.badValue("smtputf8_autodetect_classes", "smtputf8_autodetect_classes: "
                        + "unknown mail source class \"" + name.trim() + "\" (sendmail, smtpd, qmqpd, forward, bounce, "
                        + "notify, verify, all)");
            }
        }
        return new Smtputf8Settings(cfg.bool("smtputf8_enable"), classes);
    }

    /**
     * Whether a message from {@code source} has SMTPUTF8 requested: never with the feature off;
     * when its sender declared it (MAIL FROM ... SMTPUTF8, or the original of a bounce did); or
     * when {@code source} is autodetected and the sender, a recipient or a header holds UTF-8.
     */
    public boolean requested(Source source, boolean declared, String sender, Collection<String> recipients,
            boolean headersUtf8) {
        if (!enabled) {
            return false;
        }
        if (declared) {
            return true;
        }
        if (!autodetect.contains(source)) {
            return false;
        }
        return headersUtf8 || !ascii(sender) || recipients.stream().anyMatch(r -> !ascii(r));
    }

    /** Whether a header of {@code message} (CRLF or LF lines, up to the first empty one) has a non-ASCII byte. */
    public static boolean headersUtf8(byte[] message) {
        boolean lineStart = true;
        for (int i = 0; i < message.length; i++) {
            byte b = message[i];
            if (b < 0) {
                return true;
            }
            if (lineStart && (b == '\n' || b == '\r' && i + 1 < message.length && message[i + 1] == '\n')) {
                return false; // the empty line: the body starts
            }
            lineStart = b == '\n';
        }
        return false;
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
