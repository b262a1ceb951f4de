package io.postilion.bench.relay;

import io.postilion.bench.ProcStat;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU seconds a process tree has used, from /proc: the process's own user and system time, what
 * its exited and waited-for children used (so Postfix's master accounts for every smtpd, cleanup
 * and smtp process that came and went), and its children still running. Linux only, as the
 * harness is.
 */
public final class ProcessCpu {

    private static final double TICKS = 100.0; // USER_HZ on Linux

    private ProcessCpu() {
    }

    /** CPU seconds of {@code pid} and all its children, living and reaped. */
    public static double tree(long pid) throws IOException {
        double total = own(pid, true);
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString()
                .chars().allMatch(Character::isDigit))) {
            for (Path p : procs) {
                long child = Long.parseLong(p.getFileName().toString());
                if (child != pid && parent(child) == pid) {
                    total += own(child, true);
                }
            }
        }
        return total;
    }

    /** utime + stime (+ cutime + cstime when {@code withReaped}), in seconds; 0 for a process gone. */
    public static double own(long pid, boolean withReaped) {
        String[] f = ProcStat.fields(pid);
        if (f == null) {
            return 0;
        }
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        if (withReaped) {
            ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
        }
        return ticks / TICKS;
    }

    private static long parent(long pid) {
        String[] f = ProcStat.fields(pid);
        return f == null ? -1 : Long.parseLong(f[1]);
    }

}
