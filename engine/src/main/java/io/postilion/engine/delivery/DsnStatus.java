package io.postilion.engine.delivery;

/**
 * An RFC 3463 enhanced status code, {@code class.subject.detail}, as a value: the class says
 * success (2), transient failure (4) or permanent failure (5), and code that decides on a
 * recipient asks the value rather than looking at the first character of a string.
 *
 * <p>The transport reads statuses off the wire as text (REPLY-5 validates them there); they
 * become values here, once, at the edge of the agent. Nothing else parses them.
 *
 * @param statusClass 2, 4 or 5
 * @param subject 0 to 999
 * @param detail 0 to 999
 */
public record DsnStatus(int statusClass, int subject, int detail) {

    /** 5.5.0: the peer broke the protocol (REPLY-8). */
    public static final DsnStatus PROTOCOL_ERROR = new DsnStatus(5, 5, 0);

    public DsnStatus {
        if (statusClass != 2 && statusClass != 4 && statusClass != 5) {
            throw new IllegalArgumentException("a DSN status class is 2, 4 or 5, not " + statusClass);
        }
        if (subject < 0 || subject > 999 || detail < 0 || detail > 999) {
            throw new IllegalArgumentException("a DSN status subject and detail are 0-999: " + subject + "." + detail);
        }
    }

    public static DsnStatus of(int statusClass, int subject, int detail) {
        return new DsnStatus(statusClass, subject, detail);
    }

    /**
     * Reads {@code x.y.z}; anything else is refused with an exception naming it, because a status
     * that cannot be read is a bug upstream, never something to guess at.
     */
    public static DsnStatus parse(CharSequence text) {
        int[] parts = new int[3];
        int part = 0;
        int digits = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9' && digits < 3) {
                parts[part] = parts[part] * 10 + (c - '0');
                digits++;
            } else if (c == '.' && digits > 0 && part < 2) {
                part++;
                digits = 0;
            } else {
                throw new IllegalArgumentException("not a DSN status: \"" + text + "\"");
            }
        }
        if (part != 2 || digits == 0 || (parts[0] != 2 && parts[0] != 4 && parts[0] != 5) || digits > 3) {
            throw new IllegalArgumentException("not a DSN status: \"" + text + "\"");
        }
        return new DsnStatus(parts[0], parts[1], parts[2]);
    }

    public boolean isSuccess() {
        return statusClass == 2;
    }

    /** A transient failure (4.x.x): the recipient stays queued. */
    public boolean isTransient() {
        return statusClass == 4;
    }

    /** A permanent failure (5.x.x). */
    public boolean isPermanent() {
        return statusClass == 5;
    }

    /** The same subject and detail in another class, as soft_bounce turns 5.x.x into 4.x.x. */
    public DsnStatus withClass(int newClass) {
        return newClass == statusClass ? this : new DsnStatus(newClass, subject, detail);
    }

    /** Whether subject and detail are these, whatever the class (e.g. x.4.6, a mail loop). */
    public boolean is(int subjectCode, int detailCode) {
        return subject == subjectCode && detail == detailCode;
    }

    /** The wire and log form, {@code x.y.z}. */
    public String text() {
        return statusClass + "." + subject + "." + detail;
    }

    @Override
    public String toString() {
        return text();
    }
}
