package io.postilion.dns.lookup;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Objects;
import org.xbill.DNS.io.DefaultIoClientFactory;
import org.xbill.DNS.io.IoClientFactory;
import org.xbill.DNS.io.TcpIoClient;
import org.xbill.DNS.io.UdpIoClient;

/**
 * dnsjava's I/O clients, with the UDP source port drawn from our pre-seeded DRBG. Left to itself,
 * dnsjava draws it from a NativePRNG that reads /dev/urandom on the calling thread (a file read that
 * BlockHound rightly reports on an event loop). With a non-zero local port dnsjava 3.6.4 skips its own
 * draw; it then leaves binding to connect(), where the kernel picks a random ephemeral port.
 */
final class SourcePortIoClientFactory implements IoClientFactory {

    /** Linux's default ephemeral range (net.ipv4.ip_local_port_range). */
    private static final int FIRST = 32768;
    private static final int LAST = 60999;

    private final IoClientFactory delegate = new DefaultIoClientFactory();
    private final SecureRandom random;

    SourcePortIoClientFactory(SecureRandom random) {
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public TcpIoClient createOrGetTcpClient() {
        return delegate.createOrGetTcpClient();
    }

    @Override
    public UdpIoClient createOrGetUdpClient() {
        UdpIoClient udp = delegate.createOrGetUdpClient();
        return (local, remote, query, data, max, timeout) -> {
            InetSocketAddress source = local != null && local.getPort() != 0 ? local
                    : new InetSocketAddress(FIRST + random.nextInt(LAST - FIRST + 1));
            return udp.sendAndReceiveUdp(source, remote, query, data, max, timeout);
        };
    }
}
