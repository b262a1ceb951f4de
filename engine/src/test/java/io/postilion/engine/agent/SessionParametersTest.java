package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.maillog.MailLog;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The session parameters of issue 18 that were accepted and ignored, now acted on: each test
 * builds the delivery agent from main.cf text, as the relay and the send command do, delivers to
 * scripted servers on loopback addresses, and looks at what went over the wire and into the mail
 * log. SESS-13: smtp_discard_ehlo_keyword_address_maps and its LMTP twin. SESS-18: the smtp_pix_*
 * parameters; the pause before the "." line runs on a virtual-time scheduler, so it is proven
 * by advancing time rather than by waiting for it. SESS-8 and SESS-15: a server that calls itself
 * by $myhostname, with loop detection on (servers on port 25 of 127.0.25.x). DATA-3: the notice
 * of the first long line broken, once per request.
 */
class SessionParametersTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PIX_BANNER = "220 ***************************";

    @TempDir
    Path dir;

    private final AgentTestBed bed = new AgentTestBed();

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private FakeSmtpServer server(String host) {
        return bed.server(host).capabilities("PIPELINING", "SIZE 10240000", "8BITMIME");
    }

    private static Configuration config(String... overrides) {
        return AgentTestBed.config(List.of(overrides));
    }

    private DeliveryAgent agent(DeliveryAgent.Builder builder) {
        return bed.agent(builder);
    }

    private static DeliveryRequest request(String queueId, String nexthop, Instant arrival) {
        return DeliveryRequest.builder(queueId, "s@client.test", nexthop)
                .content(ContentSource.of("Subject: pix\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").times(arrival, Instant.now()).build();
    }

    private static DeliveryReport deliver(DeliveryAgent agent, String queueId, String nexthop) {
        return agent.deliver(request(queueId, nexthop, Instant.now())).block(WAIT);
    }

    private static void assertSent(DeliveryReport r) {
        RecipientResult x = r.results().get(0);
        assertEquals(Outcome.SENT, x.outcome(), x.status().text() + " " + x.reason());
    }

    /** The MAIL FROM line the server saw. */
    private static String mailFrom(FakeSmtpServer s) {
        return s.commands().stream().filter(c -> c.startsWith("MAIL FROM:")).findFirst().orElseThrow();
    }

    /** Runs {@code body} with the mail log going to a file, and returns what was logged. */
    private String mailLog(Runnable body) throws Exception {
        Path file = dir.resolve("maillog");
        MailLog log = MailLog.open(file, "client", "postilion", Clock.systemUTC());
        MailLog.install(log);
        try {
            body.run();
        } finally {
            log.close();
        }
        return Files.readString(file);
    }

    // ------------------------------------------------------------------ SESS-13

    /**
     * 127.0.0.2 has an entry under its address, so PIPELINING is discarded there and SIZE (the
     * list's keyword) is kept; mx.dest.test (127.0.0.3) has an entry only under its host name,
     * which is no key, so the list applies there and SIZE goes.
     */
    @Test
    void theDiscardMapEntryForTheServersAddressWinsOverTheList_andAHostNameIsNoKey_SESS13() throws Exception {
        FakeSmtpServer mapped = server("127.0.0.2");
        FakeSmtpServer named = FakeSmtpServer.start("127.0.0.3", mapped.port())
                .capabilities("PIPELINING", "SIZE 10240000", "8BITMIME");
        bed.closed(named);
        TestDnsServer dns = TestDnsServer.start();
        bed.closed(dns);
        dns.mx("dest.test", 10, "mx.dest.test").a("mx.dest.test", "127.0.0.3");
        DeliveryAgent agent = agent(DeliveryAgent.builder(config("dns_servers=" + dns.dnsServers(),
                "smtp_discard_ehlo_keywords=size",
                "smtp_discard_ehlo_keyword_address_maps=inline:{ 127.0.0.2=pipelining, mx.dest.test=pipelining }")));

        assertSent(deliver(agent, "4DISC1", "[127.0.0.2]:" + mapped.port()));
        assertSent(deliver(agent, "4DISC2", "dest.test:" + mapped.port()));

        assertTrue(mailFrom(mapped).contains(" SIZE="), mailFrom(mapped));
        assertFalse(mailFrom(named).contains("SIZE="), mailFrom(named));
    }

    @Test
    void discardingIsLoggedUnlessTheListSaysSilentDiscard_SESS13() throws Exception {
        FakeSmtpServer loud = server("127.0.0.2");
        FakeSmtpServer quiet = server("127.0.0.3");
        DeliveryAgent agent = agent(DeliveryAgent.builder(config("smtp_discard_ehlo_keyword_address_maps=inline:{ "
                + "{ 127.0.0.2 = size pipelining }, { 127.0.0.3 = size, silent-discard } }")));

        String log = mailLog(() -> {
            assertSent(deliver(agent, "4DISC4", "[127.0.0.2]:" + loud.port()));
            assertSent(deliver(agent, "4DISC5", "[127.0.0.3]:" + quiet.port()));
        });

        assertEquals(1, log.lines().filter(l -> l.contains("discarding EHLO keywords:")).count(), log);
        assertTrue(log.contains("postilion/smtp[" + ProcessHandle.current().pid()
                + "]: discarding EHLO keywords: PIPELINING SIZE\n"), log);
        assertFalse(mailFrom(quiet).contains("SIZE="), "silent, but still discarded: " + mailFrom(quiet));
    }

    @Test
    void theLmtpTwinDiscardsLhloKeywordsPerServerAddress_SESS13_SESS14() {
        FakeSmtpServer lmtp = server("127.0.0.2").lmtp(true);
        DeliveryAgent agent = agent(DeliveryAgent.builder(config(
                "lmtp_discard_lhlo_keyword_address_maps=inline:{ 127.0.0.2=size }")).lmtp());

        assertSent(deliver(agent, "4DISC6", "inet:127.0.0.2:" + lmtp.port()));

        assertEquals("LHLO client.test", lmtp.commands().get(0));
        assertFalse(mailFrom(lmtp).contains("SIZE="), mailFrom(lmtp));
    }

    // ------------------------------------------------------------------ SESS-18

    @Test
    void aPixBannerWithTheDefaultsGetsHeloAndTheEnabledWorkaroundsAreLogged_SESS18() throws Exception {
        FakeSmtpServer s = server("127.0.0.2").reply(Stage.GREETING, PIX_BANNER);
        DeliveryAgent agent = agent(DeliveryAgent.builder(config()));

        String log = mailLog(() -> assertSent(deliver(agent, "4PIX1", "[127.0.0.2]:" + s.port())));

        assertEquals("HELO client.test", s.commands().get(0));
        // A message queued for less than smtp_pix_workaround_threshold_time (500s) is not delayed.
        assertTrue(log.contains(": 4PIX1: enabling PIX workarounds: disable_esmtp for 127.0.0.2[127.0.0.2]:"
                + s.port() + "\n"), log);
    }

    @Test
    void aWorkaroundListWithoutDisableEsmtpKeepsEhlo_SESS18() {
        FakeSmtpServer s = server("127.0.0.2").reply(Stage.GREETING, PIX_BANNER);
        DeliveryAgent agent = agent(DeliveryAgent.builder(config("smtp_pix_workarounds=DELAY_DOTCRLF, no_such_workaround")));

        assertSent(deliver(agent, "4PIX2", "[127.0.0.2]:" + s.port()));

        assertEquals("EHLO client.test", s.commands().get(0));
        assertTrue(mailFrom(s).contains(" SIZE="), "the EHLO keywords were used: " + mailFrom(s));
    }

    @Test
    void thePixMapEntryForTheServersAddressWinsOverTheList_SESS18() {
        FakeSmtpServer mapped = server("127.0.0.2").reply(Stage.GREETING, PIX_BANNER);
        FakeSmtpServer other = server("127.0.0.3").reply(Stage.GREETING, PIX_BANNER);
        DeliveryAgent agent = agent(DeliveryAgent.builder(config("smtp_pix_workarounds=disable_esmtp",
                "smtp_pix_workaround_maps=inline:{ 127.0.0.2=delay_dotcrlf }")));

        assertSent(deliver(agent, "4PIX3", "[127.0.0.2]:" + mapped.port()));
        assertSent(deliver(agent, "4PIX4", "[127.0.0.3]:" + other.port()));

        assertEquals("EHLO client.test", mapped.commands().get(0));
        assertEquals("HELO client.test", other.commands().get(0));
    }

    /**
     * delay_dotcrlf for a message older than the threshold: the content goes out, then nothing
     * until smtp_pix_workaround_delay_time has passed on the agent's timer, then the "." line.
     * The timer is virtual: the delivery cannot finish unless the test moves time on, and moving
     * it by less than the delay does not release the dot.
     */
    @Test
    void delayDotCrlfHoldsTheDotLineBackForTheDelayTime_SESS18() throws Exception {
        FakeSmtpServer s = server("127.0.0.2").reply(Stage.GREETING, PIX_BANNER);
        VirtualTimeScheduler timer = VirtualTimeScheduler.create();
        bed.closed(timer::dispose);
        DeliveryAgent agent = agent(DeliveryAgent.builder(config("smtp_pix_workaround_delay_time=7s")).timer(timer));
        Instant anHourAgo = Instant.now().minus(Duration.ofHours(1));

        CompletableFuture<DeliveryReport> done = agent.deliver(request("4PIX6", "[127.0.0.2]:" + s.port(), anHourAgo))
                .toFuture();

        awaitTrue(() -> received(s).contains("body\r\n"), "the content arrived");
        Thread.sleep(300); // room for a dot that should not come
        assertFalse(received(s).contains("\r\n.\r\n"), "the dot came before the delay: " + received(s));
        timer.advanceTimeBy(Duration.ofMillis(6_999));
        Thread.sleep(300);
        assertFalse(received(s).contains("\r\n.\r\n"), "the dot came before 7 seconds");
        assertFalse(done.isDone());

        timer.advanceTimeBy(Duration.ofMillis(1));

        assertSent(done.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(1, s.contents().size());
        assertTrue(received(s).contains("body\r\n.\r\n"), received(s));
    }

    /**
     * The threshold is the message's age at the greeting: a younger message is not held up. With
     * the default threshold (500s) this hour-old message would wait for virtual time that never
     * comes.
     */
    @Test
    void delayDotCrlfSparesAMessageYoungerThanTheThreshold_SESS18() {
        FakeSmtpServer s = server("127.0.0.2").reply(Stage.GREETING, PIX_BANNER);
        VirtualTimeScheduler timer = VirtualTimeScheduler.create();
        bed.closed(timer::dispose);
        DeliveryAgent agent = agent(DeliveryAgent.builder(config("smtp_pix_workaround_threshold_time=2h"))
                .timer(timer));
        Instant anHourAgo = Instant.now().minus(Duration.ofHours(1));

        DeliveryReport r = agent.deliver(request("4PIX7", "[127.0.0.2]:" + s.port(), anHourAgo)).block(WAIT);

        assertSent(r);
    }

    @Test
    void aZeroThresholdDelaysEvenAFirstAttempt_SESS18() throws Exception {
        FakeSmtpServer s = server("127.0.0.2").reply(Stage.GREETING, PIX_BANNER);
        VirtualTimeScheduler timer = VirtualTimeScheduler.create();
        bed.closed(timer::dispose);
        DeliveryAgent agent = agent(DeliveryAgent.builder(config("smtp_pix_workaround_threshold_time=0")).timer(timer));

        CompletableFuture<DeliveryReport> done = agent.deliver(request("4PIX8", "[127.0.0.2]:" + s.port(), Instant.now()))
                .toFuture();

        awaitTrue(() -> received(s).contains("body\r\n"), "the content arrived");
        Thread.sleep(300);
        assertFalse(done.isDone(), "no pause before the dot");
        timer.advanceTimeBy(Duration.ofSeconds(10)); // smtp_pix_workaround_delay_time's default
        assertSent(done.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS));
    }

    /**
     * LMTP reads the lmtp_ twins. disable_esmtp has nothing to do there (LMTP always says LHLO, as
     * in Postfix, where it only clears the ESMTP feature of SMTP), but delay_dotcrlf applies.
     */
    @Test
    void lmtpReadsThePixTwinsAndStillSaysLhlo_SESS18() throws Exception {
        FakeSmtpServer s = server("127.0.0.2").lmtp(true).reply(Stage.GREETING, PIX_BANNER);
        VirtualTimeScheduler timer = VirtualTimeScheduler.create();
        bed.closed(timer::dispose);
        DeliveryAgent agent = agent(DeliveryAgent.builder(config("lmtp_pix_workaround_threshold_time=0",
                "lmtp_pix_workaround_delay_time=3s")).lmtp().timer(timer));

        CompletableFuture<DeliveryReport> done = agent.deliver(request("4PIX9", "inet:127.0.0.2:" + s.port(), Instant.now()))
                .toFuture();

        awaitTrue(() -> received(s).contains("body\r\n"), "the content arrived");
        Thread.sleep(300);
        assertFalse(done.isDone(), "no pause before the dot");
        timer.advanceTimeBy(Duration.ofSeconds(3));
        assertSent(done.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("LHLO client.test", s.commands().get(0));
    }

    // ------------------------------------------------------------------ SESS-8, SESS-15: our own name

    /**
     * A server on port 25 of a loopback address of its own: loop detection runs only for SMTP to
     * port 25 (LOOKUP-2). Needs the privilege to listen there; skipped where that is missing.
     */
    private FakeSmtpServer onPort25(String host) {
        FakeSmtpServer s;
        try {
            s = FakeSmtpServer.start(host, 25);
        } catch (Exception e) {
            Assumptions.assumeTrue(false, "cannot listen on " + host + ":25 here: " + e);
            return null;
        }
        bed.closed(s);
        return s;
    }

    /** MX hosts mx1.. of dest.test at the given addresses, preferences 10, 20, ...; the agent's configuration. */
    private Configuration withMxHosts(String... addresses) throws Exception {
        TestDnsServer dns = TestDnsServer.start();
        bed.closed(dns);
        for (int i = 0; i < addresses.length; i++) {
            dns.mx("dest.test", 10 * (i + 1), "mx" + (i + 1) + ".dest.test").a("mx" + (i + 1) + ".dest.test", addresses[i]);
        }
        return config("dns_servers=" + dns.dnsServers());
    }

    @Test
    void aGreetingWithOurOwnNameIsOnlyWarnedAbout_SESS8() throws Exception {
        FakeSmtpServer mx = onPort25("127.0.25.2").reply(Stage.GREETING, "220 client.test ESMTP");
        FakeSmtpServer offPort25 = server("127.0.0.2").reply(Stage.GREETING, "220 client.test ESMTP");
        DeliveryAgent agent = agent(DeliveryAgent.builder(withMxHosts("127.0.25.2")));

        String log = mailLog(() -> {
            assertSent(deliver(agent, "4LOOP1", "dest.test"));
            assertSent(deliver(agent, "4LOOP2", "[127.0.0.2]:" + offPort25.port()));
        });

        assertEquals(1, mx.contents().size());
        assertTrue(log.contains("]: warning: host mx1.dest.test[127.0.25.2]:25 greeted me with my own hostname client.test\n"),
                log);
        assertEquals(1, log.lines().filter(l -> l.contains("greeted me")).count(), "only with loop detection: " + log);
    }

    @Test
    void anEhloReplyWithOurOwnNameAtTheBestMxBounces_SESS15() throws Exception {
        FakeSmtpServer mx1 = onPort25("127.0.25.2").reply(Stage.EHLO, "250-client.test\r\n250 PIPELINING");
        FakeSmtpServer mx2 = onPort25("127.0.25.3");
        DeliveryAgent agent = agent(DeliveryAgent.builder(withMxHosts("127.0.25.2", "127.0.25.3")));

        String log = mailLog(() -> {
            RecipientResult x = deliver(agent, "4LOOP3", "dest.test").results().get(0);
            assertEquals(Outcome.BOUNCED, x.outcome(), x.reason());
            assertEquals("5.4.6", x.status().text());
            assertEquals("mail for dest.test loops back to myself", x.reason());
        });

        assertTrue(log.contains("]: warning: host mx1.dest.test[127.0.25.2]:25 replied to HELO/EHLO with my own hostname "
                + "client.test\n"), log);
        assertEquals(0, mx1.contents().size());
        assertEquals(0, mx2.sessions(), "a bounce: no other server is tried");
    }

    @Test
    void anEhloReplyWithOurOwnNameAtABackupMxIsSoftAndTheNextMxIsTried_SESS15() throws Exception {
        onPort25("127.0.25.2").reply(Stage.GREETING, "421 4.3.2 busy");
        FakeSmtpServer mx2 = onPort25("127.0.25.3").reply(Stage.EHLO, "250-CLIENT.TEST\r\n250 PIPELINING");
        FakeSmtpServer mx3 = onPort25("127.0.25.4");
        DeliveryAgent agent = agent(DeliveryAgent.builder(withMxHosts("127.0.25.2", "127.0.25.3", "127.0.25.4")));

        DeliveryReport r = deliver(agent, "4LOOP4", "dest.test");

        assertSent(r);
        assertEquals("mx3.dest.test[127.0.25.4]:25", r.results().get(0).relay());
        assertEquals(0, mx2.contents().size());
        assertTrue(mx2.commands().contains("QUIT"), mx2.commands().toString());
        assertEquals(1, mx3.contents().size());
    }

    // ------------------------------------------------------------------ DATA-3: the line-break notice

    /** Postfix logs the first break of a request, not one per server or per line. */
    @Test
    void theFirstLongLineBrokenInARequestIsLoggedOnce_DATA3() throws Exception {
        FakeSmtpServer mx1 = server("127.0.0.2").reply(Stage.DOT, "451 4.3.0 try later");
        FakeSmtpServer mx2 = FakeSmtpServer.start("127.0.0.3", mx1.port());
        bed.closed(mx2);
        TestDnsServer dns = TestDnsServer.start();
        bed.closed(dns);
        dns.mx("dest.test", 10, "mx1.dest.test").a("mx1.dest.test", "127.0.0.2")
                .mx("dest.test", 20, "mx2.dest.test").a("mx2.dest.test", "127.0.0.3");
        DeliveryAgent agent = agent(DeliveryAgent.builder(config("dns_servers=" + dns.dnsServers(),
                "smtp_line_length_limit=20")));
        String line = "x".repeat(50);
        DeliveryRequest req = DeliveryRequest.builder("4LINE1", "s@client.test", "dest.test:" + mx1.port())
                .content(ContentSource.of(("Subject: long\r\n\r\n" + line + "\r\n" + line + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build();

        String log = mailLog(() -> assertSent(agent.deliver(req).block(WAIT)));

        for (FakeSmtpServer s : List.of(mx1, mx2)) {
            assertTrue(new String(s.contents().get(0), StandardCharsets.US_ASCII).contains("x".repeat(20) + "\r\n x"));
        }
        assertEquals(1, log.lines().filter(l -> l.contains("breaking line")).count(), log);
        assertTrue(log.contains(": 4LINE1: breaking line > 20 bytes with <CR><LF>SPACE\n"), log);
    }

    /** Everything the server read, as text. */
    private static String received(FakeSmtpServer s) {
        StringBuilder sb = new StringBuilder();
        for (byte[] b : s.reads()) {
            sb.append(new String(b, StandardCharsets.ISO_8859_1));
        }
        return sb.toString();
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(10);
        }
    }
}
