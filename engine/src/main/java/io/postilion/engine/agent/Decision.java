package io.postilion.engine.agent;

/**
 * What one failure means for one recipient at one server: KEEP it for the next server of this
 * attempt (outcome null), or drop it with a final outcome and DSN status.
 */
public record Decision(boolean keep, Outcome outcome, String dsn) {

    static Decision keep(String dsn) {
        return new Decision(true, null, dsn);
    }

    static Decision drop(Outcome outcome, String dsn) {
        return new Decision(false, outcome, dsn);
    }
}
