package io.postilion.engine.rewrite;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.postilion.transport.content.ContentSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The step before connecting (DATA-22..31): decides what goes on the wire for one request, or
 * refuses it. In order:
 * <ol>
 * <li>DATA-23: D or O with more than one recipient defers the request (4.3.5, with a warning to
 *     set {@code <transport>_destination_recipient_limit = 1});</li>
 * <li>DATA-26: the envelope sender and recipients are mapped with smtp_generic_maps;</li>
 * <li>when anything rewrites the content (a flag D, O or R, generic maps, a check table), the
 *     content is read once, off the event loops, to apply the checks and log their actions, find
 *     the Delivered-To headers for DATA-24 and learn the new size; DATA-31 and lookup errors end
 *     the request here. What is sent is then streamed again from the stored content.</li>
 * </ol>
 * Otherwise the stored content passes through untouched. Nothing here ever connects.
 */
public final class MessagePreparation {

    /**
     * One request as this step sees it.
     *
     * @param queueId for log lines
     * @param sender the envelope sender, empty for the null sender
     * @param recipients the envelope recipients, in request order
     * @param originalRecipients each recipient before rewriting, empty when unknown (the O flag)
     * @param content the stored content
     * @param returnPath flag R
     * @param originalTo flag O
     * @param deliveredTo flag D
     */
    public record Request(String queueId, String sender, List<String> recipients, List<String> originalRecipients,
            ContentSource content, boolean returnPath, boolean originalTo, boolean deliveredTo) {
        public Request {
            Objects.requireNonNull(queueId, "queueId");
            Objects.requireNonNull(sender, "sender");
            recipients = List.copyOf(recipients);
            originalRecipients = List.copyOf(originalRecipients);
            Objects.requireNonNull(content, "content");
        }
    }

    /** DATA-23's status and text. */
    public static final String MULTI_RECIPIENT_STATUS = "4.3.5";
    public static final String MULTI_RECIPIENT_TEXT = "mail system configuration error";

    private final RewriteSettings settings;
    private final RewriteLog log;

    public MessagePreparation(RewriteSettings settings, RewriteLog log) {
        this.settings = settings;
        this.log = log;
    }

    /** Whether the content of a request with these flags must be read and rewritten. */
    public boolean rewritesContent(boolean returnPath, boolean originalTo, boolean deliveredTo) {
        return returnPath || originalTo || deliveredTo || settings.hasGenericMaps() || settings.hasChecks();
    }

    /** Prepares one request; the Mono never errors for a problem with the message. */
    public Mono<Preparation> prepare(Request r) {
        return Mono.defer(() -> {
            if ((r.deliveredTo() || r.originalTo()) && r.recipients().size() > 1) {
                log.warn("flag `" + (r.deliveredTo() ? "D" : "O") + "' requires " + settings.service()
                        + "_destination_recipient_limit = 1");
                return Mono.just(new Preparation.Refused(MULTI_RECIPIENT_STATUS, MULTI_RECIPIENT_TEXT));
            }
            GenericMapping mapping = new GenericMapping(settings, log);
            String sender;
            List<String> recipients = new ArrayList<>(r.recipients().size());
            List<String> headers;
            try {
                sender = mapping.apply(r.sender());
                for (String rcpt : r.recipients()) {
                    recipients.add(mapping.apply(rcpt));
                }
                String orig = r.originalRecipients().isEmpty() ? "" : r.originalRecipients().get(0);
                headers = PrependedHeaders.lines(r.returnPath(), r.originalTo(), r.deliveredTo(), r.sender(), orig,
                        r.recipients().get(0), mapping);
            } catch (TableLookupException e) {
                RewrittenContent.ContentFailure f = RewrittenContent.ContentFailure.of(e);
                return Mono.just(new Preparation.Refused(f.status(), f.reason()));
            }
            if (!rewritesContent(r.returnPath(), r.originalTo(), r.deliveredTo())) {
                return Mono.just(new Preparation.Ready(r.content(), sender, recipients));
            }
            return readOnce(r, headers, mapping).map(size -> {
                if (size.loop()) {
                    return (Preparation) new Preparation.Refused(DeliveredToLoop.STATUS,
                            DeliveredToLoop.reason(r.recipients().get(0)));
                }
                RewriteSettings s = settings;
                String queueId = r.queueId();
                ContentSource content = new RewrittenContent(r.content(), size.bytes(), () -> new MessageRewriter(s,
                        headers, new ContentChecks(s, queueId, RewriteLog.silent()),
                        new GenericMapping(s, RewriteLog.silent())));
                return new Preparation.Ready(content, sender, recipients);
            }).onErrorResume(e -> {
                RewrittenContent.ContentFailure f = RewrittenContent.ContentFailure.of(e);
                if (f.status().equals("5.3.0")) {
                    log.warn(r.queueId() + ": unreadable mail queue entry: " + e);
                }
                return Mono.just(new Preparation.Refused(f.status(), f.reason()));
            });
        });
    }

    private record FirstPass(long bytes, boolean loop) {
    }

    /** The logged pass: applies everything once, counts the output, finds a Delivered-To loop. */
    private Mono<FirstPass> readOnce(Request r, List<String> headers, GenericMapping mapping) {
        return Mono.defer(() -> {
            MessageRewriter rewriter = new MessageRewriter(settings, headers,
                    new ContentChecks(settings, r.queueId(), log), mapping);
            long[] in = new long[1];
            long[] out = new long[1];
            ContentSource counted = new ContentSource() {
                @Override
                public long size() {
                    return r.content().size();
                }

                @Override
                public reactor.core.publisher.Flux<ByteBuf> open(ByteBufAllocator alloc) {
                    return r.content().open(alloc).doOnNext(b -> in[0] += b.readableBytes());
                }
            };
            return RewrittenContent.stream(counted, ByteBufAllocator.DEFAULT, rewriter)
                    .doOnNext(b -> {
                        out[0] += b.readableBytes();
                        b.release();
                    })
                    .then(Mono.fromCallable(() -> {
                        if (in[0] != r.content().size()) {
                            // the stored size no longer matches what is stored: the entry is damaged
                            throw new IllegalStateException("content size " + in[0] + " differs from the recorded "
                                    + r.content().size());
                        }
                        boolean loop = r.deliveredTo()
                                && DeliveredToLoop.loops(rewriter.deliveredTo(), mapping.apply(r.recipients().get(0)));
                        return new FirstPass(out[0], loop);
                    }));
        }).subscribeOn(Schedulers.boundedElastic());
    }
}
