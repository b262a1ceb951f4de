package io.postilion.engine.config;

import io.postilion.transport.netty.NettyTransport;

/**
 * netty_transport (CLARIFICATIONS 42) read from main.cf: the one place that turns the value into a
 * {@link NettyTransport} and refuses a transport this process cannot run. A transport that does
 * not load is a configuration error (exit 78) naming the parameter and Netty's reason, never a
 * quiet fall-back to another transport: a measurement of io_uring that silently ran on epoll would
 * be worse than none. An unknown value never gets here: the loader refuses it as it refuses any
 * value outside a parameter's set.
 */
public final class NettyTransportSetting {

    static final String PARAMETER = "netty_transport";

    private NettyTransportSetting() {
    }

    /** @throws ConfigurationException (78) when the transport named is not available here */
    public static NettyTransport from(Configuration cfg) {
        String value = cfg.choice(PARAMETER);
        NettyTransport transport = NettyTransport.byName(value).orElseThrow(() -> ConfigurationException.badValue(
                PARAMETER, "bad value for parameter " + PARAMETER + " = " + value + ": use epoll, io_uring or nio"));
        Throwable cause = transport.unavailabilityCause();
        if (cause != null) {
            throw ConfigurationException.badValue(PARAMETER, PARAMETER + " = " + transport + ": the " + transport
                    + " transport is not available here: " + reason(cause) + " (nio runs everywhere)", cause);
        }
        return transport;
    }

    /** Netty's reason, with the reasons under it (the library that did not load says why only there). */
    private static String reason(Throwable cause) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = cause; t != null && b.length() < 400; t = t.getCause() == t ? null : t.getCause()) {
            if (b.length() > 0) {
                b.append(": ");
            }
            b.append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
        }
        return b.toString();
    }
}
