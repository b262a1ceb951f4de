package io.postilion.engine.listener;

import io.postilion.engine.config.Smtputf8Settings;
import io.postilion.engine.delivery.TlsRequest;
import io.postilion.transport.protocol.AddressQuoting;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Notify;
import io.postilion.transport.protocol.Ret;
import io.postilion.transport.protocol.Xtext;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import reactor.core.publisher.Mono;

/**
 * The listener's side of one SMTP conversation, without any I/O: a command line in, a reply and
 * what the connection must do next out. Keeping the protocol here and the bytes in
 * {@link SmtpServerHandler} lets the rules (relay control, limits, DSN parameters) be tested
 * line by line.
 *
 * <p>It counts what smtpd(8) counts: errors (a hard limit ends the session, a soft one slows every
 * reply down), junk commands (NOOP, RSET, VRFY, HELO/EHLO beyond smtpd_junk_command_limit count as
 * errors; a delivered message forgives both), and per-client rates through {@link ClientLimiter}.
 * Nothing a client sends with a control character in it reaches a header, a DSN field or the log:
 * addresses and DSN parameters holding one are refused, the HELO name has them replaced by '?'.
 */
final class ServerSession {

    /** What the connection does after sending the reply. */
    enum Action { NONE, READ_DATA, READ_BDAT, START_TLS, CLOSE, WAIT }

    /**
     * A reply (null for none yet) and the next action; for READ_BDAT the chunk size, LAST, and
     * whether the chunk is to be read and thrown away (no valid transaction: nothing of it may be
     * kept); for WAIT the reply that comes later (AUTH's password check runs off the event loop).
     */
    record Step(String reply, Action action, long bdatSize, boolean bdatLast, boolean discard, Mono<String> later) {

        static Step reply(String text) {
            return new Step(text, Action.NONE, 0, false, false, null);
        }

        static Step then(String text, Action action) {
            return new Step(text, action, 0, false, false, null);
        }

        static Step later(Mono<String> reply) {
            return new Step(null, Action.WAIT, 0, false, false, reply);
        }

        static Step bdat(long size, boolean last, boolean discard) {
            return new Step(null, Action.READ_BDAT, size, last, discard, null);
        }
    }

    /** The commands smtpd's junk limit counts (SMTPD_CMD_FLAG_LIMIT in Postfix's table). */
    private static final Set<String> JUNK = Set.of("HELO", "EHLO", "RSET", "NOOP", "VRFY");

    /** Command names as the disconnect line lists them, in Postfix's order. */
    private static final List<String> LOGGED = List.of("HELO", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA",
            "BDAT", "RSET", "NOOP", "VRFY", "QUIT", "UNKNOWN");

    private final ListenerSettings settings;
    private final MessageSink sink;
    private final InetAddress clientAddress;
    private final boolean relayAllowed;
    private final Clock clock;
    private final BooleanSupplier underStress;
    private final ClientLimiter limiter;
    private final SmtpdLog log;
    private final ListenerMeters meters;
    /** smtpd_forbid_bare_newline for this client: {@code no} for the clients in its exclusions. */
    private final BareNewlinePolicy bareNewline;
    /** The client as Postfix names it in logs: no reverse lookup is made, so "unknown[addr]". */
    private final String namaddr;
    /** Per command name: {successes, total}, for the disconnect line. */
    private final Map<String, int[]> counts = new LinkedHashMap<>();
    /** The last command seen, for "lost connection after X". */
    private String where = "CONNECT";

    private String helo = "";
    private boolean esmtp;
    private boolean tlsActive;
    private int errors;
    private int junk;
    private String authenticatedAs = "";
    private String authMethod = "";
    /** The AUTH exchange in progress: null, "PLAIN", "LOGIN-USER" or "LOGIN-PASS". */
    private String authStage;
    private String loginUser;

