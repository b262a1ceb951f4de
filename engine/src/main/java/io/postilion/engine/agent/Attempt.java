package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.PostmasterTranscript;

import io.postilion.engine.delivery.DsnAction;
import io.postilion.engine.delivery.DsnStatus;
import io.postilion.engine.delivery.Invariants;
import io.postilion.engine.delivery.Verdict;
import io.postilion.engine.delivery.VerdictSource;
import io.postilion.engine.rewrite.Preparation;
import io.postilion.transport.protocol.Smtputf8;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The recipients of one attempt and where each stands (Postfix's smtp_rcpt.c): undecided, or
 * decided with a result. A KEEP decision leaves the recipient undecided, for the next server.
 * Deciding a recipient twice, or ending with one undecided, breaks the delivery contract
 * ({@link Invariants}): it throws under test, and in production the recipient is deferred.
 * Also remembers the last error, for recipients still undecided when the servers run out
 * (LOOKUP-22), and what REPLY-12 needs to decide on throttling.
 */
final class Attempt {

    final DeliveryRequest request;
    private final RecipientResult[] results;
    private DsnStatus lastStatus;
    private String lastReason;
    private Verdict lastVerdict;
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
    /** The destination being walked, as written (CACHE-6's current next hop; the fallback relay's when it is tried). */
    String currentNexthop = "";
    /**
     * TLS-11, TLS-12: the session that just ended asks for the same address again, in plaintext;
     * the walk clears it when it makes that one retry.
     */
    boolean retryPlain;
    /**
     * LOG-5: the level a plaintext retry stands in for (may), so that its tls= field reads
     * {@code may:none}; null outside such a retry.
     */
    io.postilion.tls.TlsLevel plaintextRetryOf;

    /** Whether the message needs SMTPUTF8 (a cache key component, CACHE-8). */
    boolean utf8Required() {
        return request.smtputf8Requested();
    }

    /**
     * DATA-20: whether the delivery requires SMTPUTF8, given the recipients still open; the
     * handshake checks it (SESS-16) and the transaction's downgrade decision reads it (DATA-10).
     * Not to be confused with {@link #utf8Required}, the sender's request alone.
     */
    boolean deliveryNeedsSmtputf8() {
        return Smtputf8.required(request.smtputf8Requested(), request.sender(), request.headersUtf8(),
                undecided().stream().map(i -> request.recipients().get(i).address()).toList());
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
    /** DATA-3: the first long line broken in this request has been logged; later servers stay quiet. */
    boolean loggedLineBreak;

    /** LOG-9: marks the transcript of the session in use, if there is one, with an error class. */
    void raise(PostmasterNotices.ErrorClass c) {
        if (transcript != null) {
            transcript.raise(c);
        }
    }

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

    /** Whether recipient {@code i} (its position in the request) is still open. */
    boolean isUndecided(int i) {
        return results[i] == null;
    }

    boolean done() {
        for (RecipientResult r : results) {
            if (r == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Applies a decision to recipient {@code i} (its position in the request); a KEEP only records
     * the error for the recipients no later server decides.
     */
    void apply(int i, Decision d, String reason, Verdict verdict, String relay, int connUse) {
        if (d.keep()) {
            error(d.status(), reason, verdict);
            return;
        }
        if (d.outcome() != Outcome.SENT) {
            error(d.status(), reason, verdict);
        }
        decide(i, new RecipientResult(request.recipients().get(i), d.outcome(), d.status(), d.outcome().dsnAction(),
                verdict, reason, relay, connUse, false, tls));
    }

    void sent(int i, DsnStatus status, String reply, Verdict verdict, String relay, DsnAction action, int connUse,
            boolean serverDsn) {
        Recipient r = request.recipients().get(i);
        boolean notice = !request.probe() && !serverDsn && r.notifyOn().contains(io.postilion.transport.protocol.Notify.SUCCESS);
        decide(i, new RecipientResult(r, Outcome.SENT, status, action, verdict, reply, relay, connUse, notice, tls));
    }

    /** MISC-2: a result another transport reached for recipient {@code i}. */
    void take(int i, RecipientResult r) {
        if (r.index() != request.recipients().get(i).index()) {
            Invariants.violated(request.queueId() + ": a handed-off result for queue index " + r.index()
                    + " came back for index " + request.recipients().get(i).index());
            return;
        }
        if (r.outcome() != Outcome.SENT) {
            error(r.status(), r.reason(), r.verdict());
        }
        decide(i, r);
    }

    /** The one place a recipient becomes decided; a second decision is a bug. */
    private void decide(int i, RecipientResult r) {
        if (results[i] != null) {
            Invariants.violated(request.queueId() + ": recipient " + request.recipients().get(i).index() + " <"
                    + request.recipients().get(i).address() + "> decided twice (" + results[i].outcome().logWord()
                    + ", then " + r.outcome().logWord() + ")");
            return; // the first decision stands
        }
        results[i] = r;
    }

    void error(DsnStatus status, String reason, Verdict verdict) {
        lastStatus = status;
        lastReason = reason;
        lastVerdict = verdict;
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

    DsnStatus lastStatus() {
        return lastStatus;
    }

    String lastReason() {
        return lastReason;
    }

    Verdict lastVerdict() {
        return lastVerdict;
    }

    /** REPLY-12: whether the scheduler is to throttle the destination (see {@link #siteFailureDecided}). */
    boolean throttle() {
        return hopStatus;
    }

    /**
     * The results, one per recipient in request order. A recipient still undecided here is a bug
     * (smtp_rcpt.c's panic); outside tests it is deferred, so it stays queued and is never lost.
     */
    List<RecipientResult> results() {
        List<RecipientResult> out = new ArrayList<>(results.length);
        for (int i = 0; i < results.length; i++) {
            RecipientResult r = results[i];
            if (r == null) {
                Recipient rcpt = request.recipients().get(i);
                Invariants.violated(request.queueId() + ": recipient " + rcpt.index() + " <" + rcpt.address()
                        + "> left undecided");
                r = RecipientResult.local(rcpt, Outcome.DEFERRED, UNDECIDED, VerdictSource.LOCAL,
                        "internal error: the delivery agent left the recipient undecided");
                results[i] = r;
            }
            out.add(r);
        }
        return List.copyOf(out);
    }

    private static final DsnStatus UNDECIDED = DsnStatus.of(4, 3, 0);
}
