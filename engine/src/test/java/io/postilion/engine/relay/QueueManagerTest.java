package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.agent.DeliveryAgent;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.listener.MessageSink;
import io.postilion.engine.listener.ReceivedMessage;
import io.postilion.engine.scheduler.DeliveryScheduler;
import io.postilion.engine.scheduler.SchedulerSettings;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Notify;
import io.postilion.transport.protocol.Ret;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

class QueueManagerTest {

    /** A map standing in for the spool: what was recorded, deferred, removed, in order. */
    static final class MapStore implements QueueStore, MessageSink {
        final Map<String, Map<Integer, RecipientResult>> records = new ConcurrentHashMap<>();
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<ReceivedMessage> accepted = new CopyOnWriteArrayList<>();
        final AtomicInteger ids = new AtomicInteger();

        @Override
        public Mono<Void> record(String queueId, int index, RecipientResult result) {
            // Where the record was begun: the delivering thread, or the queue manager's.
            recordedOn.put(queueId + " " + index, Thread.currentThread().getName());
            return Mono.fromRunnable(() -> {
                records.computeIfAbsent(queueId, k -> new ConcurrentHashMap<>()).put(index, result);
                events.add("record " + queueId + " " + index + " " + result.outcome().logWord());
            });
        }

        final Map<String, String> recordedOn = new ConcurrentHashMap<>();

        /** Messages the store must check before delivery, and what loading each gives (empty: it failed its check). */
        final Map<String, java.util.Optional<QueuedMessage>> unchecked = new ConcurrentHashMap<>();

        @Override
        public boolean loads() {
            return !unchecked.isEmpty();
        }

        @Override
        public boolean mustLoad(String queueId) {
            return unchecked.containsKey(queueId);
        }

        @Override
        public Mono<QueuedMessage> load(String queueId) {
            return Mono.defer(() -> {
                events.add("load " + queueId);
                return Mono.justOrEmpty(unchecked.remove(queueId)).flatMap(Mono::justOrEmpty);
            });
        }

        /** When set, moving a message to the deferred queue fails as a full disk would. */
        volatile boolean refuseDefers;

        @Override
        public Mono<Void> defer(String queueId) {
            if (refuseDefers) {
                return Mono.error(new java.io.IOException("No space left on device"));
            }
            return Mono.fromRunnable(() -> events.add("defer " + queueId));
        }

        @Override
        public Mono<Void> activate(String queueId) {
            return Mono.fromRunnable(() -> events.add("activate " + queueId));
        }

        @Override
        public Mono<Void> remove(String queueId) {
            return Mono.fromRunnable(() -> events.add("remove " + queueId));
        }

        @Override
        public Mono<Boolean> delete(String queueId) {
            return Mono.fromSupplier(() -> {
                events.add("delete " + queueId);
                return true;
            });
        }

        @Override
        public String newQueueId() {
            return "N" + ids.incrementAndGet();
        }

        /** When set, queueing a notice fails as a full disk would. */
        volatile boolean refuseNotices;

        @Override
        public Mono<Void> accept(ReceivedMessage message) {
            if (refuseNotices) {
                return Mono.error(new java.io.IOException("No space left on device"));
            }
            return Mono.fromRunnable(() -> {
                accepted.add(message);
                events.add("accept " + message.queueId());
            });
        }
    }

    private final FakeSmtpServer server = FakeSmtpServer.start();
    private final MapStore store = new MapStore();
    private QueueManager qmgr;

    @AfterEach
    void stop() {
        if (qmgr != null) {
            qmgr.close();
        }
        server.close();
    }

    private QueueManager start(String extraMainCf) {
        return start(extraMainCf, Schedulers.parallel());
    }