    // The transaction in progress.
    private String queueId;
    private String sender;
    private BodyType bodyType = BodyType.UNKNOWN;
    private boolean smtputf8;
    private String envId = "";
    private Ret ret = Ret.NONE;
    /** MAIL FROM carried REQUIRETLS (TLS-19). */
    private boolean requireTls;
    private final List<ReceivedMessage.Recipient> recipients = new ArrayList<>();
    private boolean bdatFailed;
    private boolean inBdat;

    ServerSession(ListenerSettings settings, MessageSink sink, InetAddress clientAddress, Clock clock,
            BooleanSupplier underStress, ClientLimiter limiter, SmtpdLog log, ListenerMeters meters) {
        this.settings = settings;
        this.sink = sink;
        this.clientAddress = clientAddress;
        this.relayAllowed = settings.mynetworks().contains(clientAddress);
        this.clock = clock;
        this.underStress = underStress;
        this.limiter = limiter;
        this.log = log;
        this.meters = meters;
        this.bareNewline = settings.bareNewlineExclusions().contains(clientAddress) ? BareNewlinePolicy.NO
                : settings.bareNewline();
        this.namaddr = "unknown[" + io.postilion.dns.AddressText.of(clientAddress) + "]";
    }

    /** A session with no stress signal, no per-client limits and the standard log (for tests of the protocol alone). */
    ServerSession(ListenerSettings settings, MessageSink sink, InetAddress clientAddress, Clock clock) {
        this(settings, sink, clientAddress, clock, () -> false, new ClientLimiter(ClientLimits.none(), System::nanoTime),
                SmtpdLog.standard(), ListenerMeters.none());
    }

    String greeting() {
        log.info("connect from " + namaddr);
        return "220 " + settings.banner();
    }

    /** The limits that apply to the request starting now (the stressed set while the listener is full). */
    SessionLimits limits() {
        return settings.limits(underStress.getAsBoolean());
    }

    /** What a bare LF means for this client (smtpd_forbid_bare_newline and its exclusions). */
    BareNewlinePolicy bareNewline() {
        return bareNewline;
    }

    /** The client as logs name it. */
    String namaddr() {
        return namaddr;
    }

    /** The command the session is at, for "timeout after X". */
    String where() {
        return where;
    }

    /**
     * TLS is up: nothing of the plaintext session survives (RFC 3207 section 4.2), neither the
     * HELO name nor any part of a transaction.
     */
    void tlsStarted() {
        tlsActive = true;
        helo = "";
        esmtp = false;
        reset();
    }

    /** Whether a MAIL transaction is open (the connection keeps a content reader only then). */
    boolean transactionOpen() {
        return sender != null;
    }

    /**
     * Checked before each command, as smtpd does at the top of its loop: at the hard error limit
     * the session ends with 421. Null while the session may go on.
     */
    Step errorLimitReached() {
        if (errors >= limits().hardErrorLimit()) {
            log.info("too many errors after " + where + " from " + namaddr);
            meters.reject(ListenerMeters.Reason.TOO_MANY_ERRORS);
            return Step.then("421 4.7.0 " + settings.hostname() + " Error: too many errors", Action.CLOSE);
        }
        return null;
    }

    /** How long the next reply waits: smtpd_error_sleep_time once the soft error limit is reached. */
    Duration replyDelay() {
        SessionLimits l = limits();
        return errors >= l.softErrorLimit() ? l.errorSleep() : Duration.ZERO;
    }

    /** smtpd_timeout ran out while it was the client's turn. */
    void timedOut() {
        log.info("timeout after " + where + " from " + namaddr);
        meters.reject(ListenerMeters.Reason.TIMEOUT);
    }

    /** The connection ended (for whatever reason): the disconnect line, and "lost connection" when the client just went. */
    void ended(boolean lost) {
        if (lost && !where.equals("QUIT")) {
            log.info("lost connection after " + where + " from " + namaddr);
        }
        StringBuilder sb = new StringBuilder("disconnect from ").append(namaddr);
        int total = 0;
        int ok = 0;
        for (String name : LOGGED) {
            int[] c = counts.get(name);
            if (c == null) {
                continue;
            }
            sb.append(' ').append(name.toLowerCase(Locale.ROOT)).append('=').append(c[0]);
            if (c[0] != c[1]) {
                sb.append('/').append(c[1]);
            }
            ok += c[0];
            total += c[1];
        }
        sb.append(" commands=").append(ok);
        if (ok != total) {
            sb.append('/').append(total);
        }
        log.info(sb.toString());
    }

