package io.postilion.engine.cli;

import io.postilion.engine.agent.AgentConfiguration;
import io.postilion.engine.agent.DeliveryAgent;
import io.postilion.engine.delivery.DeliveryFlag;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.Recipient;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.protocol.BodyType;
import io.postilion.transport.protocol.Ret;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * {@code postilion send}: delivers one message once, as Postfix's smtp(8)/lmtp(8) would, and
 * prints one Postfix-style line per recipient.
 *
 * <pre>
 * postilion send --from SENDER --to RCPT [--to RCPT ...] --nexthop DEST [--lmtp] [--verify]
 *                [--flags LETTERS] [--config FILE] [-o name=value ...] [FILE|-]
 * </pre>
 *
 * <p>Exit status: 0 when every recipient was sent, 69 (EX_UNAVAILABLE) when any bounced, 75
 * (EX_TEMPFAIL) when any was deferred and none bounced, 64 for a misused command line, 66 for an
 * unreadable message, 78 for bad configuration. With {@code --verify} the recipients are probed
 * (MISC-1) and no message is read or sent: 0 when all are deliverable, 69 when any was refused
 * permanently, 75 when any only for now.
 */
final class SendCommand {

    static final int EX_UNAVAILABLE = 69;
    static final int EX_TEMPFAIL = 75;

    private String from;
    private final List<String> to = new ArrayList<>();
    private String nexthop;
    private boolean lmtp;
    private Path config;
    private final List<String> overrides = new ArrayList<>();
    private String messageFile = "-";
    private Set<DeliveryFlag> flags = Set.of();
    private boolean verify;

