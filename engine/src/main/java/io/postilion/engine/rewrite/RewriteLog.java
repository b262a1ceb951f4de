package io.postilion.engine.rewrite;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the rewriting steps report what they did (header check actions, unsupported actions,
 * multi-valued generic results). A seam so tests can see the lines; in service it is the log.
 */
public interface RewriteLog {

    void info(String line);

    void warn(String line);

    /** The application log. */
    static RewriteLog logger() {
        Logger log = LoggerFactory.getLogger("postilion.rewrite");
        return new RewriteLog() {
            @Override
            public void info(String line) {
                log.info(line);
            }

            @Override
            public void warn(String line) {
                log.warn(line);
            }
        };
    }

    /** Drops everything: for a second pass over content whose notices were already logged. */
    static RewriteLog silent() {
        return new RewriteLog() {
            @Override
            public void info(String line) {
            }

            @Override
            public void warn(String line) {
            }
        };
    }
}