    /** One command line, without its line end (or, during AUTH, the client's response). */
    Step command(String line) {
        if (authStage != null) {
            return authResponse(line.trim());
        }
        String verb = verb(line);
        String counted = LOGGED.contains(verb) ? verb : "UNKNOWN";
        where = counted;
        Step step = dispatch(verb, line);
        count(counted, step.reply());
        if (JUNK.contains(verb) && junk++ > limits().junkCommandLimit()) {
            errors++;
        }
        return step;
    }

    private void count(String name, String reply) {
        int[] c = counts.computeIfAbsent(name, k -> new int[2]);
        c[1]++;
        if (reply != null && reply.startsWith("2")) { // DATA's 354 and AUTH's 334 are not successes yet
            c[0]++;
        }
    }

    /** A later reply (AUTH's verdict, end of message) turned out a success: count it as one. */
    private void succeeded(String name) {
        counts.computeIfAbsent(name, k -> new int[2])[0]++;
    }

    private Step dispatch(String verb, String line) {
        if (!verb.equals("HELO") && !verb.equals("EHLO") && !verb.equals("MAIL") && !verb.equals("RCPT")
                && line.indexOf('\0') >= 0) {
            return error("500 5.5.2 Error: bad syntax");
        }
        return switch (verb) {
            case "EHLO" -> ehlo(argument(line, verb), true);
            case "HELO" -> ehlo(argument(line, verb), false);
            case "MAIL" -> mail(line);
            case "RCPT" -> rcpt(line);
            case "DATA" -> data(line);
            case "BDAT" -> bdat(line);
            case "RSET" -> {
                reset();
                yield Step.reply("250 2.0.0 Ok");
            }
            case "NOOP" -> Step.reply("250 2.0.0 Ok");
            case "QUIT" -> Step.then("221 2.0.0 Bye", Action.CLOSE);
            case "VRFY" -> error("502 5.5.1 VRFY command is disabled");
            case "STARTTLS" -> starttls(line);
            case "AUTH" -> auth(argument(line, verb));
            default -> error("500 5.5.2 Error: command not recognized");
        };
    }

    /** A command line longer than line_length_limit: its text was not kept. */
    Step lineTooLong() {
        count("UNKNOWN", null);
        return error("500 5.5.2 " + settings.hostname() + " Error: command too long");
    }

    /** A command line that is not valid UTF-8 (Postfix protects its internal interfaces the same way). */
    Step badUtf8() {
        count("UNKNOWN", null);
        return error("500 5.5.2 Error: bad UTF-8 syntax");
    }

    /** A command line ended by a bare LF under smtpd_forbid_bare_newline = yes or reject. */
    Step bareNewlineInCommand(BareNewlinePolicy policy) {
        if (policy == BareNewlinePolicy.YES) {
            return Step.then("521 5.5.2 " + settings.hostname() + " Error: bare <LF> received", Action.CLOSE);
        }
        return error("550 5.5.2 Error: bare <LF> received");
    }

