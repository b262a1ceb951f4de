package io.postilion.engine.cli;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.relay.Relay;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.Spool;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code postilion relay}: the main job. Runs the relay on the configuration given, or on the
 * built-in defaults (spool in ./var/spool, SMTP on 127.0.0.1:2525, metrics on 127.0.0.1:9464,
 * delivery by MX lookup), until it is stopped (SIGTERM or Ctrl-C), then closes down: it stops
 * accepting at once, gives deliveries in progress shutdown_grace_time to finish, and leaves the
 * rest queued for the next start.
 */
final class RelayCommand {

    static final String HELP = String.join("\n",
            "usage: postilion relay [--config FILE] [-o name=value ...]",
            "Runs the relay: accepts mail by SMTP (smtpd_listen, default 127.0.0.1:2525) from mynetworks,",
            "queues it durably (queue_directory, default ./var/spool) and delivers it (relayhost, transport_maps,",
            "default_transport; by MX lookup when none is set). Metrics: http://metrics_listen/metrics.",
            "  --config FILE     a main.cf with Postfix parameter names (default: built-in defaults)",
            "  -o name=value     override one parameter; repeat for more",
            "Stops on SIGTERM or Ctrl-C: the listener closes at once, deliveries in progress get shutdown_grace_time",
            "(default 30s) to finish, and the rest of the mail stays in the spool for the next start.");

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
        try {
            Configuration cfg = config != null ? ConfigurationLoader.load(config, overrides)
                    : ConfigurationLoader.fromText("", "(built-in defaults)", overrides);
            cfg.warnings().forEach(w -> err.println("postilion relay: warning: " + w.message()));
            Path queueDirectory = Path.of(cfg.string("queue_directory"));
            Spool spool = Spool.open(queueDirectory, new ChannelSpoolFiles(), Clock.systemUTC());
            spool.onLaneFailure(t -> {
                err.println("postilion relay: fatal: a spool I/O lane failed (" + t + "); exiting with 70 for a restart");
                Runtime.getRuntime().halt(70); // EX_SOFTWARE; queued mail is recovered by the next start
            });
            Relay relay = Relay.start(cfg, spool, Clock.systemUTC());
            out.println("postilion relay: SMTP on " + cfg.string("smtpd_listen").replaceFirst(":0$", ":" + relay.smtpPort())
                    + ", metrics on http://" + cfg.string("metrics_listen") + "/metrics, spool in "
                    + queueDirectory.toAbsolutePath());
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                relay.stop(); // graceful, bounded by shutdown_grace_time
                stopped.countDown();
            }, "postilion-shutdown"));
            stopped.await();
            return Main.EX_OK;
        } catch (ConfigurationException e) {
            err.println("postilion relay: " + e.getMessage());
            return e.exitStatus();
        } catch (IOException e) {
            err.println("postilion relay: cannot open the spool: " + e.getMessage());
            return 73; // EX_CANTCREAT
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.EX_OK;
        }
    }
}
