package io.postilion.engine.agent;

import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.maillog.InfoLogFormat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the per-recipient delivery line in Postfix's format (LOG-2, LOG-3), so that existing
 * log tools keep working:
 * {@code QUEUEID: to=<rcpt>, orig_to=<orig>, relay=host[ip]:port, conn_use=N, delay=D,
 * delays=a/b/c/d, tls=may, dsn=x.y.z, status=sent (reason)}. Addresses and times are shown as
 * {@link InfoLogFormat} says (info_log_address_format, delay_logging_resolution_limit).
 */
public final class DeliveryLog {

    private static final Logger log = LoggerFactory.getLogger("postilion.delivery");

    private DeliveryLog() {
    }

    public static String line(String queueId, RecipientResult r, DeliveryReport.Timings t, InfoLogFormat format) {
        StringBuilder sb = new StringBuilder(160);
        sb.append(queueId).append(": to=<").append(format.address(r.recipient().address())).append('>');
        String orig = r.recipient().originalAddress();
        if (!orig.isEmpty() && !orig.equalsIgnoreCase(r.recipient().address())) {
            sb.append(", orig_to=<").append(format.address(orig)).append('>');
        }
        sb.append(", relay=").append(r.relay());
        if (r.connUse() > 1) {
            sb.append(", conn_use=").append(r.connUse());
        }
        sb.append(", delay=").append(format.delay(t.total()))
                .append(", delays=").append(format.delay(t.queued()))
                .append('/').append(format.delay(t.handedOver()))
                .append('/').append(format.delay(t.setup()))
                .append('/').append(format.delay(t.transmission()));
        if (!r.tls().isEmpty()) {
            sb.append(", tls=").append(r.tls()); // LOG-5
        }
        sb.append(", dsn=").append(r.status().text())
                .append(", status=").append(r.outcome().logWord())
                .append(" (").append(r.reason()).append(')');
        return sb.toString();
    }

    /**
     * Logs every recipient of a report: sent at INFO, the rest at INFO too, as Postfix does; and to
     * the mail log under {@code process} (smtp, lmtp, or qmgr for deferrals it makes itself).
     */
    public static void write(DeliveryReport report, String process, InfoLogFormat format) {
        io.postilion.engine.maillog.MailLog mail = io.postilion.engine.maillog.MailLog.current();
        if (!log.isInfoEnabled() && !mail.enabled()) {
            return; // the line is not built for nobody
        }
        for (RecipientResult r : report.results()) {
            String line = line(report.queueId(), r, report.timings(), format);
            log.info("{}", line);
            mail.log(process, line);
        }
    }
}
