package io.postilion.engine.agent;

import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.util.ArrayList;
import java.util.List;

/**
 * What the tests that build the delivery agent from main.cf text share: the options under which
 * loopback servers are neither "myself" (CLARIFICATIONS 20: the agent's own address is
 * 127.0.0.254) nor slow to give up on (three-second timers for SMTP and LMTP), and closing what a
 * test started, last first.
 */
final class AgentTestBed implements AutoCloseable {

    static final List<String> BASE = List.of("inet_interfaces=127.0.0.254", "inet_protocols=ipv4",
            "myhostname=client.test", "smtp_tls_security_level=none",
            "smtp_connect_timeout=3s", "smtp_helo_timeout=3s", "smtp_mail_timeout=3s", "smtp_rcpt_timeout=3s",
            "smtp_data_init_timeout=3s", "smtp_data_xfer_timeout=3s", "smtp_data_done_timeout=3s",
            "lmtp_connect_timeout=3s", "lmtp_lhlo_timeout=3s", "lmtp_mail_timeout=3s", "lmtp_rcpt_timeout=3s",
            "lmtp_data_init_timeout=3s", "lmtp_data_xfer_timeout=3s", "lmtp_data_done_timeout=3s");

    private final List<AutoCloseable> closing = new ArrayList<>();

    /** {@link #BASE}, then {@code more} (a later value wins), as {@code -o} options. */
    static Configuration config(List<String> more) {
        List<String> o = new ArrayList<>(BASE);
        o.addAll(more);
        return ConfigurationLoader.fromText("", "(test)", o);
    }

    /** Closed when the test ends. */
    <T extends AutoCloseable> T closed(T t) {
        closing.add(t);
        return t;
    }

    /** A scripted server on {@code host}, any free port. */
    FakeSmtpServer server(String host) {
        return closed(FakeSmtpServer.start(host, 0));
    }

    /** The in-JVM DNS responder. */
    TestDnsServer dns() throws java.io.IOException {
        return closed(TestDnsServer.start());
    }

    DeliveryAgent agent(DeliveryAgent.Builder builder) {
        DeliveryAgent a = builder.build();
        closing.add(a::close);
        return a;
    }

    @Override
    public void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        closing.clear();
    }
}
