package io.postilion.engine.agent;

import io.postilion.transport.reply.SmtpReply;
import io.postilion.transport.session.Transcript;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's conversation as the agent keeps it: recorded for a postmaster transcript when
 * notify_classes asks for one (LOG-9), and logged line by line, as Postfix's verbose mode does
 * ("> server: command", "< server: reply"), when the peer is on debug_peer_list (MISC-3). Bounded:
 * a runaway conversation keeps its first lines and a note.
 */
final class SessionTranscript implements Transcript {

    private static final Logger debug = LoggerFactory.getLogger("postilion.debug_peer");
    static final int MAX_LINES = 1000;

    private final String server;
    private final boolean record;
    private final boolean log;
    private final List<String> lines;
    private int dropped;
    private final java.util.EnumSet<PostmasterNotices.ErrorClass> raised =
            java.util.EnumSet.noneOf(PostmasterNotices.ErrorClass.class);

    SessionTranscript(String server, boolean record, boolean log) {
        this.server = server;
        this.record = record;
        this.log = log;
        this.lines = record ? new ArrayList<>() : List.of();
    }

    @Override
    public synchronized void sent(String line) {
        if (log) {
            debug.info("> {}: {}", server, line);
        }
        add("Out: " + line);
    }

    @Override
    public synchronized void received(SmtpReply reply) {
        List<String> text = reply.lines();
        for (int i = 0; i < text.size(); i++) {
            String line = reply.code() + (i < text.size() - 1 ? "-" : " ") + text.get(i);
            if (log) {
                debug.info("< {}: {}", server, line);
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
