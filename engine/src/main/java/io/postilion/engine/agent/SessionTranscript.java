package io.postilion.engine.agent;

import io.postilion.engine.maillog.MailLog;
import io.postilion.transport.protocol.Capabilities;
import io.postilion.transport.protocol.EhloKeyword;
import io.postilion.transport.reply.SmtpReply;
import io.postilion.transport.session.Transcript;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's conversation as the agent keeps it: recorded for a postmaster transcript when
 * notify_classes asks for one (LOG-9), and logged when the peer is on debug_peer_list (MISC-3), to
 * the {@code postilion.debug_peer} logger and to the mail log under the agent's process name, as
 * Postfix's raised msg_verbose does. How much is logged follows debug_peer_level: from level 1 the
 * conversation ("> server: command", "< server: reply"), from level 2 also what the server's hello
 * reply offered once discarding is done ("server features: ..."). Bounded: a runaway conversation
 * keeps its first lines and a note.
 */
final class SessionTranscript implements Transcript {

    private static final Logger debug = LoggerFactory.getLogger("postilion.debug_peer");
    static final int MAX_LINES = 1000;
    /** debug_peer_level from which the server's features are logged too. */
    static final int FEATURES_LEVEL = 2;

    private final String server;
    private final boolean record;
    private final boolean log;
    private final int level;
    private final String process;
    private final List<String> lines;
    private int dropped;
    private final java.util.EnumSet<PostmasterNotices.ErrorClass> raised =
            java.util.EnumSet.noneOf(PostmasterNotices.ErrorClass.class);

    /**
     * @param level debug_peer_level when the peer is listed, 0 when it is not (nothing is logged)
     * @param process smtp or lmtp, the mail log's process name
     */
    SessionTranscript(String server, boolean record, int level, String process) {
        this.server = server;
        this.record = record;
        this.log = level > 0;
        this.level = level;
        this.process = process;
        this.lines = record ? new ArrayList<>() : List.of();
    }

    private void debugLine(String line) {
        debug.info("{}", line);
        MailLog.current().log(process, line);
    }

    /** Level 2 and up: the ESMTP features a new session's hello reply left after discarding. */
    void features(Capabilities caps) {
        if (level < FEATURES_LEVEL) {
            return;
        }
        StringBuilder sb = new StringBuilder("server features: ");
        if (caps.keywords().isEmpty()) {
            sb.append("none");
        }
        for (EhloKeyword k : caps.keywords()) {
            sb.append(sb.charAt(sb.length() - 1) == ' ' ? "" : " ").append(k.wireName());
        }
        debugLine(sb.append(", size ").append(caps.sizeLimit()).append(" (").append(server).append(')').toString());
    }

    @Override
    public synchronized void sent(String line) {
        if (log) {
            debugLine("> " + server + ": " + line);
        }
        add("Out: " + line);
    }

    @Override
    public synchronized void received(SmtpReply reply) {
        List<String> text = reply.lines();
        for (int i = 0; i < text.size(); i++) {
            String line = reply.code() + (i < text.size() - 1 ? "-" : " ") + text.get(i);
            if (log) {
                debugLine("< " + server + ": " + line);
            }
            add("In: " + line);
        }
    }

    private void add(String line) {
        if (!record) {
            return;
        }
        if (lines.size() < MAX_LINES) {
            lines.add(line);
        } else {
            dropped++;
        }
    }

    /** The session ran into an error of class {@code c} (LOG-9). */
    synchronized void raise(PostmasterNotices.ErrorClass c) {
        raised.add(c);
    }

    synchronized boolean raisedAnyOf(java.util.Set<PostmasterNotices.ErrorClass> classes) {
        if (!record) {
            return false;
        }
        for (PostmasterNotices.ErrorClass c : raised) {
            if (classes.contains(c)) {
                return true;
            }
        }
        return false;
    }

    synchronized List<String> lines() {
        List<String> out = new ArrayList<>(lines);
        if (dropped > 0) {
            out.add("(" + dropped + " more lines not kept)");
        }
        return out;
    }

    String server() {
        return server;
    }
}
