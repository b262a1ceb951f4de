package io.postilion.engine.agent;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * notify_classes and error_notice_recipient, as the client needs them (LOG-9): of Postfix's error
 * classes the SMTP client raises only "protocol" (REPLY-6, REPLY-8, malformed replies) and "data"
 * (a local error reading the message), and a session that raised a listed class earns the
 * postmaster a transcript. With Postfix's default classes (resource, software) none is ever due,
 * and sessions keep no transcript at all.
 *
 * @param classes the listed classes the client can raise
 * @param recipient error_notice_recipient (postmaster)
 * @param doubleBounceSender double_bounce_sender (double-bounce): the local part of the sender of
 *     the relay's own postmaster notices, about which no transcript is ever due
 */
public record PostmasterNotices(Set<ErrorClass> classes, String recipient, String doubleBounceSender) {

    /** The error classes an SMTP/LMTP client session can raise. */
    public enum ErrorClass { PROTOCOL, DATA }

    public PostmasterNotices {
        classes = classes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(classes));
    }

    /** Postfix's defaults: notify_classes = resource, software; error_notice_recipient = postmaster. */
    public static PostmasterNotices defaults() {
        return new PostmasterNotices(Set.of(), "postmaster", "double-bounce");
    }

    /** From notify_classes; classes the client never raises (bounce, delay, ...) are for others and ignored here. */
    public static PostmasterNotices of(List<String> notifyClasses, String recipient) {
        return of(notifyClasses, recipient, "double-bounce");
    }

    /** As {@link #of(List, String)}, with the double-bounce sender's local part. */
    public static PostmasterNotices of(List<String> notifyClasses, String recipient, String doubleBounceSender) {
        Set<ErrorClass> set = EnumSet.noneOf(ErrorClass.class);
        for (String c : notifyClasses) {
            switch (c.trim().toLowerCase(Locale.ROOT)) {
                case "protocol" -> set.add(ErrorClass.PROTOCOL);
                case "data" -> set.add(ErrorClass.DATA);
                default -> {
                }
            }
        }
        return new PostmasterNotices(set, recipient, doubleBounceSender);
    }

    /** LOG-9: mail that is itself a notice (null or double-bounce sender) earns no transcript. */
    public boolean isNotice(String sender) {
        return sender.isEmpty() || sender.toLowerCase(Locale.ROOT).startsWith(doubleBounceSender.toLowerCase(Locale.ROOT) + "@");
    }

    /** Whether sessions need a transcript at all. */
    public boolean any() {
        return !classes.isEmpty();
    }
}
