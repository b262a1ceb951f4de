package io.postilion.engine.cli;

import io.postilion.engine.maillog.MailLog;
import io.postilion.engine.maillog.MailLogFile;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.relay.ListenerBindException;
import io.postilion.engine.relay.QueueDirectoryLock;
import io.postilion.engine.relay.Relay;
import io.postilion.engine.relay.RelaySettings;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.JournalSpool;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code postilion relay}: the main job. Runs the relay on the configuration given, or on the
 * built-in defaults (spool in ./var/spool, SMTP on 127.0.0.1:2525, metrics on 127.0.0.1:9464,
 * delivery by MX lookup), until it is stopped (SIGTERM or Ctrl-C), then closes down: it stops
 * accepting at once, gives deliveries in progress shutdown_grace_time to finish, and leaves the
 * rest queued for the next start, and exits 0.
 *
 * <p>Start-up (CLARIFICATIONS 40): the whole configuration is checked (64, 78), the
 * queue_directory lock taken (75, naming the holder's PID), admin.sock and the listeners bound
 * (71, naming the parameter and address; whatever was bound is closed again), the spool recovered.
 * Each failure is one line on standard error.
 */
final class RelayCommand {

    static final String HELP = String.join("\n",
            "usage: postilion relay [--config FILE] [-o name=value ...]",
            "Runs the relay: accepts mail by SMTP (smtpd_listen, default 127.0.0.1:2525) from mynetworks,",
            "queues it durably (queue_directory, default ./var/spool) and delivers it (relayhost, transport_maps,",
            "default_transport; by MX lookup when none is set). Metrics: http://metrics_listen/metrics (read-only).",
            "The queue commands reach it through queue_directory/admin.sock (mode 0600, the relay's own uid only).",
            "  --config FILE     a main.cf with Postfix parameter names (default: built-in defaults)",
            "  -o name=value     override one parameter; repeat for more",
            "Stops on SIGTERM or Ctrl-C: the listener closes at once, deliveries in progress get shutdown_grace_time",
            "(default 30s) to finish, and the rest of the mail stays in the spool for the next start; exit 0.",
            "Exit status: 64 misuse, 78 bad configuration, 75 queue_directory in use by another relay,",
            "71 a listener or the admin socket cannot be bound, 73 the spool cannot be made.");

    static final int EX_OSERR = 71;
    static final int EX_CANTCREAT = 73;
    static final int EX_TEMPFAIL = 75;

    private RelayCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path config = null;
        List<String> overrides = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.println(HELP);
                    return Main.EX_OK;
                }
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        err.println("postilion relay: --config needs a value");
                        return Main.EX_USAGE;
                    }
                    config = Path.of(args[++i]);
                }
                case "-o" -> {
                    if (i + 1 >= args.length) {
                        err.println("postilion relay: -o needs name=value");
                        return Main.EX_USAGE;
                    }
                    overrides.add(args[++i]);
                }
                default -> {
                    err.println("postilion relay: unknown argument " + args[i] + " (postilion relay --help for usage)");
                    return Main.EX_USAGE;
                }
            }
        }
        Configuration cfg;
        RelaySettings settings;
        java.util.Optional<Path> mailLogFile;
        try {
            cfg = config != null ? ConfigurationLoader.load(config, overrides)
                    : ConfigurationLoader.fromText("", "(built-in defaults)", overrides);
            cfg.warnings().forEach(w -> err.println("postilion relay: warning: " + w.message()));
            settings = RelaySettings.from(cfg); // every value checked before anything is touched
            mailLogFile = MailLogFile.from(cfg);
        } catch (ConfigurationException e) {
            err.println("postilion relay: " + e.getMessage());
            return e.exitStatus();
        }
        Path queueDirectory = Path.of(cfg.string("queue_directory"));
        QueueDirectoryLock lock;
        try {
            lock = QueueDirectoryLock.acquire(queueDirectory);
        } catch (QueueDirectoryLock.HeldException e) {
            err.println("postilion relay: " + e.getMessage());
            return EX_TEMPFAIL;
        } catch (IOException e) {
            err.println("postilion relay: cannot lock queue_directory " + queueDirectory.toAbsolutePath() + ": " + e.getMessage());
            return EX_CANTCREAT;
        }
        try {
            return runLocked(cfg, settings, queueDirectory, mailLogFile, out, err);
        } finally {
            try {
                lock.close();
            } catch (IOException e) {
                err.println("postilion relay: warning: cannot release the lock on " + queueDirectory + ": " + e.getMessage());
            }
        }
    }

    private static int runLocked(Configuration cfg, RelaySettings settings, Path queueDirectory,
            java.util.Optional<Path> mailLogFile, PrintStream out, PrintStream err) {
        Relay relay;
        MailLog mailLog = null;
        try {
            if (mailLogFile.isPresent()) {
                String host = cfg.string("myhostname");
                mailLog = MailLog.open(mailLogFile.get(), host.contains(".") ? host.substring(0, host.indexOf('.')) : host,
                        cfg.string("syslog_name"), Clock.systemDefaultZone());
                MailLog.install(mailLog);
            }
            JournalSpool spool = JournalSpool.open(queueDirectory, new ChannelSpoolFiles(), Clock.systemUTC())
                    .storageLimits(settings.queueMinfree(), settings.listener().messageSizeLimit());
            spool.onLaneFailure(t -> {
                err.println("postilion relay: fatal: a spool I/O lane failed (" + t + "); exiting with 70 for a restart");
                Runtime.getRuntime().halt(70); // EX_SOFTWARE; queued mail is recovered by the next start
            });
            relay = Relay.start(settings, spool, Clock.systemUTC());
        } catch (ListenerBindException e) {
            err.println("postilion relay: " + e.getMessage());
            return EX_OSERR;
        } catch (ConfigurationException e) {
            err.println("postilion relay: " + e.getMessage());
            return e.exitStatus();
        } catch (IOException e) {
            err.println("postilion relay: cannot open the " + (mailLogFile.isPresent() && MailLog.current() != mailLog
                    ? "mail log " + mailLogFile.get() : "spool") + ": " + e.getMessage());
            return EX_CANTCREAT;
        }
        out.println("postilion relay: SMTP on " + cfg.string("smtpd_listen").replaceFirst(":0$", ":" + relay.smtpPort())
                + ", metrics on http://" + cfg.string("metrics_listen").replaceFirst(":0$", ":" + relay.metricsPort())
                + "/metrics, admin on " + relay.adminSocket().toAbsolutePath() + ", spool in " + queueDirectory.toAbsolutePath());
        // Any other way the JVM ends (SIGHUP, System.exit elsewhere) still stops the relay cleanly.
        Runtime.getRuntime().addShutdownHook(new Thread(relay::stop, "postilion-shutdown"));
        StopSignals.awaitStop();
        relay.stop(); // graceful, bounded by shutdown_grace_time
        if (mailLog != null) {
            mailLog.close();
        }
        return Main.EX_OK;
    }
}
