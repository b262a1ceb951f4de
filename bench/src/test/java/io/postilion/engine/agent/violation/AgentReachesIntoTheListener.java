package io.postilion.engine.agent.violation;

import io.postilion.engine.listener.ReceivedMessage;

/** A deliberate violation for ArchitectureRulesBiteTest: agent code that uses the listener. */
public final class AgentReachesIntoTheListener {

    private AgentReachesIntoTheListener() {
    }

    public static String sender(ReceivedMessage m) {
        return m.sender();
    }
}
