package io.postilion.engine.relay;

import io.postilion.engine.config.ConfigurationException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A part of the relay that lives in another module and is found on the class path
 * ({@link ServiceLoader}), so that the engine need not depend on it: the fleet (Kafka ingress and
 * results) is one. The relay starts each extension whose parameters are set once it has recovered
 * its spool, and stops it first when it stops. A parameter that asks for an extension that is not
 * on the class path refuses start-up (exit 78, naming it): ignored, it would leave requests
 * unconsumed and results unpublished while the relay looked healthy.
 */
public interface RelayExtension {

    /**
     * The parameters that switch an extension on when set to a non-empty value, each of which some
     * extension on the class path must {@linkplain #serves serve}.
     */
    List<String> SWITCHES = List.of("kafka_bootstrap_servers");

    /** Whether this extension acts on switch parameter {@code parameter}. */
    boolean serves(String parameter);

    /** Whether the relay with these settings wants this extension running. */
    boolean wanted(RelaySettings settings);

    /**
     * Starts the extension on a started relay; called on the thread that starts the relay, which
     * it may block (bounded). A failure stops the relay's start.
     */
    Running start(Relay relay, RelaySettings settings);

    /** A started extension. */
    interface Running extends AutoCloseable {

        /** Stops taking new work into the relay; called before the relay drains its deliveries. */
        void stopIntake();

        /** Releases everything; called after the relay's deliveries have drained or been cut off. */
        @Override
        void close();
    }

    /** The extensions on the class path. */
    static List<RelayExtension> installed() {
        List<RelayExtension> all = new ArrayList<>();
        ServiceLoader.load(RelayExtension.class, RelayExtension.class.getClassLoader()).forEach(all::add);
        return all;
    }

    /**
     * Refuses a switch parameter set while no installed extension serves it.
     *
     * @throws ConfigurationException (78) naming the parameter
     */
    static void requireServed(io.postilion.engine.config.Configuration cfg, List<RelayExtension> installed) {
        for (String p : SWITCHES) {
            if (!cfg.list(p).isEmpty() && installed.stream().noneMatch(e -> e.serves(p))) {
                throw ConfigurationException.badValue(p, "parameter " + p + " is set, but the fleet module (postilion-fleet)"
                        + " is not on the class path: start the relay with it (POSTILION_FLEET=1 ./postilion relay, or"
                        + " java -jar fleet/target/postilion-fleet.jar relay), or leave " + p + " empty");
            }
        }
    }
}
