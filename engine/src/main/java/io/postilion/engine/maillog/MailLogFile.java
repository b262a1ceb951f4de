package io.postilion.engine.maillog;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where the mail log goes: maillog_file, checked against maillog_file_prefixes and resolved once at
 * start (CLARIFICATIONS 34). Empty maillog_file means no mail log file (standard error only).
 * maillog_file_prefixes is empty by default in Postilion, so any path is accepted (a documented
 * departure from Postfix's {@code /var, /dev/stdout}); when set, the file must start with one.
 */
public final class MailLogFile {

    private MailLogFile() {
    }

    /** @throws ConfigurationException (78) when maillog_file is outside maillog_file_prefixes */
    public static Optional<Path> from(Configuration cfg) {
        String file = cfg.string("maillog_file").strip();
        cfg.string("syslog_name");
        if (file.isEmpty()) {
            return Optional.empty();
        }
        if (file.equals("/dev/stdout")) {
            return Optional.of(Path.of(file));
        }
        Path path = Path.of(file).toAbsolutePath().normalize();
        List<String> prefixes = cfg.list("maillog_file_prefixes");
        if (!prefixes.isEmpty() && prefixes.stream().noneMatch(p -> path.toString().startsWith(p))) {
            throw ConfigurationException.badValue("maillog_file", "maillog_file = " + file
                    + ": not under any of maillog_file_prefixes (" + String.join(", ", prefixes) + ")");
        }
        return Optional.of(path);
    }
}
