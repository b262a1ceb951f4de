package io.postilion.engine.cli;

import io.postilion.engine.admin.AdminSettings;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.relay.QueueEntry;
import io.postilion.engine.relay.QueueListing;
import io.postilion.engine.spool.JournalSpool;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code postilion queue | flush | delete ID|ALL}: the queue commands (CLARIFICATIONS 15). They
 * talk to the running relay through admin.sock in queue_directory; with no relay running,
 * {@code queue} and {@code delete} work on the spool directly and {@code flush} says it needs one.
 * {@code delete} removes a message in any state (active, deferred, corrupt), as postsuper -d does.
 */
final class QueueCommand {

    static final int EX_UNAVAILABLE = 69;
    static final int EX_NOPERM = 77;

    /** The usage text, its first line for the command asked about. */
    static String help(String verb) {
        List<String> usages = new ArrayList<>(List.of("queue [--json] [--config FILE] [-o name=value ...]",
                "flush [--config FILE] [-o name=value ...]", "delete ID|ALL [--config FILE] [-o name=value ...]",
                "cat ID [--config FILE] [-o name=value ...]"));
        usages.sort(java.util.Comparator.comparing(u -> !u.startsWith(verb + " ")));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < usages.size(); i++) {
            sb.append(i == 0 ? "usage: postilion " : "       postilion ").append(usages.get(i)).append('\n');
        }
        return sb + HELP;
    }

    private static final String HELP = String.join("\n",
            "The queue commands, like Postfix's mailq, postqueue -f and postsuper -d. They ask the relay that runs",
            "on queue_directory (default ./var/spool) through its admin socket, queue_directory/admin.sock, which",
            "only the relay's own user may use. With no relay running, queue lists and delete changes the spool",
            "directly; flush needs a running relay.",
            "  queue             list the queued messages in mailq's layout (--json: one JSON object per message)",
            "  flush             retry deferred mail now",
            "  delete ID|ALL     remove one message, or every message, in whatever state",
            "  cat ID            show one message as the spool holds it: envelope, results, content (like postcat;",
            "                    it reads the spool itself, also beside a running relay)",
            "  --config FILE     a main.cf with Postfix parameter names (default: built-in defaults)",
            "  -o name=value     override one parameter; repeat for more",
            "Exit status: 0 done, 64 misuse, 69 not done (no such message, no relay to flush), 77 refused by the relay.");

    private QueueCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String verb = args[0];
        Path config = null;
        List<String> overrides = new ArrayList<>();
        String target = null;
        boolean json = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> {
                    if (!verb.equals("queue")) {
                        err.println("postilion " + verb + ": --json is for postilion queue");
                        return Main.EX_USAGE;
                    }
                    json = true;
                }
                case "--help", "-h" -> {
                    out.println(help(verb));
                    return Main.EX_OK;
                }
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
                    if ((verb.equals("delete") || verb.equals("cat")) && target == null && !args[i].startsWith("-")) {
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
        if (verb.equals("cat") && (target == null || !target.matches("[0-9A-Za-z]{1,64}"))) {
            err.println("postilion cat: name a queue id");
            return Main.EX_USAGE;
        }
        try {
            Configuration cfg = config != null ? ConfigurationLoader.load(config, overrides)
                    : ConfigurationLoader.fromText("", "(built-in defaults)", overrides);
            Path spool = Path.of(cfg.string("queue_directory"));
            AdminClient base = new AdminClient(AdminSettings.socketIn(spool));
            return switch (verb) {
                case "queue" -> queue(base, spool, json, out, err);
                case "flush" -> flush(base, out, err);
                case "cat" -> cat(spool, target, out, err);
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

    /**
     * postilion cat ID, like postcat -q: the envelope, each recipient with its results, and the
     * content, read from the spool (the journal or the message's own file) without the relay.
     */
    private static int cat(Path spool, String id, PrintStream out, PrintStream err) throws IOException {
        java.util.Optional<byte[]> file = JournalSpool.queueFile(spool, id);
        if (file.isEmpty()) {
            err.println("postilion cat: " + id + " is not in the queue at " + spool.toAbsolutePath());
            return EX_UNAVAILABLE;
        }
        io.postilion.engine.spool.QueueFile.Decoded d;
        try {
            d = io.postilion.engine.spool.QueueFile.decode(file.get());
        } catch (io.postilion.engine.spool.QueueFile.CorruptQueueFile bad) {
            err.println("postilion cat: " + id + " cannot be read: " + bad.getMessage());
            return 65; // EX_DATAERR
        }
        var e = d.envelope();
        out.println("*** ENVELOPE RECORDS " + id + " ***");
        out.println("arrival_time: " + e.arrival());
        out.println("sender: " + e.sender());
        out.println("body_type: " + e.bodyType() + (e.smtputf8() ? ", SMTPUTF8" : ""));
        if (!e.envId().isEmpty()) {
            out.println("envelope_id: " + e.envId());
        }
        out.println("client: " + e.client().address() + " helo=" + e.client().helo());
        for (int i = 0; i < e.recipients().size(); i++) {
            out.println("recipient: " + e.recipients().get(i).address());
            for (var st : d.statuses()) {
                if (st.index() == i) {
                    out.println("    " + st.at() + " " + st.outcome().code() + " " + st.status() + " (" + st.reason() + ")");
                }
            }
        }
        out.println("*** MESSAGE CONTENTS " + id + " ***");
        out.write(file.get(), (int) d.contentOffset(), (int) d.contentLength());
        out.println("*** END OF QUEUE FILE " + id + " ***");
        out.flush();
        return Main.EX_OK;
    }

    /** A refusal from the relay (another user's relay): one line, exit 77. */
    private static int refused(String verb, AdminClient relay, AdminClient.Answer a, PrintStream err) {
        err.println("postilion " + verb + ": the relay on " + relay.socket() + " refused: " + a.body().strip());
        return EX_NOPERM;
    }

    private static int queue(AdminClient relay, Path spool, boolean json, PrintStream out, PrintStream err)
            throws IOException {
        Optional<AdminClient.Answer> answer = relay.call("GET", json ? "/queue.json" : "/queue");
        if (answer.isPresent()) {
            AdminClient.Answer a = answer.get();
            if (a.refused()) {
                return refused("queue", relay, a, err);
            }
            (a.ok() ? out : err).print(a.body());
            return a.ok() ? Main.EX_OK : EX_UNAVAILABLE;
        }
        // No relay: read the spool directly, same layout.
        List<QueueEntry> entries = Files.isDirectory(spool) ? JournalSpool.listOffline(spool) : List.of();
        out.print(json ? QueueListing.json(entries) : QueueListing.mailq(entries, java.time.ZoneId.systemDefault()));
        return Main.EX_OK;
    }

    private static int flush(AdminClient relay, PrintStream out, PrintStream err) {
        Optional<AdminClient.Answer> answer = relay.call("POST", "/queue/flush");
        if (answer.isEmpty()) {
            err.println("postilion flush: no relay answers on " + relay.socket() + "; deferred mail is retried when one starts");
            return EX_UNAVAILABLE;
        }
        AdminClient.Answer a = answer.get();
        if (a.refused()) {
            return refused("flush", relay, a, err);
        }
        (a.ok() ? out : err).print(a.body());
        return a.ok() ? Main.EX_OK : EX_UNAVAILABLE;
    }

    private static int delete(AdminClient relay, Path spool, String target, PrintStream out, PrintStream err) throws IOException {
        boolean all = target.equals("ALL");
        if (!all && !target.matches("[0-9A-Za-z]{1,64}")) {
            err.println("postilion delete: " + target + " is not a queue id");
            return Main.EX_USAGE;
        }
        Optional<AdminClient.Answer> answer = relay.call("DELETE", all ? "/queue" : "/queue/" + target);
        if (answer.isPresent()) {
            AdminClient.Answer a = answer.get();
            if (a.refused()) {
                return refused("delete", relay, a, err);
            }
            (a.ok() ? out : err).print(a.body());
            return a.ok() ? Main.EX_OK : EX_UNAVAILABLE;
        }
        if (all) {
            int n = 0;
            for (QueueEntry e : JournalSpool.listOffline(spool)) {
                n += JournalSpool.deleteOffline(spool, e.queueId()) ? 1 : 0;
            }
            out.println("deleted " + n + " message(s) from " + spool.toAbsolutePath());
            return Main.EX_OK;
        }
        if (JournalSpool.deleteOffline(spool, target)) {
            out.println("deleted " + target);
            return Main.EX_OK;
        }
        err.println("postilion delete: " + target + " is not in the queue at " + spool.toAbsolutePath());
        return EX_UNAVAILABLE;
    }
}
