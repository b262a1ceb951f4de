package io.postilion.tls;

import java.util.Objects;

/**
 * Whether a session met its TLS security level, in the form the delivery log's {@code tls=} field
 * shows it (LOG-5, TLS-23): the level asked for, then {@code :actual} when less was achieved, a
 * {@code !} prefix when the policy was violated and the connection not used, a {@code ?} suffix
 * while undecided (no connection yet, or it was lost before TLS was settled).
 *
 * @param wanted the effective level for the server, after policy
 * @param achieved what the session ended up with; null while undecided
 * @param verdict undecided, compliant or violated
 */
public record TlsFeatureStatus(TlsLevel wanted, TlsLevel achieved, Verdict verdict) {

    /** How the session stands against the policy. */
    public enum Verdict { UNDECIDED, COMPLIANT, VIOLATION }

    // Every log form, made once: the field is written for each recipient of each message.
    private static final int LEVELS = TlsLevel.values().length;
    private static final String[] FORMS = new String[LEVELS * (LEVELS + 1) * Verdict.values().length];

    static {
        for (TlsLevel w : TlsLevel.values()) {
            for (int a = 0; a <= LEVELS; a++) {
                for (Verdict v : Verdict.values()) {
                    FORMS[index(w, a, v)] = format(w, a == LEVELS ? null : TlsLevel.values()[a], v);
                }
            }
        }
    }

    public TlsFeatureStatus {
        Objects.requireNonNull(wanted, "wanted");
        Objects.requireNonNull(verdict, "verdict");
        if (verdict != Verdict.UNDECIDED) {
            Objects.requireNonNull(achieved, "achieved");
        }
    }

    /** The level is known, nothing is settled yet. */
    public static TlsFeatureStatus undecided(TlsLevel wanted) {
        return new TlsFeatureStatus(wanted, null, Verdict.UNDECIDED);
    }

    /** The session went on with {@code actual} (the same level, or plaintext under "may"). */
    public TlsFeatureStatus compliant(TlsLevel actual) {
        return new TlsFeatureStatus(wanted, actual, Verdict.COMPLIANT);
    }

    /** The level could not be met; the server was not used. */
    public TlsFeatureStatus violated() {
        return new TlsFeatureStatus(wanted, wanted, Verdict.VIOLATION);
    }

    /** The log form, e.g. {@code may}, {@code may:none}, {@code !encrypt}, {@code may?}. */
    public String logForm() {
        return FORMS[index(wanted, achieved == null ? LEVELS : achieved.ordinal(), verdict)];
    }

    private static int index(TlsLevel wanted, int achieved, Verdict verdict) {
        return (wanted.ordinal() * (LEVELS + 1) + achieved) * Verdict.values().length + verdict.ordinal();
    }

    private static String format(TlsLevel wanted, TlsLevel achieved, Verdict verdict) {
        StringBuilder sb = new StringBuilder(16);
        if (verdict == Verdict.VIOLATION) {
            sb.append('!');
        }
        sb.append(wanted.configName());
        if (achieved != null && achieved != wanted) {
            sb.append(':').append(achieved.configName());
        }
        if (verdict == Verdict.UNDECIDED) {
            sb.append('?');
        }
        return sb.toString();
    }
}
