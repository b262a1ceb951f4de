package io.postilion.engine.cli;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.relay.QueueEntry;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.Spool;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import reactor.netty.http.client.HttpClient;

/**
 * {@code postilion queue | flush | delete ID|ALL}: the queue commands (CLARIFICATIONS 15). They
 * talk to the running relay through its admin API on metrics_listen; with no relay running,
 * {@code queue} and {@code delete} work on the spool directly and {@code flush} says it needs one.
 * {@code delete} removes a message in any state (active, deferred, corrupt), as postsuper -d does.
 */
final class QueueCommand {

    static final int EX_UNAVAILABLE = 69;

    private QueueCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String verb = args[0];
        Path config = null;
        List<String> overrides = new ArrayList<>();
        String target = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        err.println("postilion " + verb + ": --config needs a value");
                        return Main.EX_USAGE;
                    }
                    config = Path.of(args[++i]);
                }
                case "-o" -> {
                    if (i + 1 >= args.length) {
                        err.println("postilion " + verb + ": -o needs name=value");
                        return Main.EX_USAGE;
                    }
                    overrides.add(args[++i]);
                }
                default -> {
                    if (verb.equals("delete") && target == null && !args[i].startsWith("-")) {
                        target = args[i];
                    } else {
                        err.println("postilion " + verb + ": unexpected argument " + args[i]);
                        return Main.EX_USAGE;
                    }
                }
            }
        }
        if (verb.equals("delete") && target == null) {
            err.println("postilion delete: name a queue id, or ALL");
            return Main.EX_USAGE;
        }
        try {
            Configuration cfg = config != null ? ConfigurationLoader.load(config, overrides)
                    : ConfigurationLoader.fromText("", "(built-in defaults)", overrides);
            String base = "http://" + cfg.string("metrics_listen");
            Path spool = Path.of(cfg.string("queue_directory"));
            return switch (verb) {
                case "queue" -> queue(base, spool, out);
                case "flush" -> flush(base, out, err);
                default -> delete(base, spool, target, out, err);
            };
        } catch (ConfigurationException e) {
            err.println("postilion " + verb + ": " + e.getMessage());
            return e.exitStatus();
        } catch (IOException e) {
            err.println("postilion " + verb + ": " + e.getMessage());
            return 74; // EX_IOERR
        }
    }

    /** The relay's answer, or null when no relay listens there. */
    private static Answer call(String method, String url) {
        try {
            HttpClient http = HttpClient.create().responseTimeout(Duration.ofSeconds(10));
            var sender = switch (method) {
                case "POST" -> http.post();
                case "DELETE" -> http.delete();
                default -> http.get();
            };
            return sender.uri(url).responseSingle((res, body) -> body.asString().defaultIfEmpty("")
                    .map(text -> new Answer(res.status().code(), text))).block(Duration.ofSeconds(15));
        } catch (RuntimeException notRunning) {
            return null;
        }
    }

    private record Answer(int status, String body) {
    }

    private static int queue(String base, Path spool, PrintStream out) throws IOException {
        Answer a = call("GET", base + "/queue");
        if (a != null && a.status() == 200) {
            out.print(a.body());
            return Main.EX_OK;
        }
        if (!Files.isDirectory(spool)) {
            out.println("-- the queue is empty (no spool at " + spool.toAbsolutePath() + ")");
            return Main.EX_OK;
        }
        List<QueueEntry> entries = Spool.list(spool, new ChannelSpoolFiles());
        entries.forEach(e -> out.print(e.format()));
        out.println("-- " + entries.size() + " message(s) in the queue (read from " + spool.toAbsolutePath()
                + "; no relay is running)");
        return Main.EX_OK;
    }

    private static int flush(String base, PrintStream out, PrintStream err) {
        Answer a = call("POST", base + "/queue/flush");
        if (a == null) {
            err.println("postilion flush: no relay answers at " + base + "; deferred mail is retried when one starts");
            return EX_UNAVAILABLE;
        }
        out.print(a.body());
        return a.status() == 200 ? Main.EX_OK : EX_UNAVAILABLE;
    }

    private static int delete(String base, Path spool, String target, PrintStream out, PrintStream err) throws IOException {
        boolean all = target.equals("ALL");
        Answer a = call("DELETE", base + (all ? "/queue" : "/queue/" + target));
        if (a != null) {
            (a.status() == 200 ? out : err).print(a.body());
            return a.status() == 200 ? Main.EX_OK : EX_UNAVAILABLE;
        }
        if (all) {
            int n = 0;
            for (QueueEntry e : Spool.list(spool, new ChannelSpoolFiles())) {
                n += Spool.deleteOffline(spool, e.queueId()) ? 1 : 0;
            }
            out.println("deleted " + n + " message(s) from " + spool.toAbsolutePath());
            return Main.EX_OK;
        }
        if (Spool.deleteOffline(spool, target)) {
            out.println("deleted " + target);
            return Main.EX_OK;
        }
        err.println("postilion delete: " + target + " is not in the queue at " + spool.toAbsolutePath());
        return EX_UNAVAILABLE;
    }
}
