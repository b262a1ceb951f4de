package io.postilion.engine.listener;

import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Notify;
import io.postilion.transport.protocol.Ret;
import io.postilion.transport.protocol.Xtext;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * The listener's side of one SMTP conversation, without any I/O: a command line in, a reply and
 * what the connection must do next out. Keeping the protocol here and the bytes in
 * {@link SmtpServerHandler} lets the rules (relay control, limits, DSN parameters) be tested
 * line by line.
 */
final class ServerSession {

    /** What the connection does after sending the reply. */
    enum Action { NONE, READ_DATA, READ_BDAT, START_TLS, CLOSE, WAIT }

    /**
     * A reply (null for none yet) and the next action; for READ_BDAT the chunk size and LAST; for
     * WAIT the reply that comes later (AUTH's password check runs off the event loop).
     */
    record Step(String reply, Action action, long bdatSize, boolean bdatLast, Mono<String> later) {
        Step(String reply, Action action, long bdatSize, boolean bdatLast) {
            this(reply, action, bdatSize, bdatLast, null);
        }

        static Step reply(String text) {
            return new Step(text, Action.NONE, 0, false);
        }

        static Step then(String text, Action action) {
            return new Step(text, action, 0, false);
        }

        static Step later(Mono<String> reply) {
            return new Step(null, Action.WAIT, 0, false, reply);
        }
    }

    private final ListenerSettings settings;
    private final MessageSink sink;
    private final InetAddress clientAddress;
    private final boolean relayAllowed;
    private final Clock clock;

    private String helo = "";
    private boolean esmtp;
    private boolean tlsActive;
    private int errors;
    private String authenticatedAs = "";
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
    private final List<ReceivedMessage.Recipient> recipients = new ArrayList<>();
    private boolean bdatFailed;
    private boolean inBdat;

    ServerSession(ListenerSettings settings, MessageSink sink, InetAddress clientAddress, Clock clock) {
        this.settings = settings;
        this.sink = sink;
        this.clientAddress = clientAddress;
        this.relayAllowed = settings.mynetworks().contains(clientAddress);
        this.clock = clock;
    }

    String greeting() {
        return "220 " + settings.banner();
    }

    void tlsStarted() {
        tlsActive = true;
        helo = "";
        esmtp = false;
        reset();
    }

