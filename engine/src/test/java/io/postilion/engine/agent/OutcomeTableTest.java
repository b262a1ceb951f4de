package io.postilion.engine.agent;

import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.Outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.LookupSettings;
import io.postilion.dns.NextHopResolver;
import io.postilion.dns.SelfAddresses;
import io.postilion.dns.destination.DeliveryProtocol;
import io.postilion.dns.destination.DestinationParser;
import io.postilion.dns.lookup.AsyncDnsResolver;
import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.session.SessionSettings;
import io.postilion.transport.session.Timeouts;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The outcome table: stage (greeting, EHLO/HELO/LHLO, MAIL, RCPT, DATA, end of data; SMTP and
 * LMTP; with and without PIPELINING where it changes the wire) x reply class (2xx, 4xx, 5xx, 421,
 * a timeout or a lost connection at that stage) x settings (final or non-final server,
 * soft_bounce, smtp_skip_5xx_greeting), each cell checked against scripted servers for every
 * recipient's outcome, DSN status, reason text (Postfix's words), the server that decided it, what
 * the next server was then given, and whether the destination is throttled (REPLY-12).
 *
 * <p>Topology: one server on 127.0.0.2 is the final server; with two, 127.0.0.2 is the first item
 * of a two-item destination list (non-final) and 127.0.0.3 the final server. Recipients are
 * a@, b@ (and c@) dest.test, so that a recipient-level refusal of one and acceptance of the other
 * tell recipient-level from message-level failures (XFER-31).
 *
 * <p>Rows that pin a point where the agent once differed from Postfix are kept in their own
 * sources at the end of the class, each method's javadoc citing the Postfix code. Where such a
 * point touches only one field of a row in the main table, that row leaves the field out (a null
 * reason, {@link #ANY_RELAY}) and the row of its own checks it.
 */
class OutcomeTableTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Stage limit in rows that exercise a timer (CLARIFICATIONS 21: 1-3 s). */
    private static final Duration SHORT = Duration.ofSeconds(1);
    /** How long a "silent" server waits before answering in a timer row: well past {@link #SHORT}. */
    private static final Duration SILENCE = Duration.ofMillis(2500);
    /** Stage limit in every other row: generous, so that a loaded machine does not turn a row into a timeout. */
    private static final Duration NORMAL = Duration.ofSeconds(10);

    private static final String H1 = "127.0.0.2[127.0.0.2]";
    private static final String H2 = "127.0.0.3[127.0.0.3]";
    private static final String QUEUED = "250 2.0.0 Ok: queued as FAKE1";
    private static final String DOT_DOING = "sending end of data -- message may be sent more than once";
    private static final byte[] CONTENT = "Subject: table\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
    /** {@link Expect#by()} for "relay= not compared". */
    private static final int ANY_RELAY = -1;

    private final List<FakeSmtpServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        for (FakeSmtpServer s : servers) {
            try {
                s.close();
            } catch (java.util.concurrent.RejectedExecutionException closedByTheRow) {
                // refusing() closed it already
            }
        }
    }

    // ================================================================== the harness

    /**
     * What one recipient must end as. {@code by} is the server (1 or 2) whose session decided it,
     * 0 for relay=none (no session existed), {@link #ANY_RELAY} for "not compared".
     * A null reason is not compared: used only for outcome rows whose wording is a known discrepancy
     * covered by a disabled row below.
     */
    record Expect(Outcome outcome, String dsn, String reason, int by) {
    }

    /**
     * One cell of the table.
     *
     * @param nextRcpts the recipients the final server (127.0.0.3) was given in RCPT TO, in order;
     *     null when it must never have been contacted (two-server rows only)
     * @param firstVerbs when not null, the command verbs the first server saw, in order (the
     *     content shows as {@code <content>}, a lone "." as {@code .}); a trailing QUIT is ignored,
     *     because the client does not wait for its reply
     */
    record Row(String name, boolean lmtp, boolean twoServers, boolean pipelining, boolean softBounce, boolean skip5xx,
            boolean timers, Consumer<FakeSmtpServer> first, Consumer<FakeSmtpServer> second, List<String> rcpts,
            List<Expect> expect, boolean throttle, List<String> nextRcpts, List<String> firstVerbs) {

        @Override
        public String toString() {
            return name;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("greeting")
    void greetingStage(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hello")
    void helloStage(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mail")
    void mailStage(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rcpt")
    void rcptStage(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("data")
    void dataStage(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("endOfData")
    void endOfDataStage(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lmtp")
    void lmtpStages(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("connectAndSize")
    void connectAndSizeCheck(Row row) {
        check(row);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("throttling")
    void throttlingAcrossServers(Row row) {
        check(row);
    }

    private void check(Row row) {
        FakeSmtpServer first = FakeSmtpServer.start("127.0.0.2", 0);
        servers.add(first);
        int port = first.port();
        FakeSmtpServer second = null;
        if (row.twoServers()) {
            second = FakeSmtpServer.start("127.0.0.3", port);
            servers.add(second);
        }
        for (FakeSmtpServer s : servers) {
            s.lmtp(row.lmtp());
            if (!row.pipelining()) {
                s.capabilities("8BITMIME", "ENHANCEDSTATUSCODES");
            }
        }
        row.first().accept(first);
        if (second != null) {
            row.second().accept(second);
        }

        DeliveryReport report = deliver(row, nexthop(row, port));
        String context = row.name() + "\n  report: " + report + "\n  first: " + first.transcript()
                + (second == null ? "" : "\n  second: " + second.transcript());

        assertEquals(row.rcpts().size(), report.results().size(), "one result per recipient\n" + context);
        for (int i = 0; i < row.rcpts().size(); i++) {
            RecipientResult r = report.results().get(i);
            Expect e = row.expect().get(i);
            String who = r.recipient().address();
            assertEquals(row.rcpts().get(i), who, "request order\n" + context);
            assertEquals(e.outcome(), r.outcome(), who + ": outcome\n" + context);
            assertEquals(e.dsn(), r.status().text(), who + ": DSN status\n" + context);
            if (e.reason() != null) { // null only where the wording is checked by a row of its own
                assertEquals(e.reason().replace("{port}", String.valueOf(port)), r.reason(), who + ": reason\n" + context);
            }
            if (e.by() != ANY_RELAY) { // ANY_RELAY only where relay= is checked by a row of its own
                assertEquals(relay(e.by(), port), r.relay(), who + ": the server that decided\n" + context);
            }
            String action = switch (e.outcome()) { // LOG-1, REPLY-14/15: spelled out, not taken from Outcome
                case SENT -> "relayed";
                case DEFERRED, SOFTBOUNCE -> "delayed";
                case BOUNCED -> "failed";
                case DELIVERABLE, UNDELIVERABLE, UNDELIVERABLE_NOT_CACHED -> throw new AssertionError("no probes in this table");
            };
            assertEquals(action, r.action().word(), who + ": DSN action\n" + context);
        }
        assertEquals(row.throttle(), report.throttle(), "throttle (REPLY-12)\n" + context);
        if (second != null) {
            if (row.nextRcpts() == null) {
                assertEquals(0, second.sessions(), "the final server must not have been tried\n" + context);
            } else {
                assertTrue(second.sessions() > 0, "the final server must have been tried\n" + context);
                assertEquals(row.nextRcpts(), rcptsSeen(second), "what the final server was given\n" + context);
            }
        }
        if (row.firstVerbs() != null) {
            assertEquals(row.firstVerbs(), verbs(first), "the first server's commands\n" + context);
        }
    }

    private static String relay(int by, int port) {
        return switch (by) {
            case 1 -> H1 + ":" + port;
            case 2 -> H2 + ":" + port;
            default -> "none";
        };
    }

    private static String nexthop(Row row, int port) {
        if (row.lmtp()) {
            return "inet:127.0.0.2:" + port + (row.twoServers() ? ", [127.0.0.3]:" + port : "");
        }
        return "[127.0.0.2]:" + port + (row.twoServers() ? ", [127.0.0.3]:" + port : "");
    }

    private DeliveryReport deliver(Row row, String nexthop) {
        SessionSettings session = (row.lmtp() ? SessionSettings.lmtp("client.test") : SessionSettings.smtp("client.test"))
                .withTimeouts(Timeouts.all(row.timers() ? SHORT : NORMAL)).withTls(TlsLevel.NONE, false);
        AgentSettings settings = AgentSettings.builder(session, "client.test").mxSessionLimit(0)
                .softBounce(row.softBounce()).skip5xxGreeting(row.skip5xx()).build();
        LookupSettings lookup = LookupSettings.defaults(row.lmtp() ? DeliveryProtocol.LMTP : DeliveryProtocol.SMTP)
                .self(SelfAddresses.of("127.0.0.254", "")).inetProtocols(true, false).build();
        AsyncDnsResolver resolver = AsyncDnsResolver.create(DnsResolverConfig.parse("127.0.0.1:9", Duration.ofSeconds(1), 1));
        DeliveryAgent agent = new DeliveryAgent(settings, new NextHopResolver(resolver, lookup),
                row.lmtp() ? DestinationParser.lmtp() : DestinationParser.smtp(), Clock.systemUTC());
        DeliveryRequest.Builder b = DeliveryRequest.builder("4TABLE1", "s@client.test", nexthop)
                .content(ContentSource.of(CONTENT));
        row.rcpts().forEach(b::recipient);
        try {
            DeliveryReport report = agent.deliver(b.build()).block(WAIT);
            assertNotNull(report, row.name());
            return report;
        } finally {
            agent.close();
        }
    }

    private static List<String> rcptsSeen(FakeSmtpServer s) {
        return s.commands().stream().filter(c -> c.startsWith("RCPT TO:<"))
                .map(c -> c.substring("RCPT TO:<".length(), c.indexOf('>'))).toList();
    }

    private static List<String> verbs(FakeSmtpServer s) {
        List<String> out = new ArrayList<>();
        for (String c : s.commands()) {
            if (c.startsWith("<content")) {
                out.add(c.equals("<content 3 bytes>") ? "." : "<content>");
            } else {
                out.add(c.split(" ", 2)[0]);
            }
        }
        if (!out.isEmpty() && out.get(out.size() - 1).equals("QUIT")) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    // ------------------------------------------------------------------ server scripts

    private static Consumer<FakeSmtpServer> say(Stage stage, String reply) {
        return s -> s.reply(stage, reply);
    }

    /** The reply, then the server hangs up (a 421 that means it). */
    private static Consumer<FakeSmtpServer> sayAndHangUp(Stage stage, String reply) {
        return s -> s.reply(stage, reply).dropAfter(stage);
    }

    /** The connection is lost while the client waits for this stage's reply. */
    private static Consumer<FakeSmtpServer> lost(Stage stage) {
        return s -> s.reply(stage, (String) null).dropAfter(stage);
    }

    /** Nothing listens: the connection is refused. */
    private static Consumer<FakeSmtpServer> refusing() {
        return FakeSmtpServer::close;
    }

    /** The server answers this stage only long after the client's limit. */
    private static Consumer<FakeSmtpServer> silent(Stage stage) {
        return s -> s.delay(stage, SILENCE);
    }

    /** RCPT replies by recipient local part ("a", "b", "c"); a null reply is the default 250. */
    private static Consumer<FakeSmtpServer> rcpt(String a, String b, String c) {
        return s -> s.reply(Stage.RCPT, (line, x) -> {
            String r = line.contains("<a@") ? a : line.contains("<b@") ? b : line.contains("<c@") ? c : null;
            return r != null ? r : "250 2.1.5 Ok";
        });
    }

    /** LMTP end-of-data replies by recipient local part; the default for null is 250; "-" is no reply at all. */
    private static Consumer<FakeSmtpServer> lmtpDot(String a, String b, String c) {
        return s -> s.lmtpDotReply((r, i) -> {
            String x = r.startsWith("a@") ? a : r.startsWith("b@") ? b : r.startsWith("c@") ? c : null;
            return x == null ? lmtpOk(r) : x.equals("-") ? null : x;
        });
    }

    private static String lmtpOk(String rcpt) {
        return "250 2.0.0 <" + rcpt + "> delivered";
    }

    @SafeVarargs
    private static Consumer<FakeSmtpServer> all(Consumer<FakeSmtpServer>... scripts) {
        return s -> {
            for (Consumer<FakeSmtpServer> c : scripts) {
                c.accept(s);
            }
        };
    }

    // ------------------------------------------------------------------ row builder

    private static T row(String name) {
        return new T(name);
    }

    /** Builds one {@link Row}; expectations are added per recipient in request order. */
    private static final class T {
        private final String name;
        private boolean lmtp;
        private boolean two;
        private boolean pipelining = true;
        private boolean softBounce;
        private boolean skip5xx = true;
        private boolean timers;
        private Consumer<FakeSmtpServer> first = s -> { };
        private Consumer<FakeSmtpServer> second = s -> { };
        private List<String> rcpts = List.of("a@dest.test", "b@dest.test");
        private final List<Expect> expect = new ArrayList<>();
        private boolean throttle;
        private List<String> next;
        private List<String> verbs;

        T(String name) {
            this.name = name;
        }

        T lmtp() {
            lmtp = true;
            return this;
        }

        /** The first server is not final; 127.0.0.3 follows as the final server. */
        T two() {
            two = true;
            return this;
        }

        T noPipelining() {
            pipelining = false;
            return this;
        }

        T softBounce() {
            softBounce = true;
            return this;
        }

        T noSkip5xx() {
            skip5xx = false;
            return this;
        }

        /** Short stage limits: the row exercises a timer. */
        T timers() {
            timers = true;
            return this;
        }

        T first(Consumer<FakeSmtpServer> script) {
            first = script;
            return this;
        }

        T second(Consumer<FakeSmtpServer> script) {
            second = script;
            return this;
        }

        T three() {
            rcpts = List.of("a@dest.test", "b@dest.test", "c@dest.test");
            return this;
        }

        T sent(int by) {
            String rcpt = rcpts.get(expect.size());
            expect.add(new Expect(Outcome.SENT, "2.0.0", lmtp ? lmtpOk(rcpt) : QUEUED, by));
            return this;
        }

        T sent(int by, String reply, String dsn) {
            expect.add(new Expect(Outcome.SENT, dsn, reply, by));
            return this;
        }

        T deferred(String dsn, String reason, int by) {
            expect.add(new Expect(Outcome.DEFERRED, dsn, text(reason), by));
            return this;
        }

        T bounced(String dsn, String reason, int by) {
            expect.add(new Expect(Outcome.BOUNCED, dsn, text(reason), by));
            return this;
        }

        T softBounced(String dsn, String reason, int by) {
            expect.add(new Expect(Outcome.SOFTBOUNCE, dsn, text(reason), by));
            return this;
        }

        /** The same expectation for every recipient not yet given one. */
        T allDeferred(String dsn, String reason, int by) {
            while (expect.size() < rcpts.size()) {
                deferred(dsn, reason, by);
            }
            return this;
        }

        T allBounced(String dsn, String reason, int by) {
            while (expect.size() < rcpts.size()) {
                bounced(dsn, reason, by);
            }
            return this;
        }

        T allSoftBounced(String dsn, String reason, int by) {
            while (expect.size() < rcpts.size()) {
                softBounced(dsn, reason, by);
            }
            return this;
        }

        T allSent(int by) {
            while (expect.size() < rcpts.size()) {
                sent(by);
            }
            return this;
        }

        T throttled() {
            throttle = true;
            return this;
        }

        /** The local parts the final server is given in RCPT TO; none at all means it was contacted but got no RCPT. */
        T next(String... localParts) {
            List<String> l = new ArrayList<>();
            for (String p : localParts) {
                l.add(p + "@dest.test");
            }
            next = l;
            return this;
        }

        T verbs(String... v) {
            verbs = List.of(v);
            return this;
        }

        Row done() {
            if (expect.size() != rcpts.size()) {
                throw new IllegalStateException(name + ": " + expect.size() + " expectations for " + rcpts.size() + " recipients");
            }
            if (!two && next != null) {
                throw new IllegalStateException(name + ": next() needs two servers");
            }
            return new Row(name, lmtp, two, pipelining, softBounce, skip5xx, timers, first, second, rcpts, List.copyOf(expect),
                    throttle, next, verbs);
        }

        /** "{1}" and "{2}" stand for the first and the final server's HOST[ADDR]. */
        private static String text(String reason) {
            return reason == null ? null : reason.replace("{1}", H1).replace("{2}", H2);
        }
    }

    private static String said(String server, String reply, String command) {
        return "host " + server + " said: " + reply + " (in reply to " + command + " command)";
    }

    private static String refused(String server, String reply) {
        return "host " + server + " refused to talk to me: " + reply;
    }

    private static String lostWhile(String server, String doing) {
        return "lost connection with " + server + " while " + doing;
    }

    private static String timedOut(String server, String doing) {
        return "conversation with " + server + " timed out while " + doing;
    }

    // ================================================================== the table

    static Stream<Row> greeting() {
        return Stream.of(
                row("REPLY-15 all 2xx: every recipient is sent, 2.0.0, with the end-of-data reply as reason")
                        .allSent(1).verbs("EHLO", "MAIL", "RCPT", "RCPT", "DATA", "<content>").done(),
                row("REPLY-15 all 2xx without PIPELINING: lock-step, every recipient sent")
                        .noPipelining().allSent(1).verbs("EHLO", "MAIL", "RCPT", "RCPT", "DATA", "<content>").done(),
                row("REPLY-9 greeting 421 at a non-final server keeps every recipient; the final server delivers both")
                        .two().first(say(Stage.GREETING, "421 4.3.2 busy")).allSent(2).next("a", "b").done(),
                row("REPLY-9 REPLY-12 greeting 421 at the final server defers every recipient 4.3.2 and throttles")
                        .first(say(Stage.GREETING, "421 4.3.2 busy"))
                        .allDeferred("4.3.2", refused("{1}", "421 4.3.2 busy"), 1).throttled().done(),
                row("SESS-7 greeting 554 with smtp_skip_5xx_greeting=yes counts as 4xx: deferred 4.7.1 at the final server, throttled")
                        .first(say(Stage.GREETING, "554 5.7.1 go away"))
                        .allDeferred("4.7.1", refused("{1}", "554 5.7.1 go away"), 1).throttled().done(),
                row("SESS-7 greeting 554 with smtp_skip_5xx_greeting=yes at a non-final server: the final server delivers")
                        .two().first(say(Stage.GREETING, "554 5.7.1 go away")).allSent(2).next("a", "b").done(),
                row("SESS-7 REPLY-9 greeting 554 with smtp_skip_5xx_greeting=no bounces everyone 5.7.1 at a non-final server; no other server is tried")
                        .two().noSkip5xx().first(say(Stage.GREETING, "554 5.7.1 go away"))
                        .allBounced("5.7.1", refused("{1}", "554 5.7.1 go away"), 1).done(),
                row("REPLY-14 greeting 554, skip_5xx=no, soft_bounce=yes at a non-final server: kept, the final server delivers")
                        .two().noSkip5xx().softBounce().first(say(Stage.GREETING, "554 5.7.1 go away"))
                        .allSent(2).next("a", "b").done(),
                row("REPLY-14 greeting 554, skip_5xx=no, soft_bounce=yes at the final server: SOFTBOUNCE 4.7.1, throttled")
                        .noSkip5xx().softBounce().first(say(Stage.GREETING, "554 5.7.1 go away"))
                        .allSoftBounced("4.7.1", refused("{1}", "554 5.7.1 go away"), 1).throttled().done(),
                row("TIME-6 REPLY-12 greeting timeout at the final server defers 4.4.2 and throttles")
                        .timers().first(silent(Stage.GREETING))
                        .allDeferred("4.4.2", timedOut("{1}", "receiving the initial server greeting"), 1).throttled().done(),
                row("TIME-6 connection lost before the greeting at a non-final server: kept, the final server delivers")
                        .two().first(lost(Stage.GREETING)).allSent(2).next("a", "b").done(),
                row("TIME-6 REPLY-12 connection lost before the greeting at the final server defers 4.4.2 and throttles")
                        .first(lost(Stage.GREETING))
                        .allDeferred("4.4.2", lostWhile("{1}", "receiving the initial server greeting"), 1).throttled().done());
    }

    static Stream<Row> hello() {
        return Stream.of(
                row("SESS-11 EHLO 421 at a non-final server is a site failure: kept, the final server delivers")
                        .two().first(say(Stage.EHLO, "421 4.3.2 shutting down")).allSent(2).next("a", "b").done(),
                row("SESS-11 EHLO 550 falls back to HELO; delivered")
                        .first(say(Stage.EHLO, "550 5.5.1 no ESMTP here")).allSent(1)
                        .verbs("EHLO", "HELO", "MAIL", "RCPT", "RCPT", "DATA", "<content>").done(),
                row("SESS-11 HELO 451 after EHLO 502 at a non-final server: kept, the final server delivers")
                        .two().first(all(say(Stage.EHLO, "502 5.5.2 unrecognized"), say(Stage.HELO, "451 4.3.0 try later")))
                        .allSent(2).next("a", "b").done(),
                row("SESS-7 REPLY-9 HELO 550 at a non-final server bounces everyone (smtp_skip_5xx_greeting is for the greeting only)")
                        .two().first(all(say(Stage.EHLO, "502 5.5.2 unrecognized"), say(Stage.HELO, "550 5.7.1 go away")))
                        .allBounced("5.7.1", null, 1).done(),
                row("REPLY-14 HELO 550 with soft_bounce at a non-final server: kept, the final server delivers")
                        .two().softBounce()
                        .first(all(say(Stage.EHLO, "502 5.5.2 unrecognized"), say(Stage.HELO, "550 5.7.1 go away")))
                        .allSent(2).next("a", "b").done(),
                row("TIME-6 REPLY-12 EHLO timeout at the final server defers 4.4.2 and throttles")
                        .timers().first(silent(Stage.EHLO))
                        .allDeferred("4.4.2", timedOut("{1}", "performing the EHLO handshake"), 1).throttled().done(),
                row("TIME-6 connection lost at EHLO at a non-final server: kept, the final server delivers")
                        .two().first(lost(Stage.EHLO)).allSent(2).next("a", "b").done(),
                row("TIME-6 REPLY-12 connection lost at EHLO at the final server defers 4.4.2 and throttles")
                        .first(lost(Stage.EHLO))
                        .allDeferred("4.4.2", lostWhile("{1}", "performing the EHLO handshake"), 1).throttled().done());
    }

    static Stream<Row> mail() {
        return Stream.of(
                row("REPLY-10 MAIL 451 at a non-final server keeps every recipient; the final server delivers, no throttle")
                        .two().first(say(Stage.MAIL, "451 4.3.0 try later")).allSent(2).next("a", "b").done(),
                row("REPLY-10 XFER-26 MAIL 451 at the final server defers both 4.3.0, not throttled; pipelined RCPTs ignored, RSET")
                        .first(say(Stage.MAIL, "451 4.3.0 try later"))
                        .allDeferred("4.3.0", said("{1}", "451 4.3.0 try later", "MAIL FROM"), 1)
                        .verbs("EHLO", "MAIL", "RCPT", "RCPT", "DATA", "RSET").done(),
                row("XFER-21 XFER-26 MAIL 451 without PIPELINING at the final server: deferred 4.3.0, no RCPT is sent, RSET")
                        .noPipelining().first(say(Stage.MAIL, "451 4.3.0 try later"))
                        .allDeferred("4.3.0", said("{1}", "451 4.3.0 try later", "MAIL FROM"), 1)
                        .verbs("EHLO", "MAIL", "RSET").done(),
                row("REPLY-10 MAIL 553 at a non-final server bounces every recipient 5.7.1; no other server is tried")
                        .two().first(say(Stage.MAIL, "553 5.7.1 sender rejected"))
                        .allBounced("5.7.1", said("{1}", "553 5.7.1 sender rejected", "MAIL FROM"), 1).done(),
                row("REPLY-14 MAIL 553 with soft_bounce: kept at the non-final server, SOFTBOUNCE 4.7.1 at the final one, no throttle")
                        .two().softBounce().first(say(Stage.MAIL, "553 5.7.1 sender rejected"))
                        .second(say(Stage.MAIL, "553 5.7.1 sender rejected"))
                        .allSoftBounced("4.7.1", said("{2}", "553 5.7.1 sender rejected", "MAIL FROM"), 2).next("a", "b").done(),
                row("REPLY-10 MAIL 421 and hang-up at the final server: deferred 4.3.2 as a message failure, not throttled")
                        .first(sayAndHangUp(Stage.MAIL, "421 4.3.2 closing"))
                        .allDeferred("4.3.2", said("{1}", "421 4.3.2 closing", "MAIL FROM"), 1).done(),
                row("REPLY-10 MAIL 421 and hang-up at a non-final server: kept, the final server delivers")
                        .two().first(sayAndHangUp(Stage.MAIL, "421 4.3.2 closing")).allSent(2).next("a", "b").done(),
                row("TIME-6 REPLY-12 MAIL timeout at the final server defers 4.4.2 and throttles")
                        .timers().first(silent(Stage.MAIL))
                        .allDeferred("4.4.2", timedOut("{1}", "sending MAIL FROM"), 1).throttled().done(),
                row("TIME-6 connection lost at MAIL at a non-final server: kept, the final server delivers, no throttle")
                        .two().first(lost(Stage.MAIL)).allSent(2).next("a", "b").done(),
                row("TIME-6 REPLY-12 connection lost at MAIL without PIPELINING at the final server defers 4.4.2 and throttles")
                        .noPipelining().first(lost(Stage.MAIL))
                        .allDeferred("4.4.2", lostWhile("{1}", "sending MAIL FROM"), 1).throttled().done());
    }

    private static final String A_UNKNOWN = "550 5.1.1 <a@dest.test>: Recipient address rejected: unknown";
    private static final String B_UNKNOWN = "550 5.1.1 <b@dest.test>: Recipient address rejected: unknown";
    private static final String A_GREY = "450 4.2.0 <a@dest.test>: greylisted";
    private static final String B_GREY = "450 4.2.0 <b@dest.test>: greylisted";

    static Stream<Row> rcpt() {
        return Stream.of(
                row("REPLY-11 RCPT 550 for one recipient at the final server bounces it 5.1.1; the other is sent")
                        .first(rcpt(A_UNKNOWN, null, null))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1).sent(1).done(),
                row("REPLY-11 RCPT 550 for one recipient at a non-final server bounces it there; the other is sent, no other server")
                        .two().first(rcpt(A_UNKNOWN, null, null))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1).sent(1).done(),
                row("REPLY-11 XFER-32 RCPT 450 at a non-final server keeps that recipient; only it goes to the final server")
                        .two().first(rcpt(A_GREY, null, null)).sent(2).sent(1).next("a").done(),
                row("REPLY-11 RCPT 450 at the final server defers that recipient 4.2.0; the other is sent")
                        .first(rcpt(A_GREY, null, null))
                        .deferred("4.2.0", said("{1}", A_GREY, "RCPT TO"), 1).sent(1).done(),
                row("XFER-32 RCPT 550/450/250 at a non-final server: bounced; retried alone at the final server; sent")
                        .two().three().first(rcpt(A_UNKNOWN, B_GREY, null))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1).sent(2).sent(1).next("b").done(),
                row("XFER-32 a recipient kept by the non-final server and refused 450 by the final one is deferred with the final server's words")
                        .two().first(rcpt(A_GREY, null, null)).second(rcpt("450 4.2.1 <a@dest.test>: mailbox busy", null, null))
                        .deferred("4.2.1", said("{2}", "450 4.2.1 <a@dest.test>: mailbox busy", "RCPT TO"), 2).sent(1)
                        .next("a").done(),
                row("REPLY-14 RCPT 550 with soft_bounce at a non-final server: kept, and the final server accepts it")
                        .two().softBounce().first(rcpt(A_UNKNOWN, null, null)).sent(2).sent(1).next("a").done(),
                row("REPLY-14 RCPT 550 with soft_bounce at both servers: SOFTBOUNCE 4.1.1 with the final server's words")
                        .two().softBounce().first(rcpt(A_UNKNOWN, null, null)).second(rcpt(A_UNKNOWN, null, null))
                        .softBounced("4.1.1", said("{2}", A_UNKNOWN, "RCPT TO"), 2).sent(1).next("a").done(),
                row("REPLY-14 RCPT 550 with soft_bounce at the final server: SOFTBOUNCE 4.1.1, the other sent")
                        .softBounce().first(rcpt(A_UNKNOWN, null, null))
                        .softBounced("4.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1).sent(1).done(),
                row("REPLY-14 soft_bounce leaves soft failures alone: RCPT 450 at the final server is deferred 4.2.0, not SOFTBOUNCE")
                        .softBounce().first(rcpt(A_GREY, null, null))
                        .deferred("4.2.0", said("{1}", A_GREY, "RCPT TO"), 1).sent(1).done(),
                row("XFER-25 RCPT 452 (too many recipients) is an ordinary 4xx: kept and sent at the final server")
                        .two().first(rcpt(null, "452 4.5.3 Error: too many recipients", null)).sent(1).sent(2).next("b").done(),
                row("XFER-25 RCPT 552 is not reinterpreted as 452: bounced 5.2.2 at a non-final server")
                        .two().first(rcpt(null, "552 5.2.2 <b@dest.test>: mailbox full", null))
                        .sent(1).bounced("5.2.2", said("{1}", "552 5.2.2 <b@dest.test>: mailbox full", "RCPT TO"), 1).done(),
                row("REPLY-5 REPLY-7 RCPT 550 with a class-mismatched 4.1.1 is hard 5.0.0: bounced")
                        .first(rcpt("550 4.1.1 mixed up", null, null))
                        .bounced("5.0.0", said("{1}", "550 4.1.1 mixed up", "RCPT TO"), 1).sent(1).done(),
                row("REPLY-5 RCPT 450 without an enhanced status is 4.0.0: deferred at the final server")
                        .first(rcpt("450 try again later", null, null))
                        .deferred("4.0.0", said("{1}", "450 try again later", "RCPT TO"), 1).sent(1).done(),
                row("XFER-10 XFER-26 every RCPT refused, DATA 554: only the RCPT verdicts count, the transaction is reset")
                        .first(rcpt(A_UNKNOWN, B_UNKNOWN, null))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1)
                        .bounced("5.1.1", said("{1}", B_UNKNOWN, "RCPT TO"), 1)
                        .verbs("EHLO", "MAIL", "RCPT", "RCPT", "DATA", "RSET").done(),
                row("XFER-27 every RCPT refused but DATA 354: a lone '.' is sent and its reply ignored")
                        .first(all(rcpt(A_UNKNOWN, B_UNKNOWN, null), say(Stage.DATA, "354 go ahead"),
                                say(Stage.DOT, "554 5.5.0 nothing to deliver")))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1)
                        .bounced("5.1.1", said("{1}", B_UNKNOWN, "RCPT TO"), 1)
                        .verbs("EHLO", "MAIL", "RCPT", "RCPT", "DATA", ".").done(),
                row("TIME-6 REPLY-12 RCPT timeout at the final server defers both 4.4.2 and throttles")
                        .timers().first(silent(Stage.RCPT))
                        .allDeferred("4.4.2", timedOut("{1}", "sending RCPT TO"), 1).throttled().done(),
                row("XFER-31 REPLY-12 connection lost after one RCPT was refused at the final server: bounce stands, the other deferred 4.4.2, throttled")
                        .first(all(rcpt(A_UNKNOWN, null, null), s -> s.dropAfter(Stage.RCPT)))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1)
                        .deferred("4.4.2", lostWhile("{1}", "sending RCPT TO"), 1).throttled().done(),
                row("XFER-31 connection lost after one RCPT was refused at a non-final server: the other goes to the final server")
                        .two().first(all(rcpt(A_UNKNOWN, null, null), s -> s.dropAfter(Stage.RCPT)))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1).sent(2).next("b").done(),
                row("REPLY-11 REPLY-12 RCPT 421 and hang-up at the final server: that recipient deferred 4.7.0, the other 4.4.2, throttled")
                        .first(all(rcpt("421 4.7.0 closing connection", null, null), s -> s.dropAfter(Stage.RCPT)))
                        .deferred("4.7.0", said("{1}", "421 4.7.0 closing connection", "RCPT TO"), 1)
                        .deferred("4.4.2", lostWhile("{1}", "sending RCPT TO"), 1).throttled().done(),
                row("XFER-21 RCPT 550 without PIPELINING at the final server: that recipient bounces, the other is sent")
                        .noPipelining().first(rcpt(A_UNKNOWN, null, null))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1).sent(1)
                        .verbs("EHLO", "MAIL", "RCPT", "RCPT", "DATA", "<content>").done(),
                row("XFER-21 XFER-32 RCPT 450 without PIPELINING at a non-final server: only that recipient goes to the final server")
                        .two().noPipelining().first(rcpt(null, B_GREY, null)).sent(1).sent(2).next("b").done(),
                row("XFER-21 REPLY-12 connection lost after a refused RCPT without PIPELINING at the final server: deferred 4.4.2, throttled")
                        .noPipelining().first(all(rcpt(A_UNKNOWN, null, null), s -> s.dropAfter(Stage.RCPT)))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1)
                        .deferred("4.4.2", lostWhile("{1}", "sending RCPT TO"), 1).throttled().done());
    }

    static Stream<Row> data() {
        return Stream.of(
                row("XFER-10 REPLY-10 DATA 451 at the final server defers every accepted recipient 4.3.0, not throttled; RSET")
                        .first(say(Stage.DATA, "451 4.3.0 queue full"))
                        .allDeferred("4.3.0", said("{1}", "451 4.3.0 queue full", "DATA"), 1)
                        .verbs("EHLO", "MAIL", "RCPT", "RCPT", "DATA", "RSET").done(),
                row("XFER-10 REPLY-10 DATA 451 at a non-final server keeps both; the final server delivers")
                        .two().first(say(Stage.DATA, "451 4.3.0 queue full")).allSent(2).next("a", "b").done(),
                row("XFER-10 REPLY-10 DATA 554 at a non-final server bounces every accepted recipient 5.7.1; no other server")
                        .two().first(say(Stage.DATA, "554 5.7.1 message refused"))
                        .allBounced("5.7.1", said("{1}", "554 5.7.1 message refused", "DATA"), 1).done(),
                row("XFER-31 RCPT 550 then DATA 451 at the final server: the bounce stands, the accepted one is deferred")
                        .first(all(rcpt(A_UNKNOWN, null, null), say(Stage.DATA, "451 4.3.0 queue full")))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1)
                        .deferred("4.3.0", said("{1}", "451 4.3.0 queue full", "DATA"), 1).done(),
                row("XFER-31 XFER-32 RCPT 450 then DATA 554 at a non-final server: the accepted one bounces, the kept one goes on and is sent")
                        .two().first(all(rcpt(A_GREY, null, null), say(Stage.DATA, "554 5.7.1 message refused")))
                        .sent(2).bounced("5.7.1", said("{1}", "554 5.7.1 message refused", "DATA"), 1).next("a").done(),
                row("REPLY-8 DATA answered 250 is a protocol error: bounced 5.5.0 with 'Protocol error: '")
                        .first(say(Stage.DATA, "250 2.0.0 Ok"))
                        .allBounced("5.5.0", "Protocol error: " + said("{1}", "250 2.0.0 Ok", "DATA"), 1).done(),
                row("REPLY-14 DATA 554 with soft_bounce at the final server: SOFTBOUNCE 4.7.1, not throttled")
                        .softBounce().first(say(Stage.DATA, "554 5.7.1 message refused"))
                        .allSoftBounced("4.7.1", said("{1}", "554 5.7.1 message refused", "DATA"), 1).done(),
                row("TIME-6 REPLY-12 DATA timeout at the final server defers 4.4.2 and throttles")
                        .timers().first(silent(Stage.DATA))
                        .allDeferred("4.4.2", timedOut("{1}", "sending DATA command"), 1).throttled().done(),
                row("TIME-6 connection lost at DATA at a non-final server: kept, the final server delivers")
                        .two().first(lost(Stage.DATA)).allSent(2).next("a", "b").done(),
                row("REPLY-10 DATA 421 and hang-up at the final server: deferred 4.3.2 as a message failure, not throttled")
                        .first(sayAndHangUp(Stage.DATA, "421 4.3.2 closing"))
                        .allDeferred("4.3.2", said("{1}", "421 4.3.2 closing", "DATA"), 1).done(),
                row("XFER-21 DATA 451 without PIPELINING at the final server: deferred 4.3.0, RSET")
                        .noPipelining().first(say(Stage.DATA, "451 4.3.0 queue full"))
                        .allDeferred("4.3.0", said("{1}", "451 4.3.0 queue full", "DATA"), 1)
                        .verbs("EHLO", "MAIL", "RCPT", "RCPT", "DATA", "RSET").done());
    }

    static Stream<Row> endOfData() {
        return Stream.of(
                row("XFER-11 REPLY-10 end-of-data 451 at a non-final server keeps both; the final server delivers")
                        .two().first(say(Stage.DOT, "451 4.3.0 try later")).allSent(2).next("a", "b").done(),
                row("XFER-11 REPLY-10 end-of-data 451 at the final server defers both 4.3.0, not throttled")
                        .first(say(Stage.DOT, "451 4.3.0 try later"))
                        .allDeferred("4.3.0", said("{1}", "451 4.3.0 try later", "end of DATA"), 1).done(),
                row("XFER-11 end-of-data 552 5.3.4 at a non-final server bounces both; no other server")
                        .two().first(say(Stage.DOT, "552 5.3.4 message too big"))
                        .allBounced("5.3.4", said("{1}", "552 5.3.4 message too big", "end of DATA"), 1).done(),
                row("REPLY-14 end-of-data 554 with soft_bounce at a non-final server: kept, the final server delivers")
                        .two().softBounce().first(say(Stage.DOT, "554 5.6.0 content rejected")).allSent(2).next("a", "b").done(),
                row("REPLY-14 end-of-data 554 with soft_bounce at the final server: SOFTBOUNCE 4.6.0")
                        .softBounce().first(say(Stage.DOT, "554 5.6.0 content rejected"))
                        .allSoftBounced("4.6.0", said("{1}", "554 5.6.0 content rejected", "end of DATA"), 1).done(),
                row("TIME-6 REPLY-12 end-of-data timeout at the final server defers 4.4.2 and throttles")
                        .timers().first(silent(Stage.DOT))
                        .allDeferred("4.4.2", timedOut("{1}", DOT_DOING), 1).throttled().done(),
                row("TIME-6 connection lost at end of data at a non-final server: kept, the final server delivers")
                        .two().first(lost(Stage.DOT)).allSent(2).next("a", "b").done(),
                row("TIME-6 REPLY-12 connection lost at end of data at the final server defers 4.4.2 and throttles")
                        .first(lost(Stage.DOT)).allDeferred("4.4.2", lostWhile("{1}", DOT_DOING), 1).throttled().done(),
                row("REPLY-10 end-of-data 421 and hang-up at the final server: deferred 4.3.2 as a message failure, not throttled")
                        .first(sayAndHangUp(Stage.DOT, "421 4.3.2 closing"))
                        .allDeferred("4.3.2", said("{1}", "421 4.3.2 closing", "end of DATA"), 1).done(),
                row("XFER-31 RCPT 550 then end-of-data 250: the refused one bounces, the accepted one is sent")
                        .first(rcpt(null, B_UNKNOWN, null)).sent(1).bounced("5.1.1", said("{1}", B_UNKNOWN, "RCPT TO"), 1).done(),
                row("XFER-11 end-of-data 451 without PIPELINING at a non-final server: the final server delivers")
                        .two().noPipelining().first(say(Stage.DOT, "451 4.3.0 try later")).allSent(2).next("a", "b").done(),
                row("XFER-28 the server refuses during the content and hangs up: its 552 is the end-of-data reply, both bounce")
                        .first(s -> s.rejectDuringContent("552 5.3.4 message too big"))
                        .allBounced("5.3.4", said("{1}", "552 5.3.4 message too big", "end of DATA"), 1).done(),
                row("REPLY-15 the end-of-data 250's own status and text are the recipients' DSN and reason")
                        .first(say(Stage.DOT, "250 2.6.0 <m1@fake.test> queued as 7F3A"))
                        .sent(1, "250 2.6.0 <m1@fake.test> queued as 7F3A", "2.6.0")
                        .sent(1, "250 2.6.0 <m1@fake.test> queued as 7F3A", "2.6.0").done());
    }

    static Stream<Row> lmtp() {
        String bFull = "452 4.2.2 <b@dest.test> mailbox full";
        String cOff = "550 5.2.1 <c@dest.test> mailbox disabled";
        return Stream.of(
                row("XFER-12 LMTP end-of-data replies 250/452/550 at the final server: sent, deferred 4.2.2, bounced 5.2.1")
                        .lmtp().three().first(lmtpDot(null, bFull, cOff))
                        .sent(1).deferred("4.2.2", said("{1}", bFull, "end of DATA"), 1)
                        .bounced("5.2.1", said("{1}", cOff, "end of DATA"), 1).done(),
                row("XFER-12 XFER-32 LMTP end-of-data 250/452/550 at a non-final server: only the 452 one goes to the final server")
                        .lmtp().two().three().first(lmtpDot(null, bFull, cOff))
                        .sent(1).sent(2).bounced("5.2.1", said("{1}", cOff, "end of DATA"), 1).next("b").done(),
                row("XFER-12 LMTP end-of-data replies match the accepted recipients in order; the refused one gets none")
                        .lmtp().three().first(all(rcpt(A_UNKNOWN, null, null),
                                lmtpDot(null, null, "450 4.2.0 <c@dest.test> try later")))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1).sent(1)
                        .deferred("4.2.0", said("{1}", "450 4.2.0 <c@dest.test> try later", "end of DATA"), 1).done(),
                row("XFER-12 REPLY-12 LMTP without PIPELINING, two of three end-of-data replies, then silence: the third deferred 4.4.2, throttled")
                        .lmtp().noPipelining().three().timers().first(lmtpDot(null, "550 5.1.1 <b@dest.test> unknown", "-"))
                        .sent(1).bounced("5.1.1", said("{1}", "550 5.1.1 <b@dest.test> unknown", "end of DATA"), 1)
                        .deferred("4.4.2", timedOut("{1}", DOT_DOING), 1).throttled().done(),
                row("XFER-12 REPLY-12 LMTP no end-of-data reply within the limit: every accepted recipient deferred 4.4.2, throttled")
                        .lmtp().three().timers().first(all(rcpt(null, null, "550 5.1.1 <c@dest.test> unknown"), silent(Stage.DOT)))
                        .deferred("4.4.2", timedOut("{1}", DOT_DOING), 1).deferred("4.4.2", timedOut("{1}", DOT_DOING), 1)
                        .bounced("5.1.1", said("{1}", "550 5.1.1 <c@dest.test> unknown", "RCPT TO"), 1).throttled().done(),
                row("XFER-24 XFER-29 LMTP server that skips one end-of-data reply: the pipelined QUIT's 221 is read in its place (as Postfix)")
                        .lmtp().three().first(lmtpDot(null, null, "-"))
                        .sent(1).sent(1).sent(1, "221 2.0.0 Bye", "2.0.0").done(),
                row("XFER-12 LMTP connection lost after the first end-of-data reply at a non-final server: the rest go to the final server")
                        .lmtp().two().three().first(s -> s.dropAfter(Stage.DOT)).sent(1).sent(2).sent(2).next("b", "c").done(),
                row("XFER-12 REPLY-12 LMTP connection lost after the first end-of-data reply at the final server: the rest deferred 4.4.2, throttled")
                        .lmtp().three().first(s -> s.dropAfter(Stage.DOT))
                        .sent(1).deferred("4.4.2", lostWhile("{1}", DOT_DOING), 1)
                        .deferred("4.4.2", lostWhile("{1}", DOT_DOING), 1).throttled().done(),
                row("REPLY-10 LMTP DATA 451 at the final server defers every accepted recipient 4.3.0 (message level)")
                        .lmtp().first(all(rcpt(A_UNKNOWN, null, null), say(Stage.DATA, "451 4.3.0 queue full")))
                        .bounced("5.1.1", said("{1}", A_UNKNOWN, "RCPT TO"), 1)
                        .deferred("4.3.0", said("{1}", "451 4.3.0 queue full", "DATA"), 1).done(),
                row("REPLY-10 LMTP MAIL 550 at a non-final server bounces every recipient; no other server")
                        .lmtp().two().first(say(Stage.MAIL, "550 5.7.1 sender rejected"))
                        .allBounced("5.7.1", said("{1}", "550 5.7.1 sender rejected", "MAIL FROM"), 1).done(),
                row("REPLY-11 LMTP RCPT 450 at a non-final server: only that recipient goes to the final server")
                        .lmtp().two().first(rcpt(A_GREY, null, null)).sent(2).sent(1).next("a").done(),
                row("REPLY-14 LMTP end-of-data 550 for one recipient with soft_bounce at the final server: SOFTBOUNCE 4.1.1, the other sent")
                        .lmtp().softBounce().first(lmtpDot("550 5.1.1 <a@dest.test> unknown", null, null))
                        .softBounced("4.1.1", said("{1}", "550 5.1.1 <a@dest.test> unknown", "end of DATA"), 1).sent(1).done(),
                row("XFER-12 LMTP without PIPELINING: end-of-data 550 then 250 decide one recipient each")
                        .lmtp().noPipelining().first(lmtpDot("550 5.1.1 <a@dest.test> unknown", null, null))
                        .bounced("5.1.1", said("{1}", "550 5.1.1 <a@dest.test> unknown", "end of DATA"), 1).sent(1)
                        .verbs("LHLO", "MAIL", "RCPT", "RCPT", "DATA", "<content>").done(),
                row("TIME-6 LMTP connection lost at LHLO at a non-final server: kept, the final server delivers")
                        .lmtp().two().first(lost(Stage.LHLO)).allSent(2).next("a", "b").done(),
                row("SESS-11 REPLY-9 LHLO 550 at a non-final LMTP server: hard site failure, no other server")
                        .lmtp().two().first(say(Stage.LHLO, "550 5.7.1 go away"))
                        .allBounced("5.7.1", null, 1).done());
    }

    private static final String REFUSED_1 = "connect to {1}:{port}: Connection refused";
    private static final String REFUSED_2 = "connect to {2}:{port}: Connection refused";
    private static final String TOO_BIG = "message size " + CONTENT.length + " exceeds size limit 10 of server {1}";

    /** relay= is not compared in the connect rows: see {@link #relayAfterConnectFailure()}. */
    static Stream<Row> connectAndSize() {
        return Stream.of(
                row("SESS-4 REPLY-12 connection refused at the only server: deferred 4.4.1 with the connect error, throttled")
                        .first(refusing()).allDeferred("4.4.1", REFUSED_1, ANY_RELAY).throttled().done(),
                row("SESS-1 connection refused at a non-final server: nobody is marked, the final server delivers")
                        .two().first(refusing()).allSent(2).next("a", "b").done(),
                row("REPLY-12 RCPT 450 at the first server, connection refused at the final one: deferred 4.4.1, not throttled")
                        .two().first(rcpt(A_GREY, null, null)).second(refusing())
                        .deferred("4.4.1", REFUSED_2, ANY_RELAY).sent(1).done(),
                row("REPLY-14 soft_bounce: RCPT 550 kept at the first server, the final one refuses the connection: deferred 4.4.1")
                        .two().softBounce().first(rcpt(A_UNKNOWN, null, null)).second(refusing())
                        .deferred("4.4.1", REFUSED_2, ANY_RELAY).sent(1).done(),
                row("XFER-1 SIZE limit exceeded at a non-final server: 5.3.4 bounce, no MAIL, no other server tried, no throttle")
                        .two().first(s -> s.capabilities("PIPELINING", "SIZE 10", "ENHANCEDSTATUSCODES"))
                        .allBounced("5.3.4", TOO_BIG, 1).verbs("EHLO").done(),
                row("XFER-1 REPLY-14 SIZE limit exceeded at the final server with soft_bounce: SOFTBOUNCE 4.3.4")
                        .softBounce().first(s -> s.capabilities("PIPELINING", "SIZE 10", "ENHANCEDSTATUSCODES"))
                        .allSoftBounced("4.3.4", TOO_BIG, 1).verbs("EHLO").done(),
                row("XFER-1 SIZE limit not exceeded: the pre-check lets MAIL through, delivered")
                        .first(s -> s.capabilities("PIPELINING", "SIZE 1000", "ENHANCEDSTATUSCODES")).allSent(1)
                        .verbs("EHLO", "MAIL", "RCPT", "RCPT", "DATA", "<content>").done());
    }

    static Stream<Row> throttling() {
        return Stream.of(
                row("REPLY-12 a transaction completed at the first server: a greeting 421 at the final server defers the kept one, no throttle")
                        .two().first(rcpt(A_GREY, null, null)).second(say(Stage.GREETING, "421 4.3.2 busy"))
                        .deferred("4.3.2", refused("{2}", "421 4.3.2 busy"), 2).sent(1).next().done(),
                row("REPLY-12 greeting 421 at both servers: deferred with the final server's words, throttled")
                        .two().first(say(Stage.GREETING, "421 4.3.2 busy")).second(say(Stage.GREETING, "421 4.3.2 too busy"))
                        .allDeferred("4.3.2", refused("{2}", "421 4.3.2 too busy"), 2).throttled().next().done(),
                row("REPLY-12 a site failure at the first server, MAIL 451 at the final one: deferred 4.3.0, not throttled")
                        .two().first(say(Stage.GREETING, "421 4.3.2 busy")).second(say(Stage.MAIL, "451 4.3.0 try later"))
                        .allDeferred("4.3.0", said("{2}", "451 4.3.0 try later", "MAIL FROM"), 2).next("a", "b").done(),
                row("REPLY-12 MAIL 451 at the first server, connection lost at the final server's greeting: deferred 4.4.2, not throttled")
                        .two().first(say(Stage.MAIL, "451 4.3.0 try later")).second(lost(Stage.GREETING))
                        .allDeferred("4.4.2", lostWhile("{2}", "receiving the initial server greeting"), 2).next().done(),
                row("REPLY-12 soft_bounce: SOFTBOUNCE at the final server after a site failure at the first stays queued, throttled")
                        .two().softBounce().noSkip5xx().first(say(Stage.GREETING, "554 5.7.1 go away"))
                        .second(say(Stage.GREETING, "554 5.7.1 no"))
                        .allSoftBounced("4.7.1", refused("{2}", "554 5.7.1 no"), 2).throttled().next().done());
    }

    // ================================================================== rows the agent gets wrong today

    /**
     * Postfix (smtp_proto.c, smtp_helo) words every failed hello the same way as a failed
     * greeting: "host HOST[ADDR] refused to talk to me: REPLY" (spec LOG-6, SESS-11). The agent
     * writes "host HOST[ADDR] said: REPLY (in reply to EHLO command)".
     */
    static Stream<Row> helloWording() {
        return Stream.of(
                row("SESS-11 LOG-6 EHLO 421 at the final server: deferred 4.3.2 'refused to talk to me', throttled")
                        .first(say(Stage.EHLO, "421 4.3.2 shutting down"))
                        .allDeferred("4.3.2", refused("{1}", "421 4.3.2 shutting down"), 1).throttled().done(),
                row("SESS-11 LOG-6 HELO 550 at a non-final server: bounced 5.7.1 'refused to talk to me'; no other server")
                        .two().first(all(say(Stage.EHLO, "502 5.5.2 unrecognized"), say(Stage.HELO, "550 5.7.1 go away")))
                        .allBounced("5.7.1", refused("{1}", "550 5.7.1 go away"), 1).done(),
                row("SESS-11 LOG-6 HELO 451 at the final server: deferred 4.3.0 'refused to talk to me', throttled")
                        .first(all(say(Stage.EHLO, "502 5.5.2 unrecognized"), say(Stage.HELO, "451 4.3.0 try later")))
                        .allDeferred("4.3.0", refused("{1}", "451 4.3.0 try later"), 1).throttled().done(),
                row("REPLY-14 LOG-6 HELO 550 with soft_bounce at the final server: SOFTBOUNCE 4.7.1 'refused to talk to me', throttled")
                        .softBounce().first(all(say(Stage.EHLO, "502 5.5.2 unrecognized"), say(Stage.HELO, "550 5.7.1 go away")))
                        .allSoftBounced("4.7.1", refused("{1}", "550 5.7.1 go away"), 1).throttled().done(),
                row("SESS-11 LOG-6 LHLO 421 at the final LMTP server: deferred 4.3.2 'refused to talk to me', throttled")
                        .lmtp().first(say(Stage.LHLO, "421 4.3.2 busy"))
                        .allDeferred("4.3.2", refused("{1}", "421 4.3.2 busy"), 1).throttled().done(),
                row("SESS-11 LOG-6 LHLO 550 at a non-final LMTP server: bounced 5.7.1 'refused to talk to me'; no other server")
                        .lmtp().two().first(say(Stage.LHLO, "550 5.7.1 go away"))
                        .allBounced("5.7.1", refused("{1}", "550 5.7.1 go away"), 1).done());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("helloWording")
    void helloFailureWording(Row row) {
        check(row);
    }

    /**
     * SESS-7 rewrites only a 5xx greeting (Postfix: resp->code / 100 == 5). A greeting with any
     * other non-2xx, non-4xx code (1xx, 3xx, 6xx) carries status 5.5.0 (REPLY-5) and is a hard
     * protocol error whatever smtp_skip_5xx_greeting says. The agent rewrites by the status's
     * first digit, so 5.5.0 becomes 4.5.0 and the recipients are deferred (or tried elsewhere).
     */
    static Stream<Row> oddGreeting() {
        return Stream.of(
                row("SESS-7 REPLY-5 greeting 354 at the final server is a hard protocol error 5.5.0 even with smtp_skip_5xx_greeting=yes")
                        .first(say(Stage.GREETING, "354 not a greeting"))
                        .allBounced("5.5.0", refused("{1}", "354 not a greeting"), 1).done(),
                row("SESS-7 REPLY-5 greeting 354 at a non-final server bounces 5.5.0; no other server is tried")
                        .two().first(say(Stage.GREETING, "354 not a greeting"))
                        .allBounced("5.5.0", refused("{1}", "354 not a greeting"), 1).done());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oddGreeting")
    void oddGreetingCode(Row row) {
        check(row);
    }

    /**
     * REPLY-8 prefixes "Protocol error: " only when the reply's enhanced status is neither 4.x.x
     * nor 5.x.x, i.e. a 2xx (Postfix vsmtp_fill_dsn tests the status, not the code). A 3xx reply
     * already has status 5.5.0 (REPLY-5, smtp_chat_resp), so MAIL or RCPT answered 354 is bounced
     * 5.5.0 with the server's words and no prefix. The agent (and docs/outcomes.md) prefix it.
     */
    static Stream<Row> intermediateWhereFailureHandled() {
        return Stream.of(
                row("REPLY-5 REPLY-8 MAIL answered 354: bounced 5.5.0 with the server's words, no 'Protocol error:' prefix")
                        .first(say(Stage.MAIL, "354 go ahead"))
                        .allBounced("5.5.0", said("{1}", "354 go ahead", "MAIL FROM"), 1).done(),
                row("REPLY-5 REPLY-8 RCPT answered 354 for one recipient: it bounces 5.5.0, no prefix; the other is sent")
                        .first(rcpt("354 what now", null, null))
                        .bounced("5.5.0", said("{1}", "354 what now", "RCPT TO"), 1).sent(1).done());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("intermediateWhereFailureHandled")
    void intermediateReplyWording(Row row) {
        check(row);
    }

    /**
     * LOG-1: relay= is the session's HOST[ADDR]:PORT, or "none" when no session existed. When the
     * last server of the attempt refused the connection, Postfix defers what is left after the
     * server loop, with no session (smtp_connect: smtp_sess_fail with state->session == 0, so
     * smtp_bulk_fail logs relay=none: the familiar "relay=none, ... status=deferred (connect to
     * ...: Connection refused)"). The agent reports the refused endpoint as relay=.
     */
    static Stream<Row> relayAfterConnectFailure() {
        return Stream.of(
                row("LOG-1 connection refused at the only server: deferred 4.4.1 with relay=none")
                        .first(refusing()).allDeferred("4.4.1", REFUSED_1, 0).throttled().done(),
                row("LOG-1 RCPT 450 at the first server, connection refused at the final one: deferred 4.4.1 with relay=none")
                        .two().first(rcpt(A_GREY, null, null)).second(refusing())
                        .deferred("4.4.1", REFUSED_2, 0).sent(1).done());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("relayAfterConnectFailure")
    void relayIsNoneWithoutASession(Row row) {
        check(row);
    }

    /**
     * REPLY-14/REPLY-16: with soft_bounce = yes a hard failure at a non-final server keeps the
     * recipients for the next server. Postfix's SIZE pre-check fails the message through
     * smtp_mesg_fail, whose smtp_bulk_fail KEEPs them under soft_bounce at a non-final server;
     * nothing then stops the server loop (smtp_connect_inet goes on while recipients are left), so
     * the next server is tried. XFER-1's "no other server is tried" holds only because without
     * soft_bounce every recipient is bounced. The agent stops the attempt and soft-bounces.
     */
    static Stream<Row> sizeWithSoftBounce() {
        return Stream.of(
                row("XFER-1 REPLY-14 SIZE limit exceeded at a non-final server with soft_bounce: kept, the final server delivers")
                        .two().softBounce().first(s -> s.capabilities("PIPELINING", "SIZE 10", "ENHANCEDSTATUSCODES"))
                        .allSent(2).next("a", "b").done());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sizeWithSoftBounce")
    void sizeFailureUnderSoftBounceTriesTheNextServer(Row row) {
        check(row);
    }

    /**
     * REPLY-12: "completed a transaction normally" is Postfix's SMTP_MISC_FLAG_COMPLETE_SESSION,
     * set only when smtp_loop returns 0 with a healthy stream. A connection lost while reading the
     * reply to the abort RSET (XFER-26) makes smtp_loop return -1 (recv_state ABORT is past
     * SENDING_MAIL), so that session does not count, and a later site failure throttles. The agent
     * swallows the lost RSET and counts the session as completed.
     */
    static Stream<Row> lostAfterAbort() {
        return Stream.of(
                row("REPLY-12 DATA 421 and hang-up at the first server (the RSET is lost), greeting 421 at the final one: deferred, throttled")
                        .two().first(all(sayAndHangUp(Stage.DATA, "421 4.3.2 closing"))).second(say(Stage.GREETING, "421 4.3.2 busy"))
                        .allDeferred("4.3.2", refused("{2}", "421 4.3.2 busy"), 2).throttled().next().done(),
                row("REPLY-12 MAIL 451 then the RSET reply is lost at the first server, greeting 421 at the final one: deferred, throttled")
                        .two().first(all(say(Stage.MAIL, "451 4.3.0 try later"), lost(Stage.RSET)))
                        .second(say(Stage.GREETING, "421 4.3.2 busy"))
                        .allDeferred("4.3.2", refused("{2}", "421 4.3.2 busy"), 2).throttled().next().done());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lostAfterAbort")
    void aLostAbortIsNoCompletedSession(Row row) {
        check(row);
    }

    /**
     * XFER-14 (XFER-1): after the SIZE pre-check refused the message on a connection that is not
     * cached, Postfix closes it without QUIT (smtp_xfer returns before any command;
     * smtp_cleanup_session frees the session, and smtp_quit runs only for an expired cached
     * session). The agent sends QUIT.
     */
    @org.junit.jupiter.api.Test
    void aSizeRefusalClosesWithoutQuit() throws InterruptedException {
        Row row = row("XFER-1 XFER-14 SIZE refusal: 5.3.4, then the connection is closed without QUIT")
                .first(s -> s.capabilities("PIPELINING", "SIZE 10", "ENHANCEDSTATUSCODES"))
                .allBounced("5.3.4", TOO_BIG, 1).done();
        check(row);
        FakeSmtpServer first = servers.get(0);
        for (int i = 0; i < 100 && first.openSessions() > 0; i++) {
            Thread.sleep(20);
        }
        assertEquals(List.of("EHLO client.test"), first.commands(), first.transcript().toString());
    }
}
