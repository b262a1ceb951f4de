package io.postilion.engine.agent;

import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.Outcome;

import io.postilion.engine.config.LookupTable;
import io.postilion.engine.delivery.DsnAction;
import io.postilion.engine.delivery.DsnStatus;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * smtp_delivery_status_filter (LOG-7): a table that may rewrite a result's DSN status and text
 * as it is recorded, queried with {@code STATUS REASON}. A success may only become another
 * success and a failure only another failure; a deferral rewritten to 5.x.x becomes a bounce and
 * a bounce rewritten to 4.x.x a deferral. Anything else the table says is ignored with a warning.
 * It acts after the decision to try another server, so it never changes which server is tried.
 */
public final class DeliveryStatusFilter {

    private static final Logger log = LoggerFactory.getLogger(DeliveryStatusFilter.class);
    private static final Pattern RESULT = Pattern.compile("([245])\\.(\\d{1,3})\\.(\\d{1,3})\\s+(.*)", Pattern.DOTALL);

    private final LookupTable table;

    public DeliveryStatusFilter(LookupTable table) {
        this.table = table;
    }

    public static DeliveryStatusFilter none() {
        return new DeliveryStatusFilter(LookupTable.empty());
    }

    /** The result as it is to be recorded. */
    public RecipientResult apply(RecipientResult r) {
        Optional<String> found = table.find(r.status().text() + " " + r.reason());
        if (found.isEmpty()) {
            return r;
        }
        Matcher m = RESULT.matcher(found.get().trim());
        if (!m.matches()) {
            log.warn("smtp_delivery_status_filter: result \"{}\" is not \"x.y.z text\"; ignored", found.get());
            return r;
        }
        char newClass = m.group(1).charAt(0);
        boolean wasSuccess = r.outcome() == Outcome.SENT;
        if (wasSuccess != (newClass == '2')) {
            log.warn("smtp_delivery_status_filter: cannot turn a {} into status {}.{}.{}; ignored", r.outcome().logWord(),
                    m.group(1), m.group(2), m.group(3));
            return r;
        }
        DsnStatus dsn = DsnStatus.of(newClass - '0', Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
        Outcome outcome = r.outcome();
        if (outcome == Outcome.DEFERRED && newClass == '5') {
            outcome = Outcome.BOUNCED;
        } else if (outcome == Outcome.BOUNCED && newClass == '4') {
            outcome = Outcome.DEFERRED;
        }
        DsnAction action = outcome == Outcome.SENT ? r.action() : outcome.dsnAction();
        return r.recast(outcome, dsn, m.group(4), action);
    }
}
