package io.postilion.engine.agent;

import io.postilion.engine.maillog.MailLog;
import io.postilion.transport.session.SessionLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why it exists: LOG-8's informational lines and warnings (a skipped server, a connect failure,
 * a relayhost or fallback relay configuration problem, a refused XFORWARD, a server calling
 * itself by our name, and the session's own: EHLO keywords discarded, PIX workarounds enabled, a
 * greeting with our name) are part of Postfix's mail log, written by smtp(8) or lmtp(8) beside the
 * per-recipient lines. They go to the application log and, under the agent's process name, to the
 * mail log (maillog_file) that log tools read, as "warning: ..." for warnings.
 */
final class AgentLog implements SessionLog {

    private static final Logger log = LoggerFactory.getLogger(DeliveryAgent.class);

    private final String process;

    /** @param process smtp or lmtp, the mail log's process name */
    AgentLog(String process) {
        this.process = process;
    }

    @Override
    public void info(String line) {
        log.info("{}", line);
        MailLog.current().log(process, line);
    }

    @Override
    public void warn(String line) {
        log.warn("{}", line);
        MailLog.current().log(process, "warning: " + line);
    }
}
