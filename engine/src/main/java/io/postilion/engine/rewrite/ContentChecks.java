package io.postilion.engine.rewrite;

import io.postilion.engine.config.LookupTable;
import java.util.List;
import java.util.Locale;

/**
 * smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks and smtp_body_checks
 * (DATA-30): each header or body line is looked up, and the action found is applied. Only actions
 * that leave delivery time and destination alone exist here: WARN and INFO log, REPLACE swaps the
 * line, PREPEND puts a line before it, STRIP deletes and logs, IGNORE deletes quietly, DUNNO and OK
 * do nothing. Any other action (REJECT, HOLD, DISCARD, FILTER, REDIRECT, BCC, ...) is logged as
 * unsupported and ignored. MIME headers (Content-*, MIME-Version) go to the MIME table wherever
 * they appear, as in Postfix.
 */
public final class ContentChecks {

    /** Which header block a header belongs to. */
    public enum HeaderClass { PRIMARY, MULTIPART, NESTED }

    /**
     * What to do with a line.
     *
     * @param text the line to send, or null to delete it
     * @param prepend a line to send before it, or null
     */
    public record Verdict(String text, String prepend) {
    }

    private final RewriteSettings settings;
    private final String queueId;
    private final RewriteLog log;

    public ContentChecks(RewriteSettings settings, String queueId, RewriteLog log) {
        this.settings = settings;
        this.queueId = queueId;
        this.log = log;
    }

    public boolean active() {
        return settings.hasChecks();
    }

    /**
     * Checks one logical header (physical lines joined with {@code \n}).
     *
     * @throws TableLookupException when the table fails (DATA-30: 4.3.0 local data error)
     */
    public Verdict header(HeaderClass cls, String header) {
        String name = HeaderNames.name(header);
        String suffix;
        if (name != null && HeaderNames.isMime(name) || cls == HeaderClass.MULTIPART) {
            suffix = "mime_header_checks";
        } else if (cls == HeaderClass.NESTED) {
            suffix = "nested_header_checks";
        } else {
            suffix = "header_checks";
        }
        LookupTable table = switch (suffix) {
            case "mime_header_checks" -> settings.mimeHeaderChecks();
            case "nested_header_checks" -> settings.nestedHeaderChecks();
            default -> settings.headerChecks();
        };
        return check(table, settings.table(suffix), "header", header);
    }

    /**
     * Checks one body line.
     *
     * @throws TableLookupException when the table fails
     */
    public Verdict body(String line) {
        return check(settings.bodyChecks(), settings.table("body_checks"), "body", line);
    }

    private Verdict check(LookupTable table, String tableName, String where, String line) {
        Verdict keep = new Verdict(line, null);
        if (table == LookupTable.empty()) {
            return keep;
        }
        String action;
        try {
            action = table.find(line).orElse(null);
        } catch (RuntimeException e) {
            throw new TableLookupException(tableName, where, e);
        }
        if (action == null) {
            return keep;
        }
        int space = 0;
        while (space < action.length() && !Character.isWhitespace(action.charAt(space))) {
            space++;
        }
        String command = action.substring(0, space).toUpperCase(Locale.ROOT);
        String args = action.substring(space).strip();
        boolean header = where.equals("header");
        switch (command) {
            case "WARN":
                logged("warning", where, line, args);
                return keep;
            case "INFO":
                logged("info", where, line, args);
                return keep;
            case "REPLACE":
                if (args.isEmpty()) {
                    log.warn("REPLACE action without text in " + tableName + " map");
                    return keep;
                }
                if (header && HeaderNames.name(args) == null) {
                    log.warn("bad REPLACE header text \"" + args + "\" in " + tableName
                            + " map -- need \"headername: headervalue\"");
                    return keep;
                }
                logged("replace", where, line, args);
                return new Verdict(args, null);
            case "PREPEND":
                if (args.isEmpty()) {
                    log.warn("PREPEND action without text in " + tableName + " map");
                    return keep;
                }
                if (header && HeaderNames.name(args) == null) {
                    log.warn("bad PREPEND header text \"" + args + "\" in " + tableName
                            + " map -- need \"headername: headervalue\"");
                    return keep;
                }
                logged("prepend", where, line, args);
                return new Verdict(line, args);
            case "STRIP":
                logged("strip", where, line, args);
                return new Verdict(null, null);
            case "IGNORE":
                return new Verdict(null, null); // not logged, as in Postfix
            case "DUNNO":
            case "OK":
                return keep;
            default:
                log.warn("unsupported command in " + tableName + " map: " + action);
                return keep;
        }
    }

    private void logged(String action, String where, String line, String text) {
        String content = line.length() > 200 ? line.substring(0, 200) : line;
        log.info(queueId + ": " + action + ": " + where + " " + content + (text.isEmpty() ? "" : ": " + text));
    }
}
