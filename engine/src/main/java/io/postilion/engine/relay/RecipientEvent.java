package io.postilion.engine.relay;

import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import java.time.Instant;
import java.util.Objects;

/**
 * One recipient's result as the queue manager recorded it, for whoever watches the relay's
 * outcomes ({@link Relay#results()}: library users in-process, the fleet's results topic): the
 * delivery contract's typed result, never a log line to parse. Emitted once the result is in the
 * store, so an event never reports what a crash could still undo.
 *
 * @param queueId the message's queue id
 * @param envId the message's DSN ENVID, empty when none: what an application that submitted the
 *     message (by SMTP or through the fleet's request topic) can correlate results by
 * @param result the recipient (by queue index), outcome, DSN status and action, verdict,
 *     diagnostic and relay
 * @param delays the delays of the attempt that decided it (the log line's delay= and delays=);
 *     for a result this MTA decided itself, the time in the queue and zeros
 * @param recordedAt when the queue manager recorded it
 */
public record RecipientEvent(String queueId, String envId, RecipientResult result, DeliveryReport.Timings delays, Instant recordedAt) {

    public RecipientEvent {
        Objects.requireNonNull(queueId, "queueId");
        Objects.requireNonNull(envId, "envId");
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(delays, "delays");
        Objects.requireNonNull(recordedAt, "recordedAt");
    }

    /** The recipient's queue index in its message. */
    public int index() {
        return result.index();
    }

    /** The envelope recipient. */
    public String address() {
        return result.recipient().address();
    }

    public Outcome outcome() {
        return result.outcome();
    }

    public DsnStatus status() {
        return result.status();
    }

    /**
     * Whether this is the recipient's last event: sent, bounced (its notice queued) or a probe's
     * verdict. A deferred recipient gets another event after its next attempt.
     */
    public boolean isFinal() {
        return !result.outcome().staysQueued();
    }
}