    static final String HELP = String.join("\n",
            "usage: postilion send --from SENDER --to RCPT [--to RCPT ...] --nexthop DEST [--lmtp] [--verify]",
            "                      [--flags LETTERS] [--config FILE] [-o name=value ...] [FILE|-]",
            "Delivers one message once, as Postfix's smtp(8) or lmtp(8) would, and prints one line per recipient.",
            "  --from SENDER     envelope sender ('' for the null sender)",
            "  --to RCPT         envelope recipient; repeat for more",
            "  --nexthop DEST    domain, domain:port, [host], [host]:port, a list; with --lmtp also",
            "                    inet:host[:port] or unix:/path",
            "  --lmtp            speak LMTP and read the lmtp_* parameters",
            "  --verify          probe the recipients (address verification), send no message; the",
            "                    probe stops as smtp_address_verify_target says (rcpt: RSET after RCPT)",
            "  --flags LETTERS   master.cf flags= letters: D (prepend Delivered-To, refuse loops), O (prepend",
            "                    X-Original-To), R (prepend Return-Path), X (final delivery, LMTP); D and O",
            "                    need a single --to",
            "  --config FILE     a main.cf with Postfix parameter names (default: built-in defaults)",
            "  -o name=value     override one parameter; repeat for more",
            "  FILE | -          the message (default: standard input)",
            "Exit status: 0 all sent, 69 any bounced, 75 any deferred (none bounced), 64 usage, 66 unreadable",
            "message, 78 bad configuration. With --verify: 0 all deliverable, 69 any refused permanently,",
            "75 any refused for now.");

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                out.println(HELP);
                return Main.EX_OK;
            }
        }
        SendCommand cmd = new SendCommand();
        String problem = cmd.parse(args);
        if (problem != null) {
            err.println("postilion send: " + problem + " (postilion send --help for usage)");
            return Main.EX_USAGE;
        }
        try {
            return cmd.send(in, out, err);
        } catch (ConfigurationException e) {
            err.println("postilion send: " + e.getMessage());
            return e.exitStatus();
        } catch (IOException e) {
            err.println("postilion send: cannot read the message from " + cmd.messageFile + ": " + e.getMessage());
            return Main.EX_NOINPUT;
        }
    }

    private String parse(String[] args) {
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            boolean hasValue = i + 1 < args.length;
            switch (a) {
                case "--from" -> {
                    if (!hasValue) {
                        return "--from needs a value";
                    }
                    from = args[++i];
                }
                case "--to" -> {
                    if (!hasValue) {
                        return "--to needs a value";
                    }
                    to.add(args[++i]);
                }
                case "--nexthop" -> {
                    if (!hasValue) {
                        return "--nexthop needs a value";
                    }
                    nexthop = args[++i];
                }
                case "--config" -> {
                    if (!hasValue) {
                        return "--config needs a value";
                    }
                    config = Path.of(args[++i]);
                }
                case "-o" -> {
                    if (!hasValue) {
                        return "-o needs name=value";
                    }
                    overrides.add(args[++i]);
                }
                case "--lmtp" -> lmtp = true;
                case "--verify" -> verify = true;
                case "--flags" -> {
                    if (!hasValue) {
                        return "--flags needs a value";
                    }
                    try {
                        flags = DeliveryFlag.parse(args[++i]);
                    } catch (IllegalArgumentException e) {
                        return "--flags: " + e.getMessage();
                    }
                }
                default -> {
                    if (a.startsWith("-") && !a.equals("-")) {
                        return "unknown option " + a;
                    }
                    if (i != args.length - 1) {
                        return "the message file must be the last argument";
                    }
                    messageFile = a;
                }
            }
        }
        if (from == null) {
            return "--from is required (use --from '' for the null sender)";
        }
        if (to.isEmpty()) {
            return "at least one --to is required";
        }
        if (nexthop == null) {
            return "--nexthop is required";
        }
        return null;
    }

    private int send(InputStream in, PrintStream out, PrintStream err) throws IOException {
        Configuration cfg = config != null ? ConfigurationLoader.load(config, overrides)
                : ConfigurationLoader.fromText("", "(built-in defaults)", overrides);
        cfg.warnings().forEach(w -> err.println("postilion send: warning: " + w.message()));
        Configuration base = cfg;
        cfg = lmtp ? cfg.forLmtp() : cfg.forSmtp();
        byte[] message = verify ? "Subject: address verification\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)
                : messageFile.equals("-") ? in.readAllBytes() : Files.readAllBytes(Path.of(messageFile));
        DeliveryAgent agent = AgentConfiguration.agent(cfg, Clock.systemUTC()).bestMxHandoff(handoff(base));
        Instant now = Instant.now();
        // DATA-20: a local submission asks for SMTPUTF8 only by autodetection (the sendmail class,
        // or verify for a probe), and only with smtputf8_enable on
        var utf8 = io.postilion.engine.config.Smtputf8Settings.from(base);
        boolean headersUtf8 = utf8.enabled() && io.postilion.engine.config.Smtputf8Settings.headersUtf8(message);
        boolean requested = utf8.requested(verify ? io.postilion.engine.config.Smtputf8Settings.Source.VERIFY
                : io.postilion.engine.config.Smtputf8Settings.Source.SENDMAIL, false, from, to, headersUtf8);
        DeliveryRequest request = new DeliveryRequest(queueId(), from, java.util.stream.IntStream.range(0, to.size())
                .mapToObj(i -> Recipient.of(i, to.get(i))).toList(),
                ContentSource.of(message), bodyType(message), requested, headersUtf8, nexthop, "", Ret.NONE, now, now, flags,
                verify, io.postilion.transport.protocol.ClientOrigin.LOCAL,
                io.postilion.engine.delivery.TlsRequest.of(false, message)); // TLS-20: the header of a local submission
        DeliveryReport report = agent.deliver(request).block(Duration.ofHours(2));
        boolean deferred = false;
        boolean bounced = false;
        for (var t : report.transcripts()) {
            // LOG-9: no queue to post it to, so the postmaster's transcript goes to standard error.
            err.println("postilion send: transcript for " + t.recipient() + ": " + t.subject(lmtp));
            t.lines().forEach(line -> err.println("    " + line));
        }
        for (RecipientResult r : report.results()) {
            out.println(io.postilion.engine.agent.DeliveryLog.line(report.queueId(), r, report.timings(),
                    agent.logFormat()));
            boolean undeliverable = r.outcome() == Outcome.UNDELIVERABLE || r.outcome() == Outcome.UNDELIVERABLE_NOT_CACHED;
            deferred |= r.outcome().staysQueued() || undeliverable && r.status().isTransient();
            bounced |= r.outcome() == Outcome.BOUNCED || undeliverable && r.status().isPermanent();
        }
        return bounced ? EX_UNAVAILABLE : deferred ? EX_TEMPFAIL : Main.EX_OK;
    }

    /** MISC-2: best_mx_transport may name smtp or lmtp, each built from the same configuration. */
    private static io.postilion.engine.agent.BestMxHandoff handoff(Configuration base) {
        return (transport, nexthop, request) -> switch (transport) {
            case "smtp", "lmtp" -> reactor.core.publisher.Mono.defer(() -> {
                DeliveryAgent other = AgentConfiguration.agent(transport.equals("lmtp") ? base.forLmtp() : base.forSmtp(),
                        Clock.systemUTC());
                return other.deliver(request.withNexthop(nexthop)).doFinally(sig -> other.close());
            });
            default -> reactor.core.publisher.Mono.empty();
        };
    }

    /** 8bit when any byte has the high bit set; the send command has no MIME declaration to go by. */
    private static BodyType bodyType(byte[] message) {
        for (byte b : message) {
            if (b < 0) {
                return BodyType.EIGHT_BIT;
            }
        }
        return BodyType.SEVEN_BIT;
    }

    private static String queueId() {
        byte[] id = new byte[5];
        new SecureRandom().nextBytes(id);
        return HexFormat.of().withUpperCase().formatHex(id);
    }
}
