package io.postilion.bench.rocks;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.relay.QueueDirectoryLock;
import io.postilion.engine.relay.Relay;
import io.postilion.engine.relay.RelayQueue;
import io.postilion.engine.relay.RelaySettings;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.JournalSpool;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code postilion-bench relay-queue --queue rocksdb|journal [-o name=value ...]}: the relay of
 * this build ({@link Relay#start}, as {@code postilion relay} starts it) on the queue chosen, so
 * the journal and RocksDB can be compared with nothing else different. {@code relay-rocksdb} is
 * the same with {@code --queue rocksdb}.
 *
 * <p>With {@code --control stdin} (what relay-compare uses) the relay reads its standard input:
 * a line {@code stats} prints {@code stats syncs=N ...} (the queue's own count of flushes: the
 * journal's forces, RocksDB's WAL syncs), and the end of the input stops it. Otherwise it runs
 * until SIGTERM or Ctrl-C. Either way it stops as the relay does (shutdown_grace_time).
 */
public final class QueueRelayCommand {

    static final String HELP = String.join("\n",
            "usage: postilion-bench relay-queue --queue rocksdb|journal [--writers 64] [--group-bytes N] [--control stdin] [-o name=value ...]",
            "       postilion-bench relay-rocksdb [...]   (the same with --queue rocksdb)",
            "Runs this build's relay on the queue chosen, in queue_directory (RocksDB in queue_directory/rocksdb).",
            "  --writers N       RocksDB only: threads that may wait in RocksDB at once (the largest sync group)",
            "  --group-bytes N   RocksDB only: max_write_batch_group_size_bytes (default RocksDB's, 1 MiB)",
            "  --control stdin   a line 'stats' prints the queue's flush count; end of input stops the relay");

    private QueueRelayCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String queue = null;
        int writers = 64;
        long groupBytes = 0;
        boolean control = false;
        List<String> overrides = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                out.println(HELP);
                return 0;
            }
            if (i + 1 >= args.length) {
                err.println("relay-queue: " + a + " needs a value (--help for usage)");
                return 64;
            }
            switch (a) {
                case "--queue" -> queue = args[++i];
                case "--writers" -> writers = Integer.parseInt(args[++i]);
                case "--group-bytes" -> groupBytes = Long.parseLong(args[++i]);
                case "--control" -> control = args[++i].equals("stdin");
                case "-o" -> overrides.add(args[++i]);
                default -> {
                    err.println("relay-queue: unknown argument " + a + " (--help for usage)");
                    return 64;
                }
            }
        }
        if (!"rocksdb".equals(queue) && !"journal".equals(queue)) {
            err.println("relay-queue: --queue rocksdb or --queue journal");
            return 64;
        }
        Configuration cfg;
        RelaySettings settings;
        try {
            cfg = ConfigurationLoader.fromText("", "(built-in defaults)", overrides);
            cfg.warnings().forEach(w -> err.println("relay-queue: warning: " + w.message()));
            settings = RelaySettings.from(cfg);
        } catch (ConfigurationException e) {
            err.println("relay-queue: " + e.getMessage());
            return e.exitStatus();
        }
        Path dir = Path.of(cfg.string("queue_directory"));
        try (QueueDirectoryLock lock = QueueDirectoryLock.acquire(dir)) {
            RelayQueue q;
            Stats stats;
            if (queue.equals("rocksdb")) {
                RocksQueue rocks = RocksQueue.open(dir, Clock.systemUTC(), writers, groupBytes);
                q = rocks;
                stats = () -> {
                    long[] w = rocks.writesBySelfAndOther();
                    return "syncs=" + rocks.walSyncs() + " accepted=" + rocks.accepted() + " writes_self=" + w[0]
                            + " writes_other=" + w[1];
                };
            } else {
                JournalSpool journal = JournalSpool.open(dir, new ChannelSpoolFiles(), Clock.systemUTC())
                        .storageLimits(settings.queueMinfree(), settings.listener().messageSizeLimit());
                journal.onLaneFailure(t -> {
                    err.println("relay-queue: fatal: a spool I/O lane failed (" + t + ")");
                    Runtime.getRuntime().halt(70);
                });
                q = journal;
                stats = () -> "syncs=" + journal.forces();
            }
            Relay relay = Relay.start(settings, q, Clock.systemUTC());
            out.println("postilion relay: SMTP on " + cfg.string("smtpd_listen").replaceFirst(":0$", ":" + relay.smtpPort())
                    + " (queue " + queue + " in " + dir.toAbsolutePath() + ")");
            out.flush();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                relay.stop();
                stopped.countDown();
            }, "relay-queue-shutdown"));
            if (control) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.trim().equals("stats")) {
                        out.println("stats " + stats.line());
                        out.flush();
                    }
                }
                relay.stop();
                return 0;
            }
            stopped.await();
            return 0;
        } catch (QueueDirectoryLock.HeldException e) {
            err.println("relay-queue: " + e.getMessage());
            return 75;
        }
    }

    /** The queue's counters as one line. */
    private interface Stats {
        String line();
    }
}
