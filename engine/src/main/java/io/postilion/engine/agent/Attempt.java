package io.postilion.engine.agent;

import io.postilion.engine.rewrite.Preparation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The recipients of one attempt and where each stands (Postfix's smtp_rcpt.c): undecided, or
 * decided with a result. A KEEP decision leaves the recipient undecided, for the next server.
 * Also remembers the last error, for recipients still undecided when the servers run out
 * (LOOKUP-22), and what REPLY-12 needs to decide on throttling.
 */
final class Attempt {

    final DeliveryRequest request;
    private final RecipientResult[] results;
    private String lastStatus;
    private String lastReason;
    /** REPLY-12: a throttling failure left someone queued before any transaction completed. */
    private boolean hopStatus;
    private boolean completedTransaction;
    Instant mailFromAt;
    /** The relay= of the last server tried, "none" before any. */
    String lastRelay = "none";
    /** XFER-1 ended the attempt: no other server or destination is tried. */
    boolean stopped;
    /** CACHE-1: whether this request may reuse and park connections. */
    CacheHint caching = CacheHint.OFF;
    /** CACHE-8: a session has been filed under this request's next-hop key already. */
    boolean nexthopClaimed;

    /** Whether the message needs SMTPUTF8 (a cache key component, CACHE-8). */
    boolean utf8Required() {
        return request.smtputf8Requested();
    }

    /** LOOKUP-22: whether the destination tried last was a fallback relay. */
    boolean lastItemWasFallback;
    /** DATA-22..31: the content and the generic-mapped envelope that go on the wire. */
    Preparation.Ready prepared;
    /** LOG-5: the TLS feature status of the server considered last, empty before any (or when not logged). */
    String tls = "";
    /** MISC-3: the whole request is logged in detail (its next-hop is on debug_peer_list). */
    boolean debugRequest;
    /** LOG-9, MISC-3: the transcript of the session in use, one session at a time. */
    SessionTranscript transcript;
    /** LOG-9: transcripts due to the postmaster. */
    final List<PostmasterTranscript> transcripts = new ArrayList<>(0);

    Attempt(DeliveryRequest request) {
        this.request = request;
        this.results = new RecipientResult[request.recipients().size()];
    }

    /** Indexes of recipients not yet decided, in request order. */
    List<Integer> undecided() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < results.length; i++) {
            if (results[i] == null) {
                out.add(i);
            }
        }
        return out;
    }

    boolean done() {
        for (RecipientResult r : results) {
            if (r == null) {
                return false;
            }
        }
        return true;
    }

    /** Applies a decision to recipient {@code i}; a KEEP only records the error. */
    void apply(int i, Decision d, String reason, String relay, int connUse) {
        if (d.keep()) {
            error(d.dsn(), reason);
            return;
        }
        if (d.outcome() != Outcome.SENT) {
            error(d.dsn(), reason);
        }
        results[i] = new RecipientResult(request.recipients().get(i), d.outcome(), d.dsn(), reason, relay,
                d.outcome().dsnAction(), connUse, false, tls);
    }

    void sent(int i, String dsn, String reply, String relay, String action, int connUse, boolean serverDsn) {
        Recipient r = request.recipients().get(i);
        boolean notice = !request.probe() && !serverDsn && r.notifyOn().contains(io.postilion.transport.protocol.Notify.SUCCESS);
        results[i] = new RecipientResult(r, Outcome.SENT, dsn, reply, relay, action, connUse, notice, tls);
    }

    /** MISC-2: a result another transport reached for recipient {@code i}. */
    void take(int i, RecipientResult r) {
        if (r.outcome() != Outcome.SENT) {
            error(r.dsn(), r.reason());
        }
        results[i] = r;
    }

    void error(String status, String reason) {
        lastStatus = status;
        lastReason = reason;
    }

    /**
     * REPLY-12, Postfix's smtp_bulk_fail: a throttling failure (site, connection, lookup, I/O) has
     * just decided recipient {@code i}; the destination is throttled when that left it queued and
     * no transaction of this attempt had completed normally by then. A recipient kept for the next
     * server (KEEP) does not count.
     */
    void siteFailureDecided(int i) {
        RecipientResult r = results[i];
        if (r != null && r.outcome().staysQueued() && !completedTransaction) {
            hopStatus = true;
        }
    }

    void completedTransaction() {
        completedTransaction = true;
    }

    String lastStatus() {
        return lastStatus;
    }

    String lastReason() {
        return lastReason;
    }

    /** REPLY-12: whether the scheduler is to throttle the destination (see {@link #siteFailureDecided}). */
    boolean throttle() {
        return hopStatus;
    }

    List<RecipientResult> results() {
        return List.of(results);
    }
}
