package io.postilion.dns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.destination.HostNames;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;

class SelfAndNativeTest {

    @Test
    void inetInterfacesAllIncludesLoopback_LOOKUP8() {
        // CLARIFICATIONS 20: by default an MX at 127.0.0.1 is "myself".
        assertTrue(SelfAddresses.of("all", "").contains(HostNames.parseNumeric("127.0.0.1").orElseThrow()));
    }

    @Test
    void explicitInterfacesAndProxyInterfaces_LOOKUP8() {
        SelfAddresses self = SelfAddresses.of("127.0.0.254", "192.0.2.99, [2001:db8::99]");
        assertTrue(self.contains(HostNames.parseNumeric("127.0.0.254").orElseThrow()));
        assertTrue(self.contains(HostNames.parseNumeric("192.0.2.99").orElseThrow()));
        assertTrue(self.contains(HostNames.parseNumeric("2001:db8::99").orElseThrow()));
        assertFalse(self.contains(HostNames.parseNumeric("127.0.0.1").orElseThrow()));
        assertThrows(IllegalArgumentException.class, () -> SelfAddresses.of("mail.example", ""));
    }

    @Test
    void nativeLookupRunsOffTheEventLoop_LOOKUP11() {
        // Subscribed from a non-blocking thread: the getaddrinfo call must hop to bounded-elastic.
        List<InetAddress> addrs = NativeHostResolver.system().lookup("localhost")
                .subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10));
        assertTrue(addrs.stream().anyMatch(InetAddress::isLoopbackAddress), addrs.toString());
    }
}
