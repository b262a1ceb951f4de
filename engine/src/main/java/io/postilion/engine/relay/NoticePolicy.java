package io.postilion.engine.relay;

import io.postilion.engine.config.Configuration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Who gets a notice about mail that cannot be returned, as Postfix's bounce(8) and qmgr(8)
 * decide it. A notice (its sender is null) that fails becomes a double bounce: a postmaster copy
 * sent from the double-bounce sender to 2bounce_notice_recipient, but only when notify_classes
 * names {@code 2bounce} or {@code bounce}; otherwise it is discarded. A double bounce that fails
 * in turn is discarded, never bounced again; and mail that comes back addressed to the local
 * double-bounce address is discarded as delivered, so it cannot loop.
 *
 * @param doubleBounces whether notify_classes holds {@code 2bounce} or {@code bounce}
 * @param postmaster 2bounce_notice_recipient, with {@code @$myorigin} added when it has no domain
 * @param doubleBounceSender {@code $double_bounce_sender@$myhostname}, the double bounce's envelope sender
 * @param doubleBounceLocalPart double_bounce_sender itself
 * @param localDomains $myhostname and $mydestination, lower case: where the double-bounce address is local
 * @param myOrigin $myorigin: the domain for a notice recipient written without one
 */
public record NoticePolicy(boolean doubleBounces, String postmaster, String doubleBounceSender,
        String doubleBounceLocalPart, List<String> localDomains, String myOrigin) {

    public NoticePolicy {
        Objects.requireNonNull(postmaster, "postmaster");
        Objects.requireNonNull(doubleBounceSender, "doubleBounceSender");
        Objects.requireNonNull(doubleBounceLocalPart, "doubleBounceLocalPart");
        localDomains = localDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
    }

    public static NoticePolicy from(Configuration cfg) {
        List<String> classes = cfg.list("notify_classes").stream().map(c -> c.toLowerCase(Locale.ROOT)).toList();
        String hostname = cfg.string("myhostname");
        String origin = cfg.string("myorigin");
        String postmaster = cfg.string("2bounce_notice_recipient");
        String local = cfg.string("double_bounce_sender");
        List<String> domains = new java.util.ArrayList<>();
        domains.add(hostname);
        domains.addAll(cfg.list("mydestination"));
        return new NoticePolicy(classes.contains("2bounce") || classes.contains("bounce"),
                postmaster.contains("@") ? postmaster : postmaster + "@" + origin, local + "@" + hostname, local, domains,
                origin);
    }

    /** A notice recipient as written in main.cf, with {@code @$myorigin} when it has no domain. */
    public String qualified(String recipient) {
        return recipient.contains("@") ? recipient : recipient + "@" + myOrigin;
    }

    /** Whether {@code sender} is the double-bounce sender: its mail is never returned to anyone. */
    public boolean isDoubleBounceSender(String sender) {
        return sender.equalsIgnoreCase(doubleBounceSender);
    }

    /** Whether {@code recipient} is the local double-bounce address, whose mail is discarded (qmgr(8)). */
    public boolean isLocalDoubleBounceAddress(String recipient) {
        int at = recipient.lastIndexOf('@');
        if (at <= 0 || !recipient.substring(0, at).equalsIgnoreCase(doubleBounceLocalPart)) {
            return false;
        }
        return localDomains.contains(recipient.substring(at + 1).toLowerCase(Locale.ROOT));
    }
}
