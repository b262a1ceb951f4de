package io.postilion.engine.agent;

import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Outcome;

/**
 * What one failure means for one recipient at one server: KEEP it for the next server of this
 * attempt (outcome null), or drop it with a final outcome and DSN status.
 */
record Decision(boolean keep, Outcome outcome, DsnStatus status) {

    static Decision keep(DsnStatus status) {
        return new Decision(true, null, status);
    }

    static Decision drop(Outcome outcome, DsnStatus status) {
        return new Decision(false, outcome, status);
    }
}
