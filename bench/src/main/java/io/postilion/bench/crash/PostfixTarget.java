package io.postilion.bench.crash;

import io.postilion.bench.ProcStat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;

/**
 * The crash test's anchor: a private Postfix instance (scripts/peers/postfix-relay.sh) in place of
 * our relay, under the same load, kills and sink, so that our duplicates per kill can be set
 * beside Postfix's from the same harness. A kill is SIGKILL to master's whole process group at
 * once (master, qmgr, smtpd, smtp, cleanup: nothing of the instance may finish a delivery or
 * update a queue file after it); a restart is {@code postfix start} on the same queue, as a
 * supervisor would do. Needs root and Postfix's packages (the peer rig's install step).
 */
final class PostfixTarget implements CrashTarget {

    private final Path script;
    private final Path dir;
    private final Map<String, String> env;
    /** Reads a process group per line and SIGKILLs it, answering "ok" or "no". */
    private final Process killer;

    /**
     * @param port where Postfix's smtpd listens (the harness's clients submit there)
     * @param sinkPort where Postfix relays everything (the harness's counting sink)
     */
    PostfixTarget(Path scripts, Path dir, int port, int sinkPort) throws IOException {
        this.script = scripts.resolve("postfix-relay.sh");
        this.dir = dir;
        // The retry timing our relay gets from the harness (1 s / 2 s backoff), and a queue scan
        // as often, so deferred mail is retried on both sides at the same pace.
        this.env = Map.of("RELAY_PORT", String.valueOf(port), "RELAY_SUBMIT_PORT", "0", "RELAY_SMTPS_PORT", "0",
                "RELAY_TO", "smtp:[127.0.0.1]:" + sinkPort, "RELAY_MAIN_EXTRA",
                "minimal_backoff_time = 1s\nmaximal_backoff_time = 2s\nqueue_run_delay = 1s");
        this.killer = new ProcessBuilder("bash", "-c",
                "while read -r g; do if kill -KILL -- \"-$g\"; then echo ok; else echo no; fi; done")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    static boolean available(Path scripts) {
        return Files.isExecutable(scripts.resolve("postfix-relay.sh")) && Files.isExecutable(Path.of("/usr/sbin/postfix"));
    }

    /** Starts Postfix on its queue (kept from the last run) and returns once smtpd answers. */
    @Override
    public void start() throws IOException, InterruptedException {
        run("start");
    }

    @Override
    public void runFor(long millis) {
        Mono.delay(Duration.ofMillis(millis)).block();
    }

    /** {@code postfix stop}; a no-op when master is gone (also after a failed start). */
    @Override
    public boolean stop() throws IOException, InterruptedException {
        run("stop");
        return true;
    }

    /** SIGKILL to master's process group. */
    @Override
    public void kill() throws IOException, InterruptedException {
        long master = masterPid();
        if (ProcStat.group(master) != master) {
            throw new IOException("Postfix's master (pid " + master + ") does not lead its process group");
        }
        // The group's SIGKILL is sent by a shell started beforehand (its kill is a builtin), so
        // the signal goes out as the line arrives, not after a fork and exec of kill(1).
        killer.getOutputStream().write((master + "\n").getBytes(StandardCharsets.US_ASCII));
        killer.getOutputStream().flush();
        String done = new String(killer.getInputStream().readNBytes(3), StandardCharsets.US_ASCII);
        if (!done.equals("ok\n")) {
            throw new IOException("kill -KILL -" + master + " failed (" + done.trim() + ")");
        }
        java.util.Optional<ProcessHandle> gone = ProcessHandle.of(master);
        if (gone.isPresent()) {
            try {
                gone.get().onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IOException("Postfix's master (pid " + master + ") outlived its SIGKILL by 10 s", e);
            }
        }
    }

    /** Ends the killer shell. */
    @Override
    public void close() {
        killer.destroy();
    }

    private long masterPid() throws IOException {
        String pid = Files.readString(dir.resolve("queue/pid/master.pid"), StandardCharsets.US_ASCII).trim();
        return Long.parseLong(pid);
    }

    private void run(String verb) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(script.toString(), verb, dir.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("postfix-relay.sh " + verb + " failed:\n" + output);
        }
    }

    @Override
    public String toString() {
        return "Postfix (" + script + ", state in " + dir + ")";
    }
}
