package io.postilion.engine.spool.violation;

import io.postilion.engine.agent.DeliveryAgent;

/** A deliberate violation for ArchitectureRulesBiteTest: spool code that uses the agent. */
public final class SpoolReachesIntoTheAgent {

    private SpoolReachesIntoTheAgent() {
    }

    public static int parked(DeliveryAgent agent) {
        return agent.parkedSessions();
    }
}
