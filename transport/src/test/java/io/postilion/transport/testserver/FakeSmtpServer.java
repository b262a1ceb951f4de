package io.postilion.transport.testserver;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * A scriptable SMTP/LMTP server on loopback for tests: replies per stage (or per command line),
 * capability lists, delays, disconnects, byte trickling, LMTP per-recipient replies after the
 * dot, and a transcript of everything that crossed the wire, including the exact content bytes.
 *
 * <p>The transcript interleaves client lines ({@code C: }) and server replies ({@code S: }) in the
 * order the server saw and sent them, so a test can prove pipelining: with the MAIL reply delayed,
 * every pipelined command appears before the first {@code S: 250}.
 */
public final class FakeSmtpServer implements AutoCloseable {

    /** The stages a script can answer; the keys of {@link #reply}. */
    public enum Stage { GREETING, EHLO, HELO, LHLO, MAIL, RCPT, DATA, DOT, BDAT, RSET, QUIT, NOOP, STARTTLS, XFORWARD, AUTH, OTHER }

    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final io.netty.channel.group.ChannelGroup children =
            new io.netty.channel.group.DefaultChannelGroup(io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);

    private final Map<Stage, BiFunction<String, Session, String>> replies = new ConcurrentHashMap<>();
    private final Map<Stage, Duration> delays = new ConcurrentHashMap<>();
    private final Map<Stage, Boolean> dropAfter = new ConcurrentHashMap<>();
    private volatile List<String> capabilities = List.of("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES");
    private volatile boolean lmtp;
    private volatile boolean stallContent;
    private volatile boolean startTls;
    private volatile boolean wrapperMode;
    private volatile String injection;
    /** Accept STARTTLS, then answer the client's TLS hello with bytes that are not TLS (TLS-10). */
    private volatile boolean brokenTls;
    /**
     * Stages at which a TLS session (never a plaintext one) is dropped without a reply (TLS-12),
     * with the first occurrence over TLS (counted across sessions) that is dropped.
     */
    private final Map<Stage, Integer> dropTlsAt = new ConcurrentHashMap<>();
    private final Map<Stage, java.util.concurrent.atomic.AtomicInteger> tlsStageCounts = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger closeNotifies = new java.util.concurrent.atomic.AtomicInteger();
    /** The server's TLS context; null for the shared self-signed fake.test one. */
    private volatile io.netty.handler.ssl.SslContext tlsContext;
    private volatile String contentReject;
    private volatile Duration trickle;
    private volatile BiFunction<String, Integer, String> lmtpDotReply = (rcpt, i) -> "250 2.0.0 <" + rcpt + "> delivered";

    private final List<String> transcript = new CopyOnWriteArrayList<>();
    private final List<byte[]> contents = new CopyOnWriteArrayList<>();
    private final List<byte[]> reads = new CopyOnWriteArrayList<>();
    private final List<InetSocketAddress> clients = new CopyOnWriteArrayList<>();
    private volatile int sessions;
    private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger peakOpen = new java.util.concurrent.atomic.AtomicInteger();

