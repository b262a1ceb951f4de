package io.postilion.transport.session;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a session's informational lines and warnings go (LOG-8: EHLO keywords discarded, PIX
 * workarounds enabled, a greeting with our own name). The delivery agent sends them to the mail
 * log; a session used on its own writes them to the application log.
 */
public interface SessionLog {

    void info(String line);

    void warn(String line);

    /** The application log only. */
    SessionLog APPLICATION = new SessionLog() {
        private final Logger log = LoggerFactory.getLogger(SmtpSession.class);

        @Override
        public void info(String line) {
            log.info("{}", line);
        }

        @Override
        public void warn(String line) {
            log.warn("{}", line);
        }
    };
}
