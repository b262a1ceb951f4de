package io.postilion.bench.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The flush proof from an strace of the relay (issue 13, CLARIFICATIONS 25 and 44b): every "250
 * ... queued as ID" the relay writes must follow the completion of an fsync/fdatasync of the
 * descriptor that took message ID's bytes, begun after those bytes were written. Reads an
 * {@code strace -f -tt -s 96} log of write, writev, pwrite64, pwritev, sendmsg, sendto, fsync,
 * fdatasync, msync and sync_file_range, in the order strace wrote it.
 *
 * <p>A journal record shows in the trace as a write whose data starts with the queue file's magic
 * ({@code PSTQ}) followed by the envelope, whose first field is the queue id.
 */
final class FlushProof {

    /** What one trace showed. */
    record Result(int acknowledged, int proven, int flushes, int messagesWritten, List<String> violations) {
        boolean ok() {
            return violations.isEmpty() && acknowledged == proven;
        }
    }

    private static final Pattern LINE = Pattern.compile("^(\\d+)\\s+(\\S+)\\s+(.*)$");
    private static final Pattern CALL = Pattern.compile("^(write|writev|pwrite64|pwritev|sendmsg|sendto|fsync|fdatasync|"
            + "msync|sync_file_range)\\((\\d+)");
    private static final Pattern RESUMED = Pattern.compile("^<\\.\\.\\. (\\w+) resumed>.*= (-?\\d+)");
    private static final Pattern RETURN = Pattern.compile("= (-?\\d+)(?: [A-Z]+.*)?$");
    // The id is the envelope's first field, after its length (14) as strace escapes it ("\016"):
    // the first run of 14 or more hex digits after the magic ends with the id.
    private static final Pattern RECORD_ID = Pattern.compile("PSTQ.{0,60}?([0-9A-F]{14,})");
    private static final Pattern ACK = Pattern.compile("250 2\\.0\\.0 Ok: queued as ([0-9A-F]{14})");

    private FlushProof() {
    }

    static Result check(Path trace) throws IOException {
        Map<Integer, Set<String>> unflushed = new HashMap<>(); // fd -> ids written, not yet covered by a flush
        Map<Integer, Set<String>> flushing = new HashMap<>(); // pid -> ids a flush in progress covers
        Map<Integer, Integer> flushingFd = new HashMap<>();
        Set<String> durable = new HashSet<>();
        Set<Integer> journalFds = new HashSet<>();
        List<String> violations = new ArrayList<>();
        int acknowledged = 0;
        int proven = 0;
        int flushes = 0;
        int written = 0;
        try (BufferedReader in = Files.newBufferedReader(trace, StandardCharsets.ISO_8859_1)) {
            for (String raw; (raw = in.readLine()) != null; ) {
                Matcher l = LINE.matcher(raw);
                if (!l.matches()) {
                    continue;
                }
                int pid = Integer.parseInt(l.group(1));
                String rest = l.group(3);
                Matcher resumed = RESUMED.matcher(rest);
                if (resumed.find()) {
                    String name = resumed.group(1);
                    if ((name.equals("fdatasync") || name.equals("fsync")) && flushing.containsKey(pid)) {
                        Set<String> covered = flushing.remove(pid);
                        int fd = flushingFd.remove(pid);
                        if (resumed.group(2).equals("0")) {
                            durable.addAll(covered);
                            if (journalFds.contains(fd)) {
                                flushes++;
                            }
                        } else {
                            unflushed.computeIfAbsent(fd, k -> new HashSet<>()).addAll(covered); // a failed flush covers nothing
                        }
                    }
                    continue;
                }
                Matcher call = CALL.matcher(rest);
                if (!call.find()) {
                    continue;
                }
                String name = call.group(1);
                int fd = Integer.parseInt(call.group(2));
                if (name.equals("fdatasync") || name.equals("fsync")) {
                    // The flush covers what was written to fd before it began.
                    Set<String> covered = unflushed.remove(fd);
                    covered = covered == null ? new HashSet<>() : covered;
                    boolean unfinished = rest.contains("<unfinished ...>");
                    if (unfinished) {
                        flushing.put(pid, covered);
                        flushingFd.put(pid, fd);
                    } else {
                        Matcher r = RETURN.matcher(rest);
                        if (r.find() && r.group(1).equals("0")) {
                            durable.addAll(covered);
                            if (journalFds.contains(fd)) {
                                flushes++;
                            }
                        } else {
                            unflushed.computeIfAbsent(fd, k -> new HashSet<>()).addAll(covered);
                        }
                    }
                    continue;
                }
                Matcher ack = ACK.matcher(rest);
                if (ack.find()) {
                    acknowledged++;
                    String id = ack.group(1);
                    if (durable.contains(id)) {
                        proven++;
                    } else {
                        violations.add(id + ": 250 written at " + l.group(2) + " with no completed flush of its bytes before it");
                    }
                    continue;
                }
                Matcher rec = RECORD_ID.matcher(rest);
                while (rec.find()) {
                    String run = rec.group(1);
                    unflushed.computeIfAbsent(fd, k -> new HashSet<>()).add(run.substring(run.length() - 14));
                    journalFds.add(fd);
                    written++;
                }
            }
        }
        return new Result(acknowledged, proven, flushes, written, violations);
    }
}
