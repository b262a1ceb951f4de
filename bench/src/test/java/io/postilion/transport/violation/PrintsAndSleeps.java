package io.postilion.transport.violation;

/** A deliberate violation for {@code ArchitectureRulesBiteTest}: console output and a sleep. */
public final class PrintsAndSleeps {
    public void run() throws InterruptedException {
        System.out.println("hello");
        Thread.sleep(1);
    }
}
