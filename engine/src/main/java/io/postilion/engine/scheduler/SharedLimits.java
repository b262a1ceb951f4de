package io.postilion.engine.scheduler;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import java.util.Iterator;
import java.util.ServiceLoader;

/**
 * Reads {@code redis_url} for the scheduler: empty means the local limits; set, it needs a
 * {@link DestinationLimitsProvider} on the class path, or the configuration is refused (78).
 */
final class SharedLimits {

    private SharedLimits() {
    }

    static DestinationLimits from(Configuration cfg, int concurrencyLimit, java.time.Duration rateDelay) {
        String url = cfg.string("redis_url").trim();
        if (url.isEmpty()) {
            return DestinationLimits.local();
        }
        Iterator<DestinationLimitsProvider> providers = ServiceLoader.load(DestinationLimitsProvider.class).iterator();
        if (!providers.hasNext()) {
            throw ConfigurationException.badValue("redis_url", "redis_url = " + url
                    + ": not supported: shared limits need the fleet module (postilion-fleet) on the class path"
                    + " (POSTILION_FLEET=1 ./postilion relay);"
                    + " refusing to start rather than ignore it");
        }
        try {
            return providers.next().limits(cfg, url, concurrencyLimit, rateDelay);
        } catch (IllegalArgumentException e) {
            throw ConfigurationException.badValue("redis_url", "bad value for parameter redis_url = '" + url + "': "
                    + e.getMessage(), e);
        }
    }
}
