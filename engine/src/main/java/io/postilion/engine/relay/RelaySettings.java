package io.postilion.engine.relay;

import io.postilion.dns.lookup.DnsResolverConfig;
import io.postilion.engine.admin.AdminSettings;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ParameterDefinition;
import io.postilion.engine.config.ParameterRegistry;
import io.postilion.engine.config.ParameterType;
import io.postilion.engine.listener.ListenerConfiguration;
import io.postilion.engine.listener.ListenerSettings;
import io.postilion.engine.metrics.HttpListenerLimits;
import io.postilion.engine.scheduler.SchedulerSettings;
import java.net.InetSocketAddress;
import java.time.DateTimeException;
import java.time.Duration;
import java.util.List;

/**
 * Everything the relay needs from its configuration, checked before anything is touched
 * (CLARIFICATIONS 40): the listen addresses, the admin endpoint and its token, the DNS servers,
 * every time value within Postfix's range, routing, retries and the schedulers, and the free space
 * the queue keeps (queue_minfree). A value that
 * cannot be used is a {@link ConfigurationException} (exit 78) naming it, never a failure later,
 * after the spool has been opened or a port bound.
 */
public record RelaySettings(Configuration cfg, ListenerSettings listener, InetSocketAddress metricsListen,
        AdminSettings admin, HttpListenerLimits httpLimits, Routing routing, RetryPolicy retry, NoticePolicy notices,
        SchedulerSettings smtpScheduler, SchedulerSettings lmtpScheduler, Duration graceTime, long queueMinfree,
        KafkaSettings kafka) {

    /** Postfix keeps time values in an int of seconds and refuses larger ones ("out of range"). */
    static final long MAX_TIME_SECONDS = Integer.MAX_VALUE;

    /** @throws ConfigurationException (78) naming the first value that cannot be used */
    public static RelaySettings from(Configuration cfg) {
        try {
            checkTimes(cfg);
            checkDnsServers(cfg);
            HttpListenerLimits limits = HttpListenerLimits.from(cfg);
            return new RelaySettings(cfg, ListenerConfiguration.settings(cfg),
                    ListenerConfiguration.address("metrics_listen", cfg.string("metrics_listen")),
                    AdminSettings.from(cfg, ListenerConfiguration::address), limits, Routing.from(cfg),
                    RetryPolicy.from(cfg), NoticePolicy.from(cfg),
                    SchedulerSettings.fromConfiguration(cfg.forSmtp()), SchedulerSettings.fromConfiguration(cfg.forLmtp()),
                    cfg.time("shutdown_grace_time"), cfg.size("queue_minfree"), kafka(cfg));
        } catch (IllegalArgumentException | ArithmeticException | DateTimeException e) {
            throw ConfigurationException.badValue(null, e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    /** The fleet's parameters, and the refusal of a fleet asked for but not installed. */
    private static KafkaSettings kafka(Configuration cfg) {
        KafkaSettings k = KafkaSettings.from(cfg);
        if (k.enabled()) { // the class path is searched only when something asks for an extension
            RelayExtension.requireServed(cfg, RelayExtension.installed());
        }
        return k;
    }

    private static void checkTimes(Configuration cfg) {
        for (ParameterDefinition d : ParameterRegistry.all()) {
            if (d.type().kind() != ParameterType.Kind.TIME) {
                continue;
            }
            Duration value = cfg.time(d.name());
            if (value.getSeconds() > MAX_TIME_SECONDS) {
                throw ConfigurationException.badValue(d.name(), "bad value for parameter " + d.name() + " = '"
                        + cfg.string(d.name()) + "': time value out of range (at most " + MAX_TIME_SECONDS + "s)");
            }
        }
    }

    private static void checkDnsServers(Configuration cfg) {
        List<String> servers = cfg.list("dns_servers");
        if (servers.isEmpty()) {
            return;
        }
        try {
            DnsResolverConfig.parse(String.join(" ", servers), DnsResolverConfig.DEFAULT_TIMEOUT,
                    DnsResolverConfig.DEFAULT_ATTEMPTS);
        } catch (IllegalArgumentException e) {
            throw ConfigurationException.badValue("dns_servers", e.getMessage(), e);
        }
    }
}