    private QueueManager start(String extraMainCf, reactor.core.scheduler.Scheduler timer) {
        Configuration cfg = ConfigurationLoader.fromText("myhostname = relay.test\nsmtp_helo_name = relay.test\n"
                + "inet_interfaces = 127.0.0.254\nrelayhost = [127.0.0.1]:" + server.port() + "\n"
                + "smtp_connect_timeout = 3s\nsmtp_helo_timeout = 3s\nsmtp_mail_timeout = 3s\nsmtp_rcpt_timeout = 3s\n"
                + "smtp_data_init_timeout = 3s\nsmtp_data_xfer_timeout = 3s\nsmtp_data_done_timeout = 3s\n" + extraMainCf,
                "main.cf", List.of());
        DeliveryAgent agent = DeliveryAgent.builder(cfg).build();
        DeliveryScheduler smtp = new DeliveryScheduler(SchedulerSettings.fromConfiguration(cfg.forSmtp()), agent);
        qmgr = new QueueManager(store, Routing.from(cfg), RetryPolicy.from(cfg), Map.of("smtp", smtp), store,
                NoticePolicy.from(cfg), "relay.test", Clock.systemUTC(), timer).start();
        return qmgr;
    }

    private static QueuedMessage message(String id, String sender, String... rcpts) {
        return message(id, sender, Instant.now(), rcpts);
    }

    private static QueuedMessage message(String id, String sender, Instant arrival, String... rcpts) {
        List<ReceivedMessage.Recipient> r = java.util.Arrays.stream(rcpts)
                .map(a -> new ReceivedMessage.Recipient(a, a.startsWith("notify") ? Set.of(Notify.SUCCESS) : Set.of(), ""))
                .toList();
        return QueueManager.fromReceived(new ReceivedMessage(id, sender, r, BodyType.SEVEN_BIT, false, "", Ret.NONE,
                "Subject: queued\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII),
                new ReceivedMessage.Client("127.0.0.1", "app.test", false, ""), arrival));
    }

    private static void await(BooleanSupplier done, String what) {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void aDeliveredMessageIsRecordedPerRecipientAndThenRemoved() {
        start("").submit(message("Q1", "a@client.test", "x@dest.test", "y@dest.test"));
        await(() -> store.events.contains("remove Q1"), "removal");
        assertEquals(Outcome.SENT, store.records.get("Q1").get(0).outcome());
        assertEquals(Outcome.SENT, store.records.get("Q1").get(1).outcome());
        assertTrue(store.events.indexOf("remove Q1") > store.events.indexOf("record Q1 1 sent"), store.events.toString());
        assertEquals(0, qmgr.inFlight());
    }

    @Test
    void aSentRecipientIsRecordedOnTheThreadThatDeliveredItBeforeTheReportMovesOnAndOnlyOnce() {
        start("").submit(message("Q9", "a@client.test", "x@dest.test", "y@dest.test"));
        await(() -> store.events.contains("remove Q9"), "removal");
        // Postfix's smtp(8) updates the queue file as soon as the server accepts: every thread hop
        // before the record widens the window in which a crash makes the next start send it again.
        for (int i = 0; i < 2; i++) {
            String thread = store.recordedOn.get("Q9 " + i);
            assertTrue(thread != null && !thread.startsWith("postilion-qmgr") && !thread.startsWith("postilion-scheduler"),
                    "recipient " + i + " was recorded on " + thread);
        }
        assertEquals(2, store.events.stream().filter(e -> e.startsWith("record Q9 ")).count(), store.events.toString());
        assertTrue(store.events.indexOf("remove Q9") > store.events.indexOf("record Q9 1 sent"), store.events.toString());
    }

    @Test
    void aMessageTheStoreMustCheckIsDeliveredAsLoadedNotAsHandedOverAndNotAtAllWhenItFailsItsCheck() {
        // After a restart the journal has read only the envelopes of older segments, unchecked.
        store.unchecked.put("Q6", java.util.Optional.of(message("Q6", "a@client.test", "checked@dest.test")));
        store.unchecked.put("Q7", java.util.Optional.empty());
        QueueManager q = start("");
        q.submit(message("Q6", "a@client.test", "unchecked@dest.test"));
        q.submit(message("Q7", "a@client.test", "damaged@dest.test"));
        await(() -> store.events.contains("remove Q6") && store.events.contains("load Q7"), "both loaded");
        await(() -> q.inFlight() == 0, "nothing left in flight");
        assertTrue(server.commands().stream().anyMatch(c -> c.contains("checked@dest.test")), server.commands().toString());
        assertTrue(server.commands().stream().noneMatch(c -> c.contains("unchecked@dest.test") || c.contains("damaged@dest.test")),
                server.commands().toString());
        assertTrue(store.events.indexOf("load Q6") < store.events.indexOf("record Q6 0 sent"), store.events.toString());
        assertTrue(store.events.stream().noneMatch(e -> e.contains("Q7") && !e.equals("load Q7")), store.events.toString());
    }

    @Test
    void aMessageThatCannotBeMovedToTheDeferredQueueIsStillRetriedAtItsTime() {
        AtomicInteger attempts = new AtomicInteger();
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> attempts.incrementAndGet() == 1 ? "451 4.2.0 try again"
                : "250 2.1.5 Ok");
        store.refuseDefers = true; // the disk is full when the attempt ends
        start("minimal_backoff_time = 1s\nmaximal_backoff_time = 1s\n").submit(message("Q8", "a@client.test", "x@dest.test"));
        await(() -> store.events.contains("remove Q8"), "the retry, without a restart");
        assertEquals(2, attempts.get());
        assertEquals(Outcome.SENT, store.records.get("Q8").get(0).outcome());
        assertEquals(0, qmgr.inFlight());
    }

