package io.postilion.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One process's /proc/PID/stat, read the one way the harnesses need it: the fields after the
 * command name, which may itself hold spaces and parentheses (so the split starts after the last
 * ')').
 */
public final class ProcStat {

    private ProcStat() {
    }

    /** The fields after the command name (field 3, the state, is [0]); null when the process is gone. */
    public static String[] fields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException gone) {
            return null;
        }
    }

    /** The process group of {@code pid} (field 5), or -1 when the process is gone. */
    public static long group(long pid) {
        String[] f = fields(pid);
        return f == null ? -1 : Long.parseLong(f[2]);
    }
}
