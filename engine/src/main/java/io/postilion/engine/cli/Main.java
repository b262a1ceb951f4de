package io.postilion.engine.cli;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The {@code postilion} command line: the entry point of engine/target/postilion.jar.
 *
 * <p>Exit statuses follow sysexits(3): 64 for a misused command line, 78 for bad configuration.
 */
public final class Main {

    static final int EX_OK = 0;
    static final int EX_USAGE = 64;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help")) {
            usage(out);
            return args.length == 0 ? EX_USAGE : EX_OK;
        }
        err.println("postilion: unknown command '" + args[0] + "' (arguments " + Arrays.toString(args) + ")");
        usage(err);
        return EX_USAGE;
    }

    private static void usage(PrintStream out) {
        out.println("usage: postilion COMMAND [ARGS]");
        out.println("commands: help");
    }
}
