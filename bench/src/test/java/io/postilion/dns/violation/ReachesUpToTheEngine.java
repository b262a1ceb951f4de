package io.postilion.dns.violation;

/** A deliberate violation for {@code ArchitectureRulesBiteTest}: dns must not use the engine. */
public final class ReachesUpToTheEngine {
    public String name() {
        return io.postilion.engine.cli.Main.class.getName();
    }
}
