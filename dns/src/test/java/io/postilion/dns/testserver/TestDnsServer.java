package io.postilion.dns.testserver;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A small scripted authoritative DNS server for tests: UDP and TCP on one ephemeral loopback port,
 * zones built from dnsjava records, and per-name/type behaviours (rcode such as SERVFAIL, delay,
 * silence, AD bit). UDP answers larger than 512 octets (or the query's EDNS0 size) are truncated so
 * that clients must retry over TCP. Every query is recorded for assertions.
 *
 * <p>Use from other modules through the postilion-dns test-jar:
 * <pre>{@code
 * try (TestDnsServer dns = TestDnsServer.start()) {
 *     dns.mx("example.test", 10, "mx1.example.test").a("mx1.example.test", "127.0.0.2");
 *     // dns_servers = dns.dnsServers()
 * }
 * }</pre>
 */
public final class TestDnsServer implements AutoCloseable {

    /** One query as received. */
    public record Query(Name name, int type, boolean tcp, boolean dnssecOk) {}

    private record Key(Name name, int type) {}

    private static final long TTL = 300;

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final ExecutorService workers;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Map<Name, List<Record>> zone = new ConcurrentHashMap<>();
    private final Map<Key, Integer> rcodes = new ConcurrentHashMap<>();
    private final Map<Key, Duration> delays = new ConcurrentHashMap<>();
    private final Set<Key> silent = ConcurrentHashMap.newKeySet();
    private final Set<Name> authenticated = ConcurrentHashMap.newKeySet();
    private final List<Query> queries = new CopyOnWriteArrayList<>();

    private TestDnsServer(DatagramSocket udp, ServerSocket tcp) {
        this.udp = udp;
        this.tcp = tcp;
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-dns-" + udp.getLocalPort());
            t.setDaemon(true);
            return t;
        });
        workers.execute(this::udpLoop);
        workers.execute(this::tcpLoop);
    }

    /** Starts a server on 127.0.0.1, UDP and TCP on the same ephemeral port. */
    public static TestDnsServer start() throws IOException {
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        IOException last = null;
        for (int i = 0; i < 20; i++) {
            DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, 0));
            try {
                ServerSocket tcp = new ServerSocket();
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress(loopback, udp.getLocalPort()), 50);
                return new TestDnsServer(udp, tcp);
            } catch (IOException e) {
                udp.close();
                last = e;
            }
        }
        throw last;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    public int port() {
        return udp.getLocalPort();
    }

    /** The value for {@code dns_servers}: {@code 127.0.0.1:port}. */
    public String dnsServers() {
        return "127.0.0.1:" + port();
    }

    // ---- zone content ----

    /** Adds records (any dnsjava {@link Record}). */
    public TestDnsServer add(Record... records) {
        for (Record r : records) {
            zone.computeIfAbsent(r.getName(), n -> new CopyOnWriteArrayList<>()).add(r);
        }
        return this;
    }

    /** Removes every record of {@code type} owned by {@code owner} (a zone change between two lookups). */
    public TestDnsServer remove(String owner, int type) {
        List<Record> rs = zone.get(name(owner));
        if (rs != null) {
            rs.removeIf(r -> r.getType() == type);
        }
        return this;
    }

    public TestDnsServer mx(String domain, int preference, String target) {
        return add(new MXRecord(name(domain), DClass.IN, TTL, preference, name(target)));
    }

    public TestDnsServer a(String host, String... addresses) {
        for (String address : addresses) {
            add(new ARecord(name(host), DClass.IN, TTL, ip(address)));
        }
        return this;
    }

    public TestDnsServer aaaa(String host, String... addresses) {
        for (String address : addresses) {
            add(new AAAARecord(name(host), DClass.IN, TTL, ip(address)));
        }
        return this;
    }

    public TestDnsServer cname(String alias, String target) {
        return add(new CNAMERecord(name(alias), DClass.IN, TTL, name(target)));
    }

    public TestDnsServer srv(String owner, int priority, int weight, int port, String target) {
        return add(new SRVRecord(name(owner), DClass.IN, TTL, priority, weight, port, name(target)));
    }

    public TestDnsServer tlsa(String owner, int usage, int selector, int matching, byte[] data) {
        return add(new TLSARecord(name(owner), DClass.IN, TTL, usage, selector, matching, data));
    }

    /** Makes {@code name} exist (so other types answer NODATA rather than NXDOMAIN) with a TXT record. */
    public TestDnsServer exists(String host) {
        try {
            return add(Record.fromString(name(host), Type.TXT, DClass.IN, TTL, "\"exists\"", Name.root));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Adds an SOA record at {@code zone} with record TTL {@code ttl} and MINIMUM {@code minimum}. NXDOMAIN
     * and NODATA answers for names at or below {@code zone} then carry it (the closest enclosing one) in
     * the authority section, as RFC 2308 servers do; without any SOA they carry none.
     */
    public TestDnsServer soa(String zone, long ttl, long minimum) {
        Name apex = name(zone);
        try {
            return add(new SOARecord(apex, DClass.IN, ttl, Name.concatenate(Name.fromConstantString("ns"), apex),
                    Name.concatenate(Name.fromConstantString("hostmaster"), apex), 1, 3600, 600, 86400, minimum));
        } catch (NameTooLongException e) {
            throw new IllegalArgumentException(zone, e);
        }
    }

    // ---- behaviours ----

    /** Answers queries for {@code name}/{@code type} ({@link Type#ANY} = every type) with {@code rcode}. */
    public TestDnsServer rcode(String name, int type, int rcode) {
        rcodes.put(new Key(name(name), type), rcode);
        return this;
    }

    public TestDnsServer servfail(String name, int type) {
        return rcode(name, type, Rcode.SERVFAIL);
    }

    /** Delays answers for {@code name}/{@code type} ({@link Type#ANY} = every type). */
    public TestDnsServer delay(String name, int type, Duration delay) {
        delays.put(new Key(name(name), type), delay);
        return this;
    }

    /** Never answers queries for {@code name}/{@code type} (the client times out). */
    public TestDnsServer silent(String name, int type) {
        silent.add(new Key(name(name), type));
        return this;
    }

    /** Sets the AD bit on answers to queries for {@code name} (as a validating resolver would). */
    public TestDnsServer authenticated(String name) {
        authenticated.add(name(name));
        return this;
    }

    // ---- observations ----

    public List<Query> queries() {
        return List.copyOf(queries);
    }

    /** How many queries (UDP and TCP) asked for {@code name}/{@code type}. */
    public long queryCount(String name, int type) {
        Name n = name(name);
        return queries.stream().filter(q -> q.name().equals(n) && q.type() == type).count();
    }

    public void clearQueries() {
        queries.clear();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            udp.close();
            try {
                tcp.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            workers.shutdownNow();
        }
    }

    // ---- serving ----

    private void udpLoop() {
        byte[] buf = new byte[65535];
        while (!closed.get()) {
            DatagramPacket packet = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(packet);
            } catch (IOException e) {
                return;
            }
            byte[] data = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
            InetSocketAddress from = (InetSocketAddress) packet.getSocketAddress();
            workers.execute(() -> {
                byte[] reply = answer(data, false);
                if (reply != null) {
                    try {
                        udp.send(new DatagramPacket(reply, reply.length, from));
                    } catch (IOException ignored) {
                        // client gone
                    }
                }
            });
        }
    }

    private void tcpLoop() {
        while (!closed.get()) {
            Socket s;
            try {
                s = tcp.accept();
            } catch (IOException e) {
                return;
            }
            workers.execute(() -> serveTcp(s));
        }
    }

    private void serveTcp(Socket s) {
        try (s; DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
            while (!closed.get()) {
                int len = in.readUnsignedShort();
                byte[] data = new byte[len];
                in.readFully(data);
                byte[] reply = answer(data, true);
                if (reply != null) {
                    out.writeShort(reply.length);
                    out.write(reply);
                    out.flush();
                }
            }
        } catch (SocketException | java.io.EOFException e) {
            // connection closed
        } catch (IOException e) {
            // connection broken
        }
    }

    /** Builds the reply bytes for one query, or null to stay silent. */
    private byte[] answer(byte[] data, boolean overTcp) {
        Message query;
        try {
            query = new Message(data);
        } catch (IOException e) {
            return null;
        }
        Record question = query.getQuestion();
        if (question == null || query.getHeader().getOpcode() != Opcode.QUERY) {
            Message reply = new Message(query.getHeader().getID());
            reply.getHeader().setFlag(Flags.QR);
            reply.getHeader().setRcode(Rcode.FORMERR);
            return reply.toWire();
        }
        Name qname = question.getName();
        int qtype = question.getType();
        OPTRecord opt = query.getOPT();
        queries.add(new Query(qname, qtype, overTcp, opt != null && (opt.getFlags() & org.xbill.DNS.ExtendedFlags.DO) != 0));

        Duration delay = lookupRule(delays, qname, qtype);
        if (delay != null) {
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        if (silent.contains(new Key(qname, qtype)) || silent.contains(new Key(qname, Type.ANY))) {
            return null;
        }
        Message reply = new Message(query.getHeader().getID());
        reply.getHeader().setFlag(Flags.QR);
        reply.getHeader().setFlag(Flags.AA);
        if (query.getHeader().getFlag(Flags.RD)) {
            reply.getHeader().setFlag(Flags.RD);
        }
        reply.getHeader().setFlag(Flags.RA);
        reply.addRecord(question, Section.QUESTION);
        Integer rcode = lookupRule(rcodes, qname, qtype);
        if (rcode != null) {
            reply.getHeader().setRcode(rcode);
        } else {
            fill(reply, qname, qtype);
        }
        if (authenticated.contains(qname) && reply.getRcode() == Rcode.NOERROR) {
            reply.getHeader().setFlag(Flags.AD);
        }
        if (opt != null) {
            reply.addRecord(new OPTRecord(1232, 0, 0, opt.getFlags() & org.xbill.DNS.ExtendedFlags.DO), Section.ADDITIONAL);
        }
        byte[] wire = reply.toWire();
        int limit = opt == null ? 512 : Math.max(512, opt.getPayloadSize());
        if (!overTcp && wire.length > limit) {
            Message truncated = new Message(query.getHeader().getID());
            truncated.getHeader().setFlag(Flags.QR);
            truncated.getHeader().setFlag(Flags.AA);
            truncated.getHeader().setFlag(Flags.TC);
            truncated.addRecord(question, Section.QUESTION);
            return truncated.toWire();
        }
        return wire;
    }

    private void fill(Message reply, Name qname, int qtype) {
        Name current = qname;
        for (int hop = 0; hop < 8; hop++) {
            List<Record> records = zone.getOrDefault(current, List.of());
            List<Record> matching = new ArrayList<>();
            Record cname = null;
            for (Record r : records) {
                if (r.getType() == qtype) {
                    matching.add(r);
                } else if (r.getType() == Type.CNAME) {
                    cname = r;
                }
            }
            if (!matching.isEmpty()) {
                matching.forEach(r -> reply.addRecord(r, Section.ANSWER));
                return;
            }
            if (cname != null && qtype != Type.CNAME) {
                reply.addRecord(cname, Section.ANSWER);
                current = ((CNAMERecord) cname).getTarget();
                continue;
            }
            if (records.isEmpty()) {
                reply.getHeader().setRcode(Rcode.NXDOMAIN);
            }
            Record soa = enclosingSoa(current);
            if (soa != null) {
                reply.addRecord(soa, Section.AUTHORITY);
            }
            return;
        }
    }

    /** The SOA of the closest zone apex at or above {@code name}, or null. */
    private Record enclosingSoa(Name name) {
        for (int skip = 0; skip < name.labels(); skip++) {
            Name candidate = new Name(name, skip);
            for (Record r : zone.getOrDefault(candidate, List.of())) {
                if (r.getType() == Type.SOA) {
                    return r;
                }
            }
        }
        return null;
    }

    private static <T> T lookupRule(Map<Key, T> rules, Name qname, int qtype) {
        T v = rules.get(new Key(qname, qtype));
        return v != null ? v : rules.get(new Key(qname, Type.ANY));
    }

    private static Name name(String s) {
        try {
            return Name.fromString(s.endsWith(".") ? s : s + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    private static InetAddress ip(String literal) {
        try {
            // Literal addresses only: no name-service lookup happens for a numeric text.
            byte[] bytes = org.xbill.DNS.Address.toByteArray(literal,
                    literal.indexOf(':') >= 0 ? org.xbill.DNS.Address.IPv6 : org.xbill.DNS.Address.IPv4);
            if (bytes == null) {
                throw new IllegalArgumentException("not a numeric address: " + literal);
            }
            return InetAddress.getByAddress(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
