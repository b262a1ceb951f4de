package io.postilion.engine.cli;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * The {@code postilion} command line: the entry point of engine/target/postilion.jar.
 *
 * <p>Exit statuses follow sysexits(3): 64 for a misused command line, 66 for an unreadable
 * message, 69 and 75 for permanent and temporary delivery failures, 78 for bad configuration,
 * 71 for a listener that cannot be bound, 70 for an internal error (one line, never a stack trace).
 */
public final class Main {

    static final int EX_OK = 0;
    static final int EX_USAGE = 64;
    static final int EX_NOINPUT = 66;
    static final int EX_SOFTWARE = 70;

    private Main() {
    }

    public static void main(String[] args) {
        // The send command prints its own delivery lines, so its log keeps to warnings; the relay
        // logs one line per delivery, as Postfix does. -Dorg.slf4j.simpleLogger.defaultLogLevel wins.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            boolean relay = args.length > 0 && args[0].equals("relay");
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", relay ? "info" : "warn");
            System.setProperty("org.slf4j.simpleLogger.showDateTime", relay ? "true" : "false");
            System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd HH:mm:ss.SSS"); // wall clock
        }
        System.exit(run(args, System.in, System.out, System.err));
    }

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        if (java.util.Arrays.asList(args).contains("--version")) {
            out.println("postilion " + version() + " (Java " + Runtime.version() + ")");
            return EX_OK;
        }
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            usage(args.length == 0 ? err : out);
            return args.length == 0 ? EX_USAGE : EX_OK;
        }
        try {
            return switch (args[0]) {
                case "send" -> SendCommand.run(args, in, out, err);
                case "relay" -> RelayCommand.run(args, out, err);
                case "queue", "flush", "delete", "cat" -> QueueCommand.run(args, out, err);
                default -> {
                    err.println("postilion: unknown command '" + args[0] + "'");
                    usage(err);
                    yield EX_USAGE;
                }
            };
        } catch (RuntimeException e) {
            // The last resort: one line, not a stack trace, and an exit status a supervisor reads.
            err.println("postilion " + args[0] + ": internal error: " + e);
            return EX_SOFTWARE;
        }
    }

    /** The project's version, from the build (version.properties is filtered by Maven). */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static void usage(PrintStream out) {
        out.println("usage: postilion COMMAND [ARGS]");
        out.println("commands:");
        out.println("  send --from SENDER --to RCPT [--to RCPT ...] --nexthop DEST [--lmtp] [--config FILE]");
        out.println("       [-o name=value ...] [FILE|-]     deliver one message once, Postfix smtp(8)/lmtp(8) style");
        out.println("  relay [--config FILE] [-o name=value ...]");
        out.println("                                        run the relay: SMTP listener, spool, delivery, /metrics");
        out.println("  queue [--config FILE]                 list the queue (asks the relay on queue_directory/admin.sock,");
        out.println("                                        else reads the spool)");
        out.println("  flush [--config FILE]                 retry deferred mail now (needs the running relay)");
        out.println("  delete ID|ALL [--config FILE]         remove mail from the queue, whatever its state");
        out.println("  cat ID [--config FILE]                show a queued message: envelope, results, content (like postcat)");
        out.println("  COMMAND --help                        a command's own usage");
        out.println("  --version                             the version (also after any command)");
        out.println("  help                                  this text");
    }
}
