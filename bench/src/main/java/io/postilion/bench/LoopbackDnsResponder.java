package io.postilion.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A tiny authoritative DNS responder for the benchmarks: UDP only, on 127.0.0.1 with an ephemeral
 * port, answering from a fixed record table on one daemon thread. (The dns module's TestDnsServer
 * lives in its test-jar, which carries JUnit configuration that does not belong in this jar.)
 * Names not in the table get NXDOMAIN; known names without the asked type get NODATA. Answers are
 * small enough never to need truncation.
 */
final class LoopbackDnsResponder implements AutoCloseable {

    private static final long TTL = 300;

    private final DatagramChannel channel;
    private final Map<Name, List<Record>> records = new ConcurrentHashMap<>();
    private final Thread thread;

    private LoopbackDnsResponder() throws IOException {
        channel = DatagramChannel.open();
        channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(this::serve, "bench-dns-responder");
        thread.setDaemon(true);
    }

    static LoopbackDnsResponder start() throws IOException {
        LoopbackDnsResponder r = new LoopbackDnsResponder();
        r.thread.start();
        return r;
    }

    /** {@code 127.0.0.1:port}, usable as {@code dns_servers}. */
    String dnsServers() throws IOException {
        return "127.0.0.1:" + ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    LoopbackDnsResponder mx(String domain, int pref, String target) {
        return add(new MXRecord(name(domain), DClass.IN, TTL, pref, name(target)));
    }

    LoopbackDnsResponder a(String host, String address) {
        return add(new ARecord(name(host), DClass.IN, TTL, numeric(address)));
    }

    LoopbackDnsResponder aaaa(String host, String address) {
        return add(new AAAARecord(name(host), DClass.IN, TTL, numeric(address)));
    }

    private LoopbackDnsResponder add(Record r) {
        records.computeIfAbsent(r.getName(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(r);
        return this;
    }

    private static Name name(String s) {
        return Name.fromConstantString(s.endsWith(".") ? s : s + ".");
    }

    private static InetAddress numeric(String literal) {
        try {
            return InetAddress.getByAddress(org.xbill.DNS.Address.toByteArray(literal,
                    literal.contains(":") ? org.xbill.DNS.Address.IPv6 : org.xbill.DNS.Address.IPv4));
        } catch (IOException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    private void serve() {
        ByteBuffer in = ByteBuffer.allocate(65535);
        while (channel.isOpen()) {
            try {
                in.clear();
                InetSocketAddress from = (InetSocketAddress) channel.receive(in);
                in.flip();
                byte[] query = new byte[in.remaining()];
                in.get(query);
                byte[] reply = answer(query);
                if (reply != null) {
                    channel.send(ByteBuffer.wrap(reply), from);
                }
            } catch (ClosedChannelException | SocketException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // a malformed query or a send error: drop it and go on
            }
        }
    }

    private byte[] answer(byte[] wire) throws IOException {
        Message query = new Message(wire);
        Record q = query.getQuestion();
        if (q == null) {
            return null;
        }
        Message reply = new Message(query.getHeader().getID());
        reply.getHeader().setFlag(Flags.QR);
        reply.getHeader().setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
            reply.getHeader().setFlag(Flags.RD);
        }
        reply.addRecord(q, Section.QUESTION);
        List<Record> owned = records.get(q.getName());
        if (owned == null) {
            reply.getHeader().setRcode(Rcode.NXDOMAIN);
        } else {
            List<Record> match = new ArrayList<>();
            for (Record r : owned) {
                if (r.getType() == q.getType() || q.getType() == Type.ANY) {
                    match.add(r);
                }
            }
            match.forEach(r -> reply.addRecord(r, Section.ANSWER));
        }
        return reply.toWire(512);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }
}