    @Test
    void aBounceSendsTheSenderAFailureNoticeFromTheNullSender() {
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("gone@") ? "550 5.1.1 <gone@dest.test>: user unknown"
                : "250 2.1.5 Ok");
        start("").submit(message("Q2", "a@client.test", "x@dest.test", "gone@dest.test"));
        await(() -> store.events.contains("remove N1"), "the notice to be delivered too");
        assertEquals(Outcome.BOUNCED, store.records.get("Q2").get(1).outcome());
        ReceivedMessage notice = store.accepted.get(0);
        assertEquals("", notice.sender());
        assertEquals("a@client.test", notice.recipients().get(0).address());
        String text = new String(notice.content(), StandardCharsets.UTF_8);
        assertTrue(text.contains("Final-Recipient: rfc822; gone@dest.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"), text);
        assertTrue(server.commands().stream().anyMatch(c -> c.startsWith("MAIL FROM:<> ")), server.commands().toString());
    }

    @Test
    void aDeferredRecipientIsRetriedAfterTheBackoffAndOnlyIt() {
        AtomicInteger attempts = new AtomicInteger();
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("later@") && attempts.incrementAndGet() == 1
                ? "451 4.2.0 try again" : "250 2.1.5 Ok");
        start("minimal_backoff_time = 1s\nmaximal_backoff_time = 1s\n")
                .submit(message("Q3", "a@client.test", "now@dest.test", "later@dest.test"));
        await(() -> store.events.contains("remove Q3"), "the retry");
        List<String> ev = store.events;
        assertTrue(ev.indexOf("defer Q3") < ev.indexOf("activate Q3") && ev.indexOf("activate Q3") < ev.indexOf("remove Q3"), ev.toString());
        long nowRcpts = server.commands().stream().filter(c -> c.contains("now@dest.test")).count();
        assertEquals(1, nowRcpts, "the recipient already sent is not sent again: " + server.commands());
        assertEquals(2, attempts.get());
    }

    @Test
    void aFailedNoticeIsDiscardedWhenNotifyClassesNamesNeither2bounceNorBounce() {
        server.reply(FakeSmtpServer.Stage.RCPT, "550 5.1.1 no such user");
        String log = capturingLog(() -> {
            start("").submit(message("Q4", "", "gone@dest.test"));
            await(() -> store.events.contains("remove Q4"), "removal");
        });
        assertTrue(store.accepted.isEmpty(), "Postfix's default notify_classes sends no double bounce");
        assertTrue(log.contains("Q4: undeliverable notice discarded"), log);
    }

    @Test
    void aFailedNoticeGoesToThePostmasterAsADoubleBounceFromTheDoubleBounceSender() {
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("gone@") ? "550 5.1.1 no such user" : "250 2.1.5 Ok");
        start("notify_classes = 2bounce\n").submit(message("Q8", "", "gone@dest.test"));
        await(() -> store.events.contains("remove N1"), "the double bounce to be delivered");
        assertEquals(1, store.accepted.size(), store.accepted.toString());
        ReceivedMessage notice = store.accepted.get(0);
        assertEquals("double-bounce@relay.test", notice.sender());
        assertEquals("postmaster@relay.test", notice.recipients().get(0).address(), "2bounce_notice_recipient at $myorigin");
        String text = new String(notice.content(), StandardCharsets.UTF_8);
        assertTrue(text.contains("Subject: Postmaster Copy: Undelivered Mail\r\n"), text);
        assertTrue(text.contains("Final-Recipient: rfc822; gone@dest.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"), text);
        assertTrue(text.contains("Content-Type: message/rfc822\r\n\r\nSubject: queued\r\n\r\nbody\r\n"),
                "the undeliverable notice, whole: " + text);
        assertTrue(server.commands().contains("MAIL FROM:<double-bounce@relay.test>")
                || server.commands().stream().anyMatch(c -> c.startsWith("MAIL FROM:<double-bounce@relay.test>")),
                server.commands().toString());
        assertTrue(server.commands().stream().anyMatch(c -> c.startsWith("RCPT TO:<postmaster@relay.test>")),
                server.commands().toString());
    }

    @Test
    void aProtocolErrorQueuesTheSessionTranscriptForThePostmasterFromTheDoubleBounceSender_LOG9() {
        server.reply(FakeSmtpServer.Stage.RCPT, "500 5.5.2 what was that");
        start("notify_classes = protocol\n").submit(message("Q11", "app@client.test", "a@dest.test"));
        await(() -> store.accepted.stream().anyMatch(m -> m.sender().equals("double-bounce@relay.test")),
                "the transcript to be queued");
        ReceivedMessage notice = store.accepted.stream().filter(m -> m.sender().equals("double-bounce@relay.test"))
                .findFirst().orElseThrow();
        assertEquals("postmaster@relay.test", notice.recipients().get(0).address(), "error_notice_recipient at $myorigin");
        String text = new String(notice.content(), StandardCharsets.US_ASCII);
        assertTrue(text.contains("Subject: Postilion SMTP client: errors from 127.0.0.1[127.0.0.1]:"), text);
        assertTrue(text.contains(" Out: RCPT TO:<a@dest.test>\r\n"), text);
        assertTrue(text.contains(" In: 500 5.5.2 what was that\r\n"), text);
        assertTrue(text.contains("Auto-Submitted: auto-generated\r\n"), text);
    }

    @Test
    void theRelayForwardsTheSubmittingClientWithXforward_MISC4_XFER2() {
        server.capabilities("PIPELINING", "XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE");
        start("smtp_send_xforward_command = yes\n").submit(message("Q12", "app@client.test", "a@dest.test"));
        await(() -> store.events.contains("remove Q12"), "delivery");
        List<String> cmds = server.commands();
        int mail = cmds.indexOf("MAIL FROM:<app@client.test>");
        assertEquals(List.of("XFORWARD ADDR=127.0.0.1", "XFORWARD HELO=app.test IDENT=Q12 SOURCE=REMOTE"),
                cmds.subList(mail - 2, mail), cmds.toString());
    }

    @Test
    void bounceInNotifyClassesAlsoTurnsOnDoubleBouncesAndTheRecipientIsConfigurable() {
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("gone@") ? "550 5.1.1 no such user" : "250 2.1.5 Ok");
        start("notify_classes = bounce\n2bounce_notice_recipient = mailops@ops.test\n")
                .submit(message("Q9", "", "gone@dest.test"));
        await(() -> store.events.contains("remove N1"), "the double bounce to be delivered");
        assertEquals("mailops@ops.test", store.accepted.get(0).recipients().get(0).address());
    }

    @Test
    void aFailedDoubleBounceIsDiscardedWithALogLineNeverBouncedAgain() {
        server.reply(FakeSmtpServer.Stage.RCPT, "550 5.1.1 no such user");
        String log = capturingLog(() -> {
            start("notify_classes = 2bounce\n").submit(message("Q10", "double-bounce@relay.test", "postmaster@ops.test"));
            await(() -> store.events.contains("remove Q10"), "removal");
        });
        assertEquals(Outcome.BOUNCED, store.records.get("Q10").get(0).outcome());
        assertTrue(store.accepted.isEmpty(), "no triple bounce");
        assertTrue(log.contains("Q10: undeliverable postmaster notification discarded"), log);
    }

    @Test
    void mailToTheLocalDoubleBounceAddressIsDiscardedAsSentWithoutAConnection() {
        start("").submit(message("Q11", "", "double-bounce@relay.test"));
        await(() -> store.events.contains("remove Q11"), "removal");
        RecipientResult r = store.records.get("Q11").get(0);
        assertEquals(Outcome.SENT, r.outcome());
        assertEquals("undeliverable postmaster notification discarded", r.reason());
        assertEquals(0, server.sessions(), "nothing was delivered");
    }

    /** What the relay logs (slf4j-simple writes to System.err) while {@code body} runs. */
    private static String capturingLog(Runnable body) {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(saved);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void mailPastItsQueueLifetimeIsReturnedInsteadOfDeferred() {
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("a@client.test") ? "250 2.1.5 Ok" : "451 4.2.0 later");
        start("maximal_queue_lifetime = 0s\n").submit(message("Q5", "a@client.test", "slow@dest.test"));
        await(() -> store.events.contains("remove Q5"), "removal");
        RecipientResult r = store.records.get("Q5").get(0);
        assertEquals(Outcome.BOUNCED, r.outcome());
        assertTrue(r.reason().startsWith("message expired"), r.reason());
        assertEquals(1, store.accepted.size(), "the sender is told");
    }

    @Test
    void aSuccessNoticeGoesOutOnlyForNotifySuccess() {
        start("").submit(message("Q6", "a@client.test", "notify@dest.test", "plain@dest.test"));
        await(() -> store.events.contains("remove Q6") && store.accepted.size() == 1, "the notice");
        String text = new String(store.accepted.get(0).content(), StandardCharsets.UTF_8);
        assertTrue(text.contains("Subject: Successful Mail Delivery Report"), text);
        assertTrue(text.contains("Final-Recipient: rfc822; notify@dest.test") && !text.contains("plain@dest.test"), text);
    }

    @Test
    void oneDelayWarningGoesOutOnceMailIsOlderThanDelayWarningTime() {
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("a@client.test") ? "250 2.1.5 Ok" : "451 4.2.0 later");
        start("delay_warning_time = 1h\nminimal_backoff_time = 1s\nmaximal_backoff_time = 1s\n")
                .submit(message("Q7", "a@client.test", Instant.now().minus(Duration.ofHours(2)), "slow@dest.test"));
        await(() -> store.events.stream().filter(e -> e.equals("defer Q7")).count() >= 2, "two deferrals");
        assertEquals(1, store.accepted.size(), "one warning, not one per attempt");
        String text = new String(store.accepted.get(0).content(), StandardCharsets.UTF_8);
        assertTrue(text.contains("Subject: Delayed Mail (still being retried)") && text.contains("Action: delayed"), text);
    }

    @Test
    void messagesSubmittedFromManyThreadsAtOnceAreAllDelivered() throws Exception {
        QueueManager q = start("");
        int threads = 8;
        int each = 25;
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<Thread> submitters = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int base = t * each;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    q.submit(message("C" + (base + i), "a@client.test", "x" + (base + i) + "@dest.test"));
                }
            });
            th.start();
            submitters.add(th);
        }
        go.countDown();
        for (Thread th : submitters) {
            th.join(10_000);
        }
        await(() -> store.events.stream().filter(e -> e.startsWith("remove C")).count() == threads * each,
                "every message delivered and removed");
        assertEquals(threads * each, server.contents().size());
    }

    @Test
    void aBounceIsRecordedOnlyAfterItsNoticeIsQueued() {
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("gone@") ? "550 5.1.1 <gone@dest.test>: user unknown"
                : "250 2.1.5 Ok");
        start("").submit(message("B1", "a@client.test", "x@dest.test", "gone@dest.test"));
        await(() -> store.events.contains("remove B1"), "removal");
        List<String> ev = store.events;
        assertTrue(ev.indexOf("accept N1") >= 0 && ev.indexOf("accept N1") < ev.indexOf("record B1 1 bounced"),
                "the notice is queued before the bounce is final: " + ev);
    }

    @Test
    void aBounceWhoseNoticeCannotBeQueuedIsDeferredNotLost() {
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("gone@") ? "550 5.1.1 <gone@dest.test>: user unknown"
                : "250 2.1.5 Ok");
        store.refuseNotices = true;
        start("minimal_backoff_time = 1h\nmaximal_backoff_time = 1h\n")
                .submit(message("B2", "a@client.test", "x@dest.test", "gone@dest.test"));
        await(() -> store.events.contains("defer B2"), "the deferral");
        RecipientResult r = store.records.get("B2").get(1);
        assertEquals(Outcome.DEFERRED, r.outcome(), "the recipient stays queued, so its notice is owed still");
        assertEquals("bounce or trace service failure", r.reason());
        assertEquals("4.1.1", r.status().text());
        assertEquals(Outcome.SENT, store.records.get("B2").get(0).outcome());
        assertTrue(!store.events.contains("remove B2"), store.events.toString());
        assertEquals(1, qmgr.inFlight(), "waiting for its retry");
    }

    @Test
    void aRecipientGivenTwiceStaysTwoRecipientsByItsQueueIndex() {
        start("").submit(message("D1", "a@client.test", "x@dest.test", "x@dest.test", "y@dest.test"));
        await(() -> store.events.contains("remove D1"), "removal");
        assertEquals(Set.of(0, 1, 2), store.records.get("D1").keySet());
        store.records.get("D1").forEach((i, r) -> assertEquals(i, r.index(), "recorded under its own queue index"));
        long rcpts = server.commands().stream().filter(c -> c.startsWith("RCPT TO:<x@dest.test>")).count();
        assertEquals(2, rcpts, server.commands().toString());
    }

    @Test
    void theNoticeQuotesTheServersReplyAsReceivedAndNamesTheServer_RFC3464() {
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("gone@")
                ? "550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 Please check it."
                : "250 2.1.5 Ok");
        start("").submit(message("R1", "a@client.test", "gone@dest.test"));
        await(() -> store.events.contains("remove R1") && !store.accepted.isEmpty(), "the notice");
        String text = new String(store.accepted.get(0).content(), StandardCharsets.UTF_8).replace("\r\n ", " ");
        assertTrue(text.contains("Action: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; 127.0.0.1\r\n"), text);
        assertTrue(text.contains("Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not"
                + " exist. 550 5.1.1 Please check it.\r\n"), "the reply as received, folded at most: " + text);
        assertTrue(text.contains("<gone@dest.test>: host 127.0.0.1[127.0.0.1] said: 550-5.1.1 The email account"),
                "the human part keeps Postfix's words: " + text);
    }

    @Test
    void aLocalVerdictNamesNoRemoteMta_RFC3464() {
        // Nobody listens on the discard port: connection refused, this MTA's own finding.
        start("maximal_queue_lifetime = 0s\nrelayhost = [127.0.0.1]:9\n").submit(message("R2", "a@client.test", "x@dest.test"));
        await(() -> store.events.contains("remove R2") && !store.accepted.isEmpty(), "the expiry notice");
        String text = new String(store.accepted.get(0).content(), StandardCharsets.UTF_8);
        assertTrue(text.contains("Action: failed\r\n") && text.contains("Diagnostic-Code: X-Postilion; "), text);
        assertTrue(!text.contains("Remote-MTA:"), text);
    }

    /**
     * A scheduler that runs a task due now on the calling thread, as any scheduler may: a timer
     * armed with no wait (a flush) then fires before the code that armed it has gone on.
     */
    private static reactor.core.scheduler.Scheduler runsDueTasksAtOnce() {
        return new reactor.core.scheduler.Scheduler() {
            @Override
            public reactor.core.Disposable schedule(Runnable task) {
                task.run();
                return reactor.core.Disposables.disposed();
            }

            @Override
            public reactor.core.Disposable schedule(Runnable task, long delay, java.util.concurrent.TimeUnit unit) {
                return delay <= 0 ? schedule(task) : Schedulers.parallel().schedule(task, delay, unit);
            }

            @Override
            public Worker createWorker() {
                return Schedulers.parallel().createWorker();
            }
        };
    }

    @Test
    void aFlushWhoseTimerFiresAtOnceLeavesNoTimerBehindOnceTheMessageIsDelivered() {
        server.reply(FakeSmtpServer.Stage.GREETING, "421 4.3.2 not now");
        QueueManager q = start("minimal_backoff_time = 1h\nmaximal_backoff_time = 1h\n", runsDueTasksAtOnce());
        q.submit(message("F1", "a@client.test", "user@dest.test"));
        await(() -> store.events.contains("defer F1") && q.retryTimers() == 1, "the deferral and its hour-long timer");
        server.reply(FakeSmtpServer.Stage.GREETING, "220 fake ESMTP");
        assertEquals(1, q.flush());
        await(() -> store.events.contains("remove F1"), "the flushed message to be delivered");
        await(() -> q.delivering() == 0 && q.inFlight() == 0, "the attempt to end");
        assertEquals(0, q.retryTimers(), "the flush's timer fired and left; the hour-long one it replaced was disarmed");
        assertEquals(1, q.heldTasks(), "only the scheduler's subscription is held");
    }

    @Test
    void retriesAndFlushesLeaveNoTimerBehind() {
        server.reply(FakeSmtpServer.Stage.RCPT, (line, s) -> line.contains("a@client.test") ? "250 2.1.5 Ok" : "451 4.2.0 later");
        QueueManager q = start("minimal_backoff_time = 1h\nmaximal_backoff_time = 1h\n");
        q.submit(message("T1", "a@client.test", "slow@dest.test"));
        await(() -> store.events.contains("defer T1"), "the deferral");
        for (int i = 0; i < 200; i++) {
            q.flush();
            await(() -> q.retryTimers() == 1 || store.events.stream().filter(e -> e.equals("defer T1")).count() > 0,
                    "the message waiting again");
        }
        await(() -> q.delivering() == 0, "the last retry to end");
        assertTrue(q.retryTimers() <= 1, "one timer per deferred message at most: " + q.retryTimers());
        assertTrue(q.heldTasks() <= 2, "one scheduler subscription and one timer, not one per flush: " + q.heldTasks());
    }
}