    private Step ehlo(String name, boolean extended) {
        if (name.isEmpty()) {
            return error("501 5.5.4 Syntax: " + (extended ? "EHLO" : "HELO") + " hostname");
        }
        reset();
        helo = Printable.of(name);
        esmtp = extended;
        if (!extended) {
            return Step.reply("250 " + settings.hostname());
        }
        List<String> lines = new ArrayList<>();
        lines.add(settings.hostname());
        lines.add("PIPELINING");
        lines.add(settings.messageSizeLimit() > 0 ? "SIZE " + settings.messageSizeLimit() : "SIZE");
        if (settings.tls() != null && !tlsActive) {
            lines.add("STARTTLS");
        }
        if (settings.auth() != null && tlsActive) {
            lines.add("AUTH PLAIN LOGIN");
        }
        lines.add("ENHANCEDSTATUSCODES");
        lines.add("8BITMIME");
        lines.add("DSN");
        if (settings.smtputf8().enabled()) {
            lines.add("SMTPUTF8");
        }
        if (settings.requireTls() && tlsActive) {
            lines.add("REQUIRETLS"); // RFC 8689: only where the session is encrypted
        }
        lines.add("CHUNKING");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            sb.append(i > 0 ? "\r\n" : "").append("250").append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i));
        }
        return Step.reply(sb.toString());
    }

    // ------------------------------------------------------------------ AUTH (RFC 4954)

    private Step auth(String args) {
        if (settings.auth() == null) {
            return error("503 5.5.1 Error: authentication not enabled");
        }
        if (!tlsActive) {
            return error("538 5.7.11 Encryption required for requested authentication mechanism");
        }
        if (!authenticatedAs.isEmpty()) {
            return error("503 5.5.1 Error: already authenticated");
        }
        if (sender != null) {
            return error("503 5.5.1 Error: MAIL transaction in progress");
        }
        if (!limiter.allow(clientAddress, ClientLimiter.Event.AUTH)) {
            log.warn("AUTH command rate limit exceeded: from " + namaddr + " for service smtpd");
            meters.reject(ListenerMeters.Reason.RATE_LIMIT);
            return error("450 4.7.1 Error: too many AUTH commands from " + io.postilion.dns.AddressText.of(clientAddress));
        }
        String[] words = args.split(" +");
        String mechanism = words[0].toUpperCase(Locale.ROOT);
        authMethod = mechanism;
        String initial = words.length > 1 ? words[1] : null;
        switch (mechanism) {
            case "PLAIN" -> {
                if (initial == null) {
                    authStage = "PLAIN";
                    return Step.reply("334 ");
                }
                return plain(initial);
            }
            case "LOGIN" -> {
                if (initial == null) {
                    authStage = "LOGIN-USER";
                    return Step.reply("334 VXNlcm5hbWU6"); // "Username:"
                }
                return loginUser(initial);
            }
            default -> {
                return error("535 5.7.8 Error: authentication failed: unsupported mechanism");
            }
        }
    }

    private Step authResponse(String line) {
        String stage = authStage;
        authStage = null;
        if (line.equals("*")) {
            return error("501 5.7.0 Authentication aborted");
        }
        return switch (stage) {
            case "PLAIN" -> plain(line);
            case "LOGIN-USER" -> loginUser(line);
            default -> check(loginUser, line, true);
        };
    }

    private Step plain(String base64) {
        String decoded = decode(base64);
        String[] parts = decoded == null ? new String[0] : decoded.split("\u0000", -1);
        if (parts.length != 3) {
            return error("501 5.5.2 Error: malformed PLAIN response");
        }
        return check(parts[1], parts[2], false);
    }

    private Step loginUser(String base64) {
        String user = decode(base64);
        if (user == null) {
            return error("501 5.5.2 Error: malformed LOGIN response");
        }
        loginUser = user;
        authStage = "LOGIN-PASS";
        return Step.reply("334 UGFzc3dvcmQ6"); // "Password:"
    }

    private Step check(String user, String password, boolean base64) {
        String pass = base64 ? decode(password) : password;
        if (user == null || pass == null) {
            return error("501 5.5.2 Error: malformed response");
        }
        String method = authMethod;
        if (Printable.hasControl(user)) {
            errors++;
            meters.authFailure();
            log.warn(namaddr + ": SASL " + method + " authentication failed: control character in user name");
            return Step.reply("535 5.7.8 Error: authentication failed");
        }
        return Step.later(settings.auth().verify(user, pass).map(ok -> {
            if (ok) {
                authenticatedAs = user;
                succeeded("AUTH");
                return "235 2.7.0 Authentication successful";
            }
            errors++;
            meters.authFailure();
            log.warn(namaddr + ": SASL " + method + " authentication failed: authentication failure, sasl_username="
                    + user);
            return "535 5.7.8 Error: authentication failed";
        }));
    }

    private static String decode(String base64) {
        try {
            return new String(java.util.Base64.getDecoder().decode(base64), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private Step starttls(String line) {
        if (settings.tls() == null || tlsActive) {
            return error("502 5.5.1 Error: command not implemented");
        }
        if (!line.trim().equalsIgnoreCase("STARTTLS")) {
            return error("501 5.5.4 Syntax: STARTTLS");
        }
        return Step.then("220 2.0.0 Ready to start TLS", Action.START_TLS);
    }

    private Step mail(String line) {
        if (helo.isEmpty()) {
            return error("503 5.5.1 Error: send HELO/EHLO first");
        }
        if (settings.tlsRequired() && !tlsActive) {
            meters.reject(ListenerMeters.Reason.TLS_REQUIRED);
            return error("530 5.7.0 Must issue a STARTTLS command first");
        }
        if (sender != null) {
            return error("503 5.5.1 Error: nested MAIL command");
        }
        if (!limiter.allow(clientAddress, ClientLimiter.Event.MESSAGE)) {
            log.warn("Message delivery request rate limit exceeded: from " + namaddr + " for service smtpd");
            meters.reject(ListenerMeters.Reason.RATE_LIMIT);
            return error("450 4.7.1 Error: too much mail from " + io.postilion.dns.AddressText.of(clientAddress));
        }
        PathAndParameters pp = PathAndParameters.parse(line, "MAIL FROM:");
        if (pp == null) {
            return error("501 5.5.4 Syntax: MAIL FROM:<address>");
        }
        if (Printable.hasControl(pp.path())) {
            return reject("MAIL", "501 5.1.7 Bad sender address syntax", AddressQuoting.unquote(pp.path()), "");
        }
        BodyType body = BodyType.UNKNOWN;
        long declaredSize = 0;
        boolean utf8 = false;
        String env = "";
        Ret r = Ret.NONE;
        boolean requireTlsAsked = false;
        for (String[] p : pp.parameters()) {
            String key = p[0].toUpperCase(Locale.ROOT);
            String value = p[1];
            switch (key) {
                case "SIZE" -> {
                    long size;
                    try {
                        size = allDigits(value) ? Long.parseLong(value) : -1;
                    } catch (NumberFormatException e) {
                        size = -1;
                    }
                    if (size < 0) {
                        return error("501 5.5.4 Bad message size syntax");
                    }
                    if (settings.messageSizeLimit() > 0 && size > settings.messageSizeLimit()) {
                        return error("552 5.3.4 Message size exceeds fixed limit");
                    }
                    declaredSize = size;
                }
                case "BODY" -> {
                    String v = value == null ? "" : value.toUpperCase(Locale.ROOT);
                    if (v.equals("7BIT")) {
                        body = BodyType.SEVEN_BIT;
                    } else if (v.equals("8BITMIME")) {
                        body = BodyType.EIGHT_BIT;
                    } else {
                        return error("501 5.5.4 Unsupported BODY parameter");
                    }
                }
                case "SMTPUTF8" -> {
                    if (!settings.smtputf8().enabled()) { // smtputf8_enable = no: not offered, so not known
                        return error("555 5.5.4 Unsupported option: " + Printable.of(p[0]));
                    }
                    utf8 = true;
                }
                case "RET" -> {
                    String v = value == null ? "" : value.toUpperCase(Locale.ROOT);
                    if (!v.equals("FULL") && !v.equals("HDRS")) {
                        return error("501 5.5.4 Bad RET parameter syntax");
                    }
                    r = Ret.valueOf(v);
                }
                case "ENVID" -> {
                    String decoded = value == null ? null : Xtext.decode(value);
                    if (decoded == null || Printable.hasControl(decoded)) {
                        return error("501 5.5.4 Bad ENVID parameter syntax");
                    }
                    env = decoded;
                }
                case "REQUIRETLS" -> {
                    // TLS-19, RFC 8689: announced only over TLS, so only known there; it takes no value.
                    if (!settings.requireTls() || !tlsActive) {
                        return error("555 5.5.4 Unsupported option: " + Printable.of(p[0]));
                    }
                    if (value != null) {
                        return error("501 5.5.4 Bad REQUIRETLS parameter syntax");
                    }
                    requireTlsAsked = true;
                }
                case "AUTH" -> {
                    // The original submitter, for a trusted relay chain; not honoured, as Postfix
                    // without SASL does not either.
                }
                default -> {
                    return error("555 5.5.4 Unsupported option: " + Printable.of(p[0]));
                }
            }
        }
        if (!utf8 && !isAscii(pp.path())) {
            return error("553 5.6.7 Must declare SMTPUTF8 to send unicode address");
        }
        if (!sink.hasRoomFor(declaredSize)) { // queue_minfree, Postfix's smtpd_check_queue
            return reject("MAIL", "452 4.3.1 Insufficient system storage", AddressQuoting.unquote(pp.path()), "");
        }
        sender = AddressQuoting.unquote(pp.path()); // stored, delivered and logged in internal form
        bodyType = body;
        smtputf8 = utf8;
        envId = env;
        ret = r;
        requireTls = requireTlsAsked;
        queueId = sink.newQueueId();
        return Step.reply("250 2.1.0 Ok");
    }

    private Step rcpt(String line) {
        if (sender == null) {
            return error("503 5.5.1 Error: need MAIL command");
        }
        PathAndParameters pp = PathAndParameters.parse(line, "RCPT TO:");
        if (pp == null) {
            return error("501 5.5.4 Syntax: RCPT TO:<address>");
        }
        String address = AddressQuoting.unquote(pp.path());
        int at = address.lastIndexOf('@');
        if (address.isEmpty() || at <= 0 || at == address.length() - 1 || Printable.hasControl(address)) {
            return reject("RCPT", "501 5.1.3 Bad recipient address syntax", sender, address);
        }
        if (!smtputf8 && !isAscii(address)) {
            return error("553 5.6.7 Must declare SMTPUTF8 to send unicode address");
        }
        Set<Notify> notify = EnumSet.noneOf(Notify.class);
        String orcpt = "";
        for (String[] p : pp.parameters()) {
            String key = p[0].toUpperCase(Locale.ROOT);
            String value = p[1] == null ? "" : p[1];
            switch (key) {
                case "NOTIFY" -> {
                    for (String n : value.toUpperCase(Locale.ROOT).split(",")) {
                        try {
                            notify.add(Notify.valueOf(n));
                        } catch (IllegalArgumentException e) {
                            return error("501 5.5.4 Error: Bad NOTIFY parameter syntax");
                        }
                    }
                    if (notify.contains(Notify.NEVER) && notify.size() > 1) {
                        return error("501 5.5.4 Error: Bad NOTIFY parameter syntax");
                    }
                }
                case "ORCPT" -> {
                    int semi = value.indexOf(';');
                    String decoded = semi <= 0 ? null : Xtext.decode(value.substring(semi + 1));
                    if (decoded == null || Printable.hasControl(decoded) || Printable.hasControl(value.substring(0, semi))) {
                        return error("501 5.5.4 Error: Bad ORCPT parameter syntax");
                    }
                    orcpt = value.substring(0, semi) + ";" + decoded;
                }
                default -> {
                    return error("555 5.5.4 Unsupported option: " + Printable.of(p[0]));
                }
            }
        }
        if (!relayAllowed && authenticatedAs.isEmpty() && !settings.relayDomains().matches(address.substring(at + 1))) {
            return reject("RCPT", "554 5.7.1 <" + pp.path() + ">: Relay access denied", sender, address);
        }
        if (!limiter.allow(clientAddress, ClientLimiter.Event.RECIPIENT)) {
            log.warn("Recipient address rate limit exceeded: from " + namaddr + " for service smtpd");
            meters.reject(ListenerMeters.Reason.RATE_LIMIT);
            return error("450 4.7.1 Error: too many recipients from " + io.postilion.dns.AddressText.of(clientAddress));
        }
        if (recipients.size() >= settings.recipientLimit()) {
            return Step.reply("452 4.5.3 Error: too many recipients");
        }
        if (recipients.isEmpty()) {
            // smtpd opens the queue file (and names the client) at the first accepted recipient.
            log.info(queueId + ": client=" + namaddr + (authenticatedAs.isEmpty() ? ""
                    : ", sasl_method=" + authMethod + ", sasl_username=" + authenticatedAs));
        }
        recipients.add(new ReceivedMessage.Recipient(address, notify, orcpt));
        return Step.reply("250 2.1.5 Ok");
    }

    private Step data(String line) {
        if (!line.trim().equalsIgnoreCase("DATA")) {
            return error("501 5.5.4 Syntax: DATA");
        }
        if (sender == null) {
            return error("503 5.5.1 Error: need RCPT command");
        }
        if (recipients.isEmpty()) {
            return error("554 5.5.1 Error: no valid recipients");
        }
        if (inBdat) {
            return error("503 5.5.1 Error: DATA after BDAT");
        }
        return Step.then("354 End data with <CR><LF>.<CR><LF>", Action.READ_DATA);
    }

    /**
     * BDAT's chunk is always read, even when it will be refused, so client and server stay in step;
     * a chunk without a valid transaction is read and thrown away, never kept. A malformed BDAT
     * ends the session (521), since what follows would be content taken for commands.
     */
    private Step bdat(String line) {
        String[] words = line.trim().split(" +");
        long size;
        try {
            size = words.length >= 2 && allDigits(words[1]) ? Long.parseLong(words[1]) : -1;
        } catch (NumberFormatException e) {
            size = -1;
        }
        boolean last = words.length == 3 && words[2].equalsIgnoreCase("LAST");
        if (size < 0 || words.length > 3 || words.length == 3 && !last) {
            log.warn((queueId == null ? "NOQUEUE" : queueId) + ": malformed BDAT command syntax from " + namaddr + ": "
                    + line);
            errors++;
            return Step.then("521 5.5.4 Syntax: BDAT count [LAST]", Action.CLOSE);
        }
        if (sender == null || recipients.isEmpty() || size == 0 && !last) {
            bdatFailed = true;
        }
        inBdat = true;
        return Step.bdat(size, last, bdatFailed);
    }

    /** After a BDAT chunk that is not the last: its reply. */
    Step bdatChunkDone(long size) {
        if (bdatFailed) {
            String why = bdatFailure(size);
            if (sender == null) {
                inBdat = false; // nothing to keep: the next BDAT is judged afresh
                bdatFailed = false;
            }
            return error(why);
        }
        succeeded("BDAT");
        return Step.reply("250 2.0.0 Ok: " + size + " bytes");
    }

    private String bdatFailure(long size) {
        if (sender == null) {
            return "503 5.5.1 Error: need MAIL command";
        }
        if (recipients.isEmpty()) {
            return "554 5.5.1 Error: no valid recipients";
        }
        return size == 0 ? "551 5.7.1 Null BDAT request" : "551 5.0.0 Discarded " + size + " bytes after earlier error";
    }

    /**
     * The end of the message (DATA's dot or BDAT LAST): checks it and hands it to the sink. The
     * reply comes when the sink has made it durable; the transaction is over either way.
     */
    Mono<String> endOfMessage(ContentReader reader) {
        where = inBdat ? "BDAT" : "END-OF-MESSAGE";
        try {
            if (bdatFailed || reader == null) {
                String reply = bdatFailure(reader == null ? 0 : reader.size());
                errors++;
                return Mono.just(reply);
            }
            if (reader.oversize()) {
                return Mono.just("552 5.3.4 Error: message file too big");
            }
            if (reader.sawBareNewline() && bareNewline == BareNewlinePolicy.REJECT) {
                return Mono.just("550 5.5.2 Error: bare <LF> received");
            }
            byte[] content = reader.content();
            // Postfix's cleanup counts smtpd's own Received: header too, and refuses at the limit.
            if (ReceivedHeader.hops(content) + 1 >= settings.hopcountLimit()) {
                log.warn(queueId + ": message rejected: hopcount exceeded");
                return Mono.just("554 5.4.6 Error: too many hops");
            }
            ReceivedMessage.Client client = new ReceivedMessage.Client(io.postilion.dns.AddressText.of(clientAddress), helo, tlsActive,
                    authenticatedAs);
            byte[] stamped = ReceivedHeader.prepend(content, client, settings.hostname(), esmtp, queueId,
                    recipients.size() == 1 ? AddressQuoting.quote(recipients.get(0).address()) : "", clock); // external, as smtpd writes it
            // DATA-20: SMTPUTF8 as the client declared it, or autodetected for the smtpd class
            boolean headersUtf8 = Smtputf8Settings.headersUtf8(content);
            boolean utf8 = settings.smtputf8().requested(Smtputf8Settings.Source.SMTPD, smtputf8, sender,
                    recipients.stream().map(ReceivedMessage.Recipient::address).toList(), headersUtf8);
            ReceivedMessage message = new ReceivedMessage(queueId, sender, recipients, bodyType, utf8, envId, ret,
                    stamped, client, clock.instant(), headersUtf8, TlsRequest.of(requireTls, content));
            String id = queueId;
            String counted = inBdat ? "BDAT" : "DATA";
            return sink.accept(message)
                    .timeout(settings.sinkTimeout())
                    .then(Mono.fromSupplier(() -> {
                        // A delivered message forgives earlier errors and junk, as smtpd does.
                        errors = 0;
                        junk = 0;
                        if (counted.equals("DATA")) {
                            succeeded("DATA");
                        }
                        return "250 2.0.0 Ok: queued as " + id;
                    }))
                    .onErrorResume(e -> {
                        log.warn(id + ": queue file write error from " + namaddr + ": " + e);
                        return Mono.just("451 4.3.0 Error: queue file write error");
                    });
        } finally {
            reset();
        }
    }

    private Step error(String reply) {
        errors++;
        return Step.reply(reply);
    }

    /** A refused MAIL or RCPT, with the NOQUEUE log line smtpd writes for it. */
    private Step reject(String command, String reply, String from, String to) {
        meters.reject(reply.startsWith("554 5.7.1") ? ListenerMeters.Reason.RELAY_DENIED
                : reply.startsWith("452 4.3.1") ? ListenerMeters.Reason.STORAGE : ListenerMeters.Reason.BAD_ADDRESS);
        log.info((recipients.isEmpty() ? "NOQUEUE" : queueId) + ": reject: " + command + " from " + namaddr + ": " + reply
                + "; from=<" + (from == null ? "" : settings.logFormat().address(from)) + ">"
                + (to.isEmpty() && command.equals("MAIL") ? "" : " to=<" + settings.logFormat().address(to) + ">")
                + " proto=" + (esmtp ? "ESMTP" : "SMTP") + " helo=<" + helo + ">");
        return error(reply);
    }

    private static boolean allDigits(String s) {
        if (s == null || s.isEmpty() || s.length() > 18) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private void reset() {
        queueId = null;
        sender = null;
        bodyType = BodyType.UNKNOWN;
        smtputf8 = false;
        envId = "";
        ret = Ret.NONE;
        requireTls = false;
        recipients.clear();
        bdatFailed = false;
        inBdat = false;
    }

    private static String verb(String line) {
        int sp = line.indexOf(' ');
        return (sp < 0 ? line : line.substring(0, sp)).trim().toUpperCase(Locale.ROOT);
    }

    private static String argument(String line, String verb) {
        return line.length() > verb.length() ? line.substring(verb.length()).trim() : "";
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