    /** One command line, without its line end (or, during AUTH, the client's response). */
    Step command(String line) {
        if (authStage != null) {
            return authResponse(line.trim());
        }
        String verb = verb(line);
        Step step = switch (verb) {
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
        if (errors >= settings.hardErrorLimit() && step.action() != Action.CLOSE) {
            return Step.then("421 4.7.0 " + settings.hostname() + " Error: too many errors", Action.CLOSE);
        }
        return step;
    }

    /** A command line longer than line_length_limit: its text was not kept. */
    Step lineTooLong() {
        return error("500 5.5.2 Error: line too long");
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
        helo = name;
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
        lines.add("SMTPUTF8");
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
        String[] words = args.split(" +");
        String mechanism = words[0].toUpperCase(Locale.ROOT);
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
        return Step.later(settings.auth().verify(user, pass).map(ok -> {
            if (ok) {
                authenticatedAs = user;
                return "235 2.7.0 Authentication successful";
            }
            errors++;
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
        if (sender != null) {
            return error("503 5.5.1 Error: nested MAIL command");
        }
        PathAndParameters pp = PathAndParameters.parse(line, "MAIL FROM:");
        if (pp == null) {
            return error("501 5.5.4 Syntax: MAIL FROM:<address>");
        }
        BodyType body = BodyType.UNKNOWN;
        boolean utf8 = false;
        String env = "";
        Ret r = Ret.NONE;
        for (String[] p : pp.parameters()) {
            String key = p[0].toUpperCase(Locale.ROOT);
            String value = p[1];
            switch (key) {
                case "SIZE" -> {
                    long size;
                    try {
                        size = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        return error("501 5.5.4 Bad message size syntax");
                    }
                    if (settings.messageSizeLimit() > 0 && size > settings.messageSizeLimit()) {
                        return error("552 5.3.4 Message size exceeds fixed limit");
                    }
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
                case "SMTPUTF8" -> utf8 = true;
                case "RET" -> {
                    String v = value == null ? "" : value.toUpperCase(Locale.ROOT);
                    if (!v.equals("FULL") && !v.equals("HDRS")) {
                        return error("501 5.5.4 Bad RET parameter syntax");
                    }
                    r = Ret.valueOf(v);
                }
                case "ENVID" -> {
                    String decoded = value == null ? null : Xtext.decode(value);
                    if (decoded == null) {
                        return error("501 5.5.4 Bad ENVID parameter syntax");
                    }
                    env = decoded;
                }
                case "AUTH" -> {
                    // The original submitter, for a trusted relay chain; not honoured, as Postfix
                    // without SASL does not either.
                }
                default -> {
                    return error("555 5.5.4 Unsupported option: " + p[0]);
                }
            }
        }
        if (!utf8 && !isAscii(pp.path())) {
            return error("553 5.6.7 Must declare SMTPUTF8 to send unicode address");
        }
        sender = pp.path();
        bodyType = body;
        smtputf8 = utf8;
        envId = env;
        ret = r;
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
        String address = pp.path();
        int at = address.lastIndexOf('@');
        if (address.isEmpty() || at <= 0 || at == address.length() - 1) {
            return error("501 5.1.3 Bad recipient address syntax");
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
                    if (decoded == null) {
                        return error("501 5.5.4 Error: Bad ORCPT parameter syntax");
                    }
                    orcpt = value.substring(0, semi) + ";" + decoded;
                }
                default -> {
                    return error("555 5.5.4 Unsupported option: " + p[0]);
                }
            }
        }
        if (!relayAllowed && authenticatedAs.isEmpty()) {
            return error("554 5.7.1 <" + address + ">: Relay access denied");
        }
        if (recipients.size() >= settings.recipientLimit()) {
            return Step.reply("452 4.5.3 Error: too many recipients");
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

    /** BDAT's chunk is always read, even when it will be refused, so client and server stay in step. */
    private Step bdat(String line) {
        String[] words = line.trim().split(" +");
        long size;
        try {
            size = words.length >= 2 ? Long.parseLong(words[1]) : -1;
        } catch (NumberFormatException e) {
            size = -1;
        }
        boolean last = words.length == 3 && words[2].equalsIgnoreCase("LAST");
        if (size < 0 || words.length > 3 || words.length == 3 && !last) {
            return Step.then("501 5.5.4 Syntax: BDAT count [LAST]", Action.CLOSE);
        }
        if (sender == null || recipients.isEmpty()) {
            bdatFailed = true;
        }
        inBdat = true;
        return new Step(null, Action.READ_BDAT, size, last);
    }

    /** After a BDAT chunk that is not the last: its reply. */
    Step bdatChunkDone(long size) {
        if (bdatFailed) {
            return error(sender == null ? "503 5.5.1 Error: need MAIL command" : "554 5.5.1 Error: no valid recipients");
        }
        return Step.reply("250 2.0.0 Ok: " + size + " bytes");
    }

    /**
     * The end of the message (DATA's dot or BDAT LAST): checks it and hands it to the sink. The
     * reply comes when the sink has made it durable; the transaction is over either way.
     */
    Mono<String> endOfMessage(ContentReader reader) {
        try {
            if (bdatFailed) {
                String reply = sender == null ? "503 5.5.1 Error: need MAIL command" : "554 5.5.1 Error: no valid recipients";
                errors++;
                return Mono.just(reply);
            }
            if (reader.oversize()) {
                return Mono.just("552 5.3.4 Error: message file too big");
            }
            if (reader.sawBareNewline() && settings.bareNewline() == BareNewlinePolicy.REJECT) {
                return Mono.just("550 5.5.2 Error: bare <LF> received");
            }
            byte[] content = reader.content();
            if (ReceivedHeader.hops(content) > settings.hopcountLimit()) {
                return Mono.just("554 5.4.6 Error: too many hops");
            }
            ReceivedMessage.Client client = new ReceivedMessage.Client(clientAddress.getHostAddress(), helo, tlsActive,
                    authenticatedAs);
            byte[] stamped = ReceivedHeader.prepend(content, client, settings.hostname(), esmtp, queueId,
                    recipients.size() == 1 ? recipients.get(0).address() : "", clock);
            ReceivedMessage message = new ReceivedMessage(queueId, sender, recipients, bodyType, smtputf8, envId, ret,
                    stamped, client, clock.instant());
            String id = queueId;
            return sink.accept(message)
                    .then(Mono.fromSupplier(() -> "250 2.0.0 Ok: queued as " + id))
                    .onErrorResume(e -> Mono.just("451 4.3.0 Error: queue file write error"));
        } finally {
            reset();
        }
    }

    private Step error(String reply) {
        errors++;
        return Step.reply(reply);
    }

    private void reset() {
        queueId = null;
        sender = null;
        bodyType = BodyType.UNKNOWN;
        smtputf8 = false;
        envId = "";
        ret = Ret.NONE;
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
