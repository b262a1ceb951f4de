package io.postilion.engine.listener;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's own log, in the words and shapes Postfix's smtpd(8) uses ({@code connect from},
 * {@code QUEUEID: client=}, {@code NOQUEUE: reject: ...}, {@code lost connection after},
 * {@code disconnect from ... commands=N}), so fail2ban, logwatch and pflogsumm read it as they read
 * Postfix's. Every piece of client text in a line has passed through {@link Printable}: nothing a
 * client sends can start a new log line.
 *
 * <p>Lines go to the SLF4J logger {@code postilion.smtpd}; tests give their own writer.
 */
public final class SmtpdLog {

    private static final Logger LOG = LoggerFactory.getLogger("postilion.smtpd");

    private final Consumer<String> info;
    private final Consumer<String> warning;

    private SmtpdLog(Consumer<String> info, Consumer<String> warning) {
        this.info = info;
        this.warning = warning;
    }

    /** The default: the {@code postilion.smtpd} logger. */
    public static SmtpdLog standard() {
        return new SmtpdLog(line -> {
            LOG.info(line);
            io.postilion.engine.maillog.MailLog.current().log("smtpd", line);
        }, line -> {
            LOG.warn(line);
            io.postilion.engine.maillog.MailLog.current().log("smtpd", "warning: " + line);
        });
    }

    /** Every line to {@code lines}; warnings start with {@code warning: }, as in Postfix's log. */
    public static SmtpdLog to(Consumer<String> lines) {
        return new SmtpdLog(lines, w -> lines.accept("warning: " + w));
    }

    void info(String line) {
        info.accept(Printable.of(line));
    }

    void warn(String line) {
        warning.accept(Printable.of(line));
    }
}