    private FakeSmtpServer(java.net.SocketAddress bindTo) throws InterruptedException {
        boolean unix = bindTo instanceof io.netty.channel.unix.DomainSocketAddress;
        group = new MultiThreadIoEventLoopGroup(1, unix ? io.netty.channel.epoll.EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(unix ? io.netty.channel.epoll.EpollServerDomainSocketChannel.class : NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        children.add(ch);
                        if (wrapperMode) {
                            ch.pipeline().addLast("tls", recordingSni(serverTls().newHandler(ch.alloc())));
                        }
                        ch.pipeline().addLast(new Session());
                    }
                });
        serverChannel = b.bind(bindTo).sync().channel();
    }

    /** A server on an ephemeral port of 127.0.0.1. */
    public static FakeSmtpServer start() {
        return start(new InetSocketAddress("127.0.0.1", 0));
    }

    /** A server on a chosen loopback address and port (several MX hosts on one port, 127.0.0.2, .3, ...). */
    public static FakeSmtpServer start(String host, int port) {
        return start(new InetSocketAddress(host, port));
    }

    /** A server on a UNIX-domain socket at {@code path} (Netty's native epoll transport). */
    public static FakeSmtpServer startUnix(java.nio.file.Path path) {
        return start(new io.netty.channel.unix.DomainSocketAddress(path.toFile()));
    }

    private static FakeSmtpServer start(java.net.SocketAddress bindTo) {
        try {
            return new FakeSmtpServer(bindTo);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public int port() {
        return address().getPort();
    }

    /** Speak LMTP: greet for LHLO, and after the dot answer once per accepted recipient. */
    public FakeSmtpServer lmtp(boolean on) {
        this.lmtp = on;
        return this;
    }

    /** The EHLO/LHLO keywords announced after the server name line. */
    public FakeSmtpServer capabilities(String... keywords) {
        this.capabilities = List.of(keywords);
        return this;
    }

    /** A fixed reply (one or more lines joined by CRLF, without the final CRLF) for a stage. */
    public FakeSmtpServer reply(Stage stage, String reply) {
        replies.put(stage, (line, s) -> reply);
        return this;
    }

    /** A reply computed from the command line, e.g. to refuse one recipient of several. */
    public FakeSmtpServer reply(Stage stage, BiFunction<String, Session, String> reply) {
        replies.put(stage, reply);
        return this;
    }

    /** The LMTP reply after the dot for the i-th accepted recipient. */
    public FakeSmtpServer lmtpDotReply(BiFunction<String, Integer, String> reply) {
        this.lmtpDotReply = reply;
        return this;
    }

    /** Wait this long before answering at a stage (the client's timer for that stage runs). */
    public FakeSmtpServer delay(Stage stage, Duration delay) {
        delays.put(stage, delay);
        return this;
    }

    /** Close the connection after answering at this stage ({@code reply} may be null for none). */
    public FakeSmtpServer dropAfter(Stage stage) {
        dropAfter.put(stage, true);
        return this;
    }

    /** Stop reading once the 354 is sent: the client's content writes stall (smtp_data_xfer_timeout). */
    public FakeSmtpServer stallContent() {
        this.stallContent = true;
        return this;
    }

    /** Answer with {@code reply} and hang up as soon as content arrives (XFER-28's premature 5xx). */
    public FakeSmtpServer rejectDuringContent(String reply) {
        this.contentReject = reply;
        return this;
    }

    /** Offer STARTTLS and do TLS with a certificate made at test time. */
    public FakeSmtpServer startTls(boolean on) {
        TestCertificates.serverContext(); // made here: key generation reads /dev/urandom, not for an event loop
        this.startTls = on;
        return this;
    }

    /**
     * Present this context's certificate (made by the test, e.g. one a test CA signed for chosen
     * names) instead of the shared self-signed one.
     */
    private final List<String> serverNames = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The SNI name each TLS handshake asked for, in order; "" for one that sent none (TLS-17). */
    public List<String> serverNames() {
        return List.copyOf(serverNames);
    }

    private final List<String> handshakes = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Each TLS handshake as "PROTOCOL CIPHER" (e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256"), in order;
     * "failed" for one that failed (TLS-26, TLS-27).
     */
    public List<String> handshakes() {
        return List.copyOf(handshakes);
    }

    private final List<String> clientCertificates = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * The subject of the certificate the client presented in each successful TLS handshake, in
     * order; "" when it presented none (TLS-25). A server context that asks for one must be given
     * with {@link #tlsContext}.
     */
    public List<String> clientCertificates() {
        return List.copyOf(clientCertificates);
    }

    private io.netty.handler.ssl.SslHandler recordingSni(io.netty.handler.ssl.SslHandler h) {
        h.handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                String subject;
                try {
                    java.security.cert.Certificate[] peer = h.engine().getSession().getPeerCertificates();
                    subject = ((java.security.cert.X509Certificate) peer[0]).getSubjectX500Principal().getName();
                } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                    subject = "";
                }
                clientCertificates.add(subject);
            }
            handshakes.add(f.isSuccess() ? h.engine().getSession().getProtocol() + " " + h.engine().getSession().getCipherSuite()
                    : "failed");
            if (f.isSuccess() && h.engine().getSession() instanceof javax.net.ssl.ExtendedSSLSession x) {
                List<javax.net.ssl.SNIServerName> names = x.getRequestedServerNames();
                serverNames.add(names.isEmpty() ? ""
                        : names.get(0) instanceof javax.net.ssl.SNIHostName host ? host.getAsciiName() : "?");
            }
        });
        return h;
    }

    public FakeSmtpServer tlsContext(io.netty.handler.ssl.SslContext ctx) {
        this.tlsContext = ctx;
        return this;
    }

    private io.netty.handler.ssl.SslContext serverTls() {
        io.netty.handler.ssl.SslContext c = tlsContext;
        return c != null ? c : TestCertificates.serverContext();
    }

    /**
     * Offer STARTTLS and accept it, then answer the client's TLS hello with plaintext and hang up:
     * a TLS stack that is broken for every client (TLS-10, TLS-11).
     */
    public FakeSmtpServer brokenTls() {
        this.startTls = true;
        this.brokenTls = true;
        return this;
    }

    /** In a TLS session (only there), hang up without a reply when {@code stage} comes (TLS-12). */
    public FakeSmtpServer dropTlsAt(Stage stage) {
        return dropTlsAt(stage, 1);
    }

    /** As {@link #dropTlsAt(Stage)}, from the {@code nth} time {@code stage} comes over TLS (1 = the first). */
    public FakeSmtpServer dropTlsAt(Stage stage, int nth) {
        dropTlsAt.put(stage, nth);
        return this;
    }

    /** How many TLS sessions the client ended with a close_notify alert (TLS-33). */
    public int closeNotifies() {
        return closeNotifies.get();
    }

    /** Plaintext sent right behind the STARTTLS reply, in the same write (response injection). */
    public FakeSmtpServer injectAfterStartTls(String text) {
        this.injection = text;
        return this;
    }

    /** Implicit TLS from the first byte (port 465 style); must be set before clients connect. */
    public FakeSmtpServer wrapperMode(boolean on) {
        TestCertificates.serverContext();
        this.wrapperMode = on;
        return this;
    }

    /** Send every reply one byte at a time, this far apart. */
    public FakeSmtpServer trickle(Duration perByte) {
        this.trickle = perByte;
        return this;
    }

    public List<String> transcript() {
        return List.copyOf(transcript);
    }

    /** The client's command lines only, in order. */
    public List<String> commands() {
        return transcript.stream().filter(l -> l.startsWith("C: ")).map(l -> l.substring(3)).toList();
    }

    /** The exact wire bytes of each message's content: after 354 up to and including CRLF.CRLF, or the BDAT payloads. */
    public List<byte[]> contents() {
        return List.copyOf(contents);
    }

    /** The raw chunks of bytes as the server read them from the socket. */
    public List<byte[]> reads() {
        return List.copyOf(reads);
    }

    /** The client (remote) address of each connection, in the order they were accepted (SESS-5 tests). */
    public List<InetSocketAddress> clientAddresses() {
        return List.copyOf(clients);
    }

    public int sessions() {
        return sessions;
    }

    /**
     * Sessions open right now: connected, and not yet ended by the server (QUIT answered, a drop)
     * or by the client closing. Ending at the QUIT reply keeps a connection that is only closing
     * from overlapping the client's next one.
     */
    public int openSessions() {
        return open.get();
    }

    /** The most connections that were open at the same time since start (or the last reset). */
    public int peakOpenSessions() {
        return peakOpen.get();
    }

    /** Starts counting the peak afresh from the connections open now. */
    public FakeSmtpServer resetPeakOpenSessions() {
        peakOpen.set(open.get());
        return this;
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        children.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One connection's state; owned by its event loop. */
    public final class Session extends ChannelInboundHandlerAdapter {
        private ByteBuf pending;
        private boolean inData;
        private int bdatRemaining = -1;
        private boolean bdatLast;
        private java.io.ByteArrayOutputStream content;
        private final List<String> accepted = new ArrayList<>();
        private String lastRcpt;
        private ChannelHandlerContext ctx;
        private final java.util.ArrayDeque<Pending> queue = new java.util.ArrayDeque<>();
        private boolean replying;

        public List<String> acceptedRecipients() {
            return accepted;
        }

        /** Whether this session runs over TLS (STARTTLS done, or wrapper mode). */
        public boolean tls() {
            return tls;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
                clients.add(remote);
            }
            sessions++;
            peakOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            pending = ctx.alloc().buffer();
            answer(Stage.GREETING, "", "220 fake.test ESMTP ready");
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            leave();
            releasePending();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            releasePending();
        }

        private boolean left;

        private void leave() {
            if (!left) {
                left = true;
                open.decrementAndGet();
            }
        }

        private void releasePending() {
            if (pending != null) {
                pending.release();
                pending = null;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof io.netty.handler.ssl.SslCloseCompletionEvent e && e.isSuccess()) {
                closeNotifies.incrementAndGet();
                transcript.add("C: <close_notify>");
            }
            ctx.fireUserEventTriggered(evt);
        }

        /** After a broken STARTTLS: the next bytes are the client's TLS hello. */
        private boolean awaitingHello;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            try {
                byte[] copy = new byte[in.readableBytes()];
                in.getBytes(in.readerIndex(), copy);
                reads.add(copy);
                if (awaitingHello) {
                    awaitingHello = false;
                    transcript.add("S: <not tls>");
                    ctx.writeAndFlush(Unpooled.copiedBuffer("this is not TLS\r\n", StandardCharsets.US_ASCII))
                            .addListener(f -> ctx.close());
                    return;
                }
                if (pending != null) {
                    pending.writeBytes(in);
                    process();
                }
            } finally {
                in.release();
            }
        }

        private void process() {
            while (pending != null && pending.isReadable()) {
                if (bdatRemaining >= 0) {
                    int n = Math.min(bdatRemaining, pending.readableBytes());
                    byte[] chunk = new byte[n];
                    pending.readBytes(chunk);
                    content.writeBytes(chunk);
                    bdatRemaining -= n;
                    if (bdatRemaining > 0) {
                        return;
                    }
                    bdatRemaining = -1;
                    if (bdatLast) {
                        contents.add(content.toByteArray());
                        respondDot();
                    } else {
                        answer(Stage.BDAT, "", "250 2.0.0 chunk ok");
                    }
                    continue;
                }
                if (inData && contentReject != null) {
                    // Answer early and half-close, reading on so that the reply is not lost to a reset.
                    if (!rejectedContent) {
                        rejectedContent = true;
                        transcript.add("S: " + contentReject + " (during content)");
                        ctx.writeAndFlush(Unpooled.copiedBuffer(contentReject + "\r\n", StandardCharsets.US_ASCII))
                                .addListener(f -> ((io.netty.channel.socket.DuplexChannel) ctx.channel()).shutdownOutput());
                    }
                    pending.skipBytes(pending.readableBytes());
                    return;
                }
                if (inData) {
                    int end = indexOf(pending, "\r\n.\r\n");
                    boolean emptyBody = content.size() == 0 && startsWith(pending, ".\r\n");
                    if (emptyBody) {
                        pending.skipBytes(3);
                        content.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
                    } else if (end < 0) {
                        // keep the last 4 bytes: a terminator may straddle reads
                        int keep = Math.min(4, pending.readableBytes());
                        int take = pending.readableBytes() - keep;
                        byte[] part = new byte[take];
                        pending.readBytes(part);
                        content.writeBytes(part);
                        pending.discardReadBytes();
                        return;
                    } else {
                        int len = end - pending.readerIndex() + 5;
                        byte[] part = new byte[len];
                        pending.readBytes(part);
                        content.writeBytes(part);
                    }
                    inData = false;
                    contents.add(content.toByteArray());
                    transcript.add("C: <content " + contents.get(contents.size() - 1).length + " bytes>");
                    respondDot();
                    continue;
                }
                int lf = pending.indexOf(pending.readerIndex(), pending.writerIndex(), (byte) '\n');
                if (lf < 0) {
                    return;
                }
                int len = lf - pending.readerIndex();
                String line = pending.toString(pending.readerIndex(), len, StandardCharsets.UTF_8);
                pending.readerIndex(lf + 1);
                if (line.endsWith("\r")) {
                    line = line.substring(0, line.length() - 1);
                }
                command(line);
            }
            if (pending != null) {
                pending.discardReadBytes();
            }
        }

        /** Inside an AUTH exchange: every line answers the last 334 and goes to the AUTH script. */
        private boolean inAuth;

        private void command(String line) {
            transcript.add("C: " + line);
            String verb = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
            if (inAuth || verb.equals("AUTH")) {
                String reply = answer(Stage.AUTH, line, "502 5.5.2 Error: command not recognized");
                inAuth = reply != null && reply.startsWith("3");
                return;
            }
            switch (verb) {
                case "EHLO", "LHLO" -> answer(verb.equals("EHLO") ? Stage.EHLO : Stage.LHLO, line, helloReply());
                case "HELO" -> answer(Stage.HELO, line, "250 fake.test");
                case "MAIL" -> {
                    accepted.clear();
                    String r = answer(Stage.MAIL, line, "250 2.1.0 Ok");
                    inTransaction = r != null && r.startsWith("2");
                }
                case "RCPT" -> {
                    lastRcpt = between(line, '<', '>');
                    String r = inTransaction ? answer(Stage.RCPT, line, "250 2.1.5 Ok")
                            : answer(Stage.OTHER, line, "503 5.5.1 Error: need MAIL command");
                    if (r != null && r.startsWith("2")) {
                        accepted.add(lastRcpt);
                    }
                }
                case "DATA" -> {
                    String r = answer(Stage.DATA, line, accepted.isEmpty() ? "554 5.5.1 Error: no valid recipients" : "354 End data with <CR><LF>.<CR><LF>");
                    if (r != null && r.startsWith("3")) {
                        inData = true;
                        content = new java.io.ByteArrayOutputStream();
                        if (stallContent) {
                            ctx.channel().config().setAutoRead(false);
                        }
                    }
                }
                case "BDAT" -> {
                    String[] parts = line.split(" ");
                    if (content == null || bdatRemaining < 0 && !bdatContinues) {
                        content = new java.io.ByteArrayOutputStream();
                    }
                    bdatRemaining = Integer.parseInt(parts[1]);
                    bdatLast = parts.length > 2 && parts[2].equalsIgnoreCase("LAST");
                    bdatContinues = !bdatLast;
                    if (bdatRemaining == 0) {
                        bdatRemaining = -1;
                        if (bdatLast) {
                            contents.add(content.toByteArray());
                            respondDot();
                        } else {
                            answer(Stage.BDAT, line, "250 2.0.0 chunk ok");
                        }
                    }
                }
                case "RSET" -> {
                    inTransaction = false;
                    accepted.clear();
                    answer(Stage.RSET, line, "250 2.0.0 Ok");
                }
                case "NOOP" -> answer(Stage.NOOP, line, "250 2.0.0 Ok");
                case "XFORWARD" -> answer(Stage.XFORWARD, line, "250 2.0.0 Ok");
                case "QUIT" -> answer(Stage.QUIT, line, "221 2.0.0 Bye");
                case "STARTTLS" -> {
                    if (!startTls || tls) {
                        answer(Stage.STARTTLS, line, "454 4.7.0 TLS not available");
                    } else if (brokenTls) {
                        String ready = "220 2.0.0 Ready to start TLS";
                        transcript.add("S: " + ready);
                        ctx.writeAndFlush(Unpooled.copiedBuffer(ready + "\r\n", StandardCharsets.US_ASCII));
                        pending.clear();
                        awaitingHello = true;
                    } else if (replies.containsKey(Stage.STARTTLS)) {
                        answer(Stage.STARTTLS, line, null);
                    } else {
                        String ready = "220 2.0.0 Ready to start TLS";
                        transcript.add("S: " + ready);
                        String extra = injection == null ? "" : injection;
                        if (!extra.isEmpty()) {
                            transcript.add("S: <injected> " + extra.replace("\r\n", "\\r\\n"));
                        }
                        ctx.writeAndFlush(Unpooled.copiedBuffer(ready + "\r\n" + extra, StandardCharsets.US_ASCII));
                        ctx.pipeline().addFirst("tls", recordingSni(serverTls().newHandler(ctx.alloc())));
                        pending.clear();
                        tls = true;
                        transcript.add("S: <tls>");
                    }
                }
                default -> answer(Stage.OTHER, line, "502 5.5.2 Error: command not recognized");
            }
        }

        private boolean bdatContinues;
        private boolean inTransaction;
        private boolean tls = wrapperMode;
        private boolean rejectedContent;

        private void respondDot() {
            bdatContinues = false;
            if (!lmtp) {
                answer(Stage.DOT, ".", "250 2.0.0 Ok: queued as FAKE1");
                return;
            }
            List<String> rcpts = List.copyOf(accepted);
            for (int i = 0; i < rcpts.size(); i++) {
                int index = i;
                String rcpt = rcpts.get(i);
                answer(Stage.DOT, ".", lmtpDotReply.apply(rcpt, index));
            }
        }

        private String helloReply() {
            StringBuilder sb = new StringBuilder("250");
            List<String> caps = new ArrayList<>(capabilities);
            if (startTls && !tls) {
                caps.add("STARTTLS");
            }
            sb.append(caps.isEmpty() ? " " : "-").append("fake.test");
            for (int i = 0; i < caps.size(); i++) {
                sb.append("\r\n250").append(i == caps.size() - 1 ? " " : "-").append(caps.get(i));
            }
            return sb.toString();
        }

        /** Sends the scripted (or default) reply for a stage; returns it (null when none was sent). */
        private String answer(Stage stage, String line, String fallback) {
            BiFunction<String, Session, String> scripted = replies.get(stage);
            String reply = scripted != null ? scripted.apply(line, this) : fallback;
            if (tls && dropTlsAt.containsKey(stage) && tlsStageCounts.computeIfAbsent(stage,
                    k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet() >= dropTlsAt.get(stage)) {
                leave();
                transcript.add("S: <disconnect>");
                ctx.close();
                return null;
            }
            // After QUIT a server hangs up once it has answered; a silent server (null reply) does not.
            boolean drop = dropAfter.getOrDefault(stage, false) || stage == Stage.QUIT && reply != null;
            Duration delay = delays.get(stage);
            Pending next = new Pending(reply, drop, delay == null ? 0 : delay.toNanos());
            if (replying || !queue.isEmpty()) {
                queue.add(next);
            } else {
                start(next);
            }
            return reply;
        }

        /** Replies leave in command order; a delayed one holds back those after it. */
        private void start(Pending p) {
            if (p.delayNanos > 0) {
                replying = true;
                ctx.executor().schedule(() -> {
                    replying = false;
                    send(p.reply, p.drop);
                    drain();
                }, p.delayNanos, TimeUnit.NANOSECONDS);
            } else {
                send(p.reply, p.drop);
            }
        }

        private void drain() {
            Pending p;
            while (!replying && (p = queue.poll()) != null) {
                start(p);
            }
        }

        private void send(String reply, boolean drop) {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (reply != null) {
                transcript.add("S: " + reply.replace("\r\n", "\\r\\n"));
                byte[] bytes = (reply + "\r\n").getBytes(StandardCharsets.UTF_8);
                Duration perByte = trickle;
                if (perByte == null) {
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(bytes));
                } else {
                    for (int i = 0; i < bytes.length; i++) {
                        byte b = bytes[i];
                        ctx.executor().schedule(() -> ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {b})),
                                perByte.toNanos() * i, TimeUnit.NANOSECONDS);
                    }
                }
            }
            if (drop) {
                leave();
                transcript.add("S: <disconnect>");
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ctx.close());
            }
        }
    }

    private record Pending(String reply, boolean drop, long delayNanos) {
    }

    private static String between(String s, char open, char close) {
        int a = s.indexOf(open);
        int b = s.lastIndexOf(close);
        return a >= 0 && b > a ? s.substring(a + 1, b) : s;
    }

    private static boolean startsWith(ByteBuf buf, String s) {
        if (buf.readableBytes() < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (buf.getByte(buf.readerIndex() + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(ByteBuf buf, String needle) {
        int last = buf.writerIndex() - needle.length();
        outer:
        for (int i = buf.readerIndex(); i <= last; i++) {
            for (int k = 0; k < needle.length(); k++) {
                if (buf.getByte(i + k) != needle.charAt(k)) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
