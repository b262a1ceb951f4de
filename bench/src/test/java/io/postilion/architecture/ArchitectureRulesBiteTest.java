package io.postilion.architecture;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import io.postilion.dns.violation.ReachesUpToTheEngine;
import io.postilion.engine.agent.violation.AgentReachesIntoTheListener;
import io.postilion.engine.cli.Main;
import io.postilion.engine.spool.violation.SpoolReachesIntoTheAgent;
import io.postilion.transport.violation.PrintsAndSleeps;
import org.junit.jupiter.api.Test;

/** Proves the architecture rules fail on violations, using deliberately bad fixture classes. */
class ArchitectureRulesBiteTest {

    @Test
    void dnsUsingTheEngineBreaksTheModuleRule() {
        JavaClasses bad = new ClassFileImporter().importClasses(ReachesUpToTheEngine.class, Main.class);
        AssertionError error = assertThrows(AssertionError.class,
                () -> ArchitectureTest.MODULES_POINT_ONE_WAY.check(bad));
        assertTrue(error.getMessage().contains("ReachesUpToTheEngine"), error.getMessage());
    }

    @Test
    void anAgentClassUsingTheListenerBreaksTheAgentRule() {
        JavaClasses bad = new ClassFileImporter().importClasses(AgentReachesIntoTheListener.class);
        AssertionError error = assertThrows(AssertionError.class,
                () -> ArchitectureTest.THE_AGENT_KNOWS_ONLY_THE_CONTRACT.check(bad));
        assertTrue(error.getMessage().contains("AgentReachesIntoTheListener"), error.getMessage());
    }

    @Test
    void aSpoolClassUsingTheAgentBreaksTheSpoolRule() {
        JavaClasses bad = new ClassFileImporter().importClasses(SpoolReachesIntoTheAgent.class);
        AssertionError error = assertThrows(AssertionError.class,
                () -> ArchitectureTest.THE_SPOOL_KNOWS_NOTHING_OF_THE_AGENT.check(bad));
        assertTrue(error.getMessage().contains("SpoolReachesIntoTheAgent"), error.getMessage());
    }

    @Test
    void systemOutOutsideTheCommandLineBreaksTheConsoleRule() {
        JavaClasses bad = new ClassFileImporter().importClasses(PrintsAndSleeps.class);
        AssertionError error = assertThrows(AssertionError.class,
                () -> ArchitectureTest.NO_CONSOLE_OUTSIDE_THE_COMMAND_LINE.check(bad));
        assertTrue(error.getMessage().contains("System.out"), error.getMessage());
    }

    @Test
    void threadSleepInMainCodeBreaksTheSleepRule() {
        JavaClasses bad = new ClassFileImporter().importClasses(PrintsAndSleeps.class);
        AssertionError error = assertThrows(AssertionError.class,
                () -> ArchitectureTest.NO_SLEEP_IN_MAIN_CODE.check(bad));
        assertTrue(error.getMessage().contains("Thread.sleep"), error.getMessage());
    }
}
