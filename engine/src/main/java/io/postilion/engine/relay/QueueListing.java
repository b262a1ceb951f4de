package io.postilion.engine.relay;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The queue as people and programs read it. {@link #mailq} is Postfix's mailq layout (postqueue
 * -p with long queue ids), which scripts and monitoring parse: a heading, then per message the id
 * with {@code *} when active, the size, the arrival time as asctime writes it, the sender
 * ({@code MAILER-DAEMON} for the null sender), each pending recipient under it, a deferral reason
 * in parentheses above the recipients it applies to, and a closing {@code -- N Kbytes in M
 * Requests.} line. {@link #json} is the same for programs.
 */
public final class QueueListing {

    private static final String STRING_FORMAT = "%-17s %8s %-19s %s%n";
    private static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss", Locale.ROOT);

    private QueueListing() {
    }

    /** mailq's layout, arrival times in {@code zone}. */
    public static String mailq(List<QueueEntry> entries, ZoneId zone) {
        if (entries.isEmpty()) {
            return "Mail queue is empty\n";
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(STRING_FORMAT, "----Queue ID-----", "--Size--", "---Arrival Time----",
                "--Sender/Recipient------"));
        long bytes = 0;
        for (int i = 0; i < entries.size(); i++) {
            QueueEntry e = entries.get(i);
            if (i > 0) {
                sb.append('\n');
            }
            String id = e.queueId() + (e.state().equals("active") ? "*" : "");
            String arrival = e.arrival() == null ? "(corrupt)" : ASCTIME.format(e.arrival().atZone(zone));
            sb.append(String.format("%-17s %8d %19.19s %s%n", id, e.size(), arrival,
                    e.sender().isEmpty() ? "MAILER-DAEMON" : e.sender()));
            String saved = ""; // a reason line is written when the reason changes, as showq does
            for (QueueEntry.Pending p : e.pending()) {
                if (!p.reason().equals(saved)) {
                    saved = p.reason();
                    String show = saved.isEmpty() ? "reason unavailable" : saved;
                    sb.append(" ".repeat(Math.max(0, 76 - show.length()))).append('(').append(show).append(")\n");
                }
                sb.append(String.format(STRING_FORMAT, "", "", "", p.address()));
            }
            bytes += e.size();
        }
        sb.append(String.format("%n-- %d Kbytes in %d Request%s.%n", bytes / 1024, entries.size(),
                entries.size() == 1 ? "" : "s"));
        return sb.toString();
    }

    /** One JSON object per line, as {@code postqueue -j} writes them. */
    public static String json(List<QueueEntry> entries) {
        StringBuilder sb = new StringBuilder();
        for (QueueEntry e : entries) {
            sb.append("{\"queue_name\": ").append(quote(e.state()))
                    .append(", \"queue_id\": ").append(quote(e.queueId()))
                    .append(", \"arrival_time\": ").append(e.arrival() == null ? "null" : e.arrival().getEpochSecond())
                    .append(", \"message_size\": ").append(e.size())
                    .append(", \"sender\": ").append(quote(e.sender()))
                    .append(", \"recipients\": [");
            for (int i = 0; i < e.pending().size(); i++) {
                QueueEntry.Pending p = e.pending().get(i);
                sb.append(i > 0 ? ", " : "").append("{\"address\": ").append(quote(p.address()));
                if (!p.reason().isEmpty()) {
                    sb.append(", \"delay_reason\": ").append(quote(p.reason()));
                }
                sb.append('}');
            }
            sb.append("]}\n");
        }
        return sb.toString();
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
