package io.postilion.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The design's dependency rules as a test (bench sees every module, so the rules live here):
 * fleet -> engine -> transport -> tls -> dns, nothing depends on bench or (but through
 * ServiceLoader) on fleet, no package cycles, no console
 * output outside the command line, no sleeping in main code.
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importMainCode() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                // Under "mvn verify" the reactor hands bench the other modules as jars: those must be
                // read, or every rule checks bench alone and passes without looking.
                .withImportOption(location -> !location.isJar()
                        || location.contains("postilion-") && !location.contains("-tests.jar"))
                .importPackages("io.postilion");
    }

    /** The rules below mean nothing unless every module's main code was imported. */
    @Test
    void everyModuleIsImported() {
        for (String name : List.of("io.postilion.engine.agent.DeliveryAgent", "io.postilion.engine.spool.Spool",
                "io.postilion.engine.delivery.DeliveryRequest", "io.postilion.transport.session.SmtpSession",
                "io.postilion.tls.TlsFeatureStatus", "io.postilion.dns.NextHopResolver",
                "io.postilion.fleet.KafkaIngress", "io.postilion.fleet.limits.RedisDestinationLimits")) {
            assertTrue(classes.contain(name), name + " was not imported: the rules would check nothing");
        }
    }

    static final ArchRule MODULES_POINT_ONE_WAY = layeredArchitecture()
            .consideringOnlyDependenciesInAnyPackage("io.postilion..")
            .withOptionalLayers(true)
            .layer("bench").definedBy("io.postilion.bench..")
            .layer("fleet").definedBy("io.postilion.fleet..")
            .layer("engine").definedBy("io.postilion.engine..")
            .layer("transport").definedBy("io.postilion.transport..")
            .layer("tls").definedBy("io.postilion.tls..")
            .layer("dns").definedBy("io.postilion.dns..")
            .whereLayer("bench").mayNotBeAccessedByAnyLayer()
            // the engine finds the fleet through ServiceLoader only (CLARIFICATIONS 43)
            .whereLayer("fleet").mayOnlyBeAccessedByLayers("bench")
            .whereLayer("engine").mayOnlyBeAccessedByLayers("fleet", "bench")
            .whereLayer("transport").mayOnlyBeAccessedByLayers("engine", "fleet", "bench")
            .whereLayer("tls").mayOnlyBeAccessedByLayers("transport", "engine", "fleet", "bench")
            .whereLayer("dns").mayOnlyBeAccessedByLayers("tls", "transport", "engine", "fleet", "bench");

    static final ArchRule NO_PACKAGE_CYCLES = slices()
            .matching("io.postilion.(*)..")
            .should().beFreeOfCycles()
            .allowEmptyShould(true);

    static final ArchRule NO_PACKAGE_CYCLES_INSIDE_A_MODULE = slices()
            .matching("io.postilion.*.(**)")
            .should().beFreeOfCycles()
            .allowEmptyShould(true);

    static final ArchRule NO_CONSOLE_OUTSIDE_THE_COMMAND_LINE = noClasses()
            // maillog_file = /dev/stdout is the one configured console target (Postfix's postlog)
            .that().resideOutsideOfPackages("io.postilion.engine.cli..", "io.postilion.bench..",
                    "io.postilion.engine.maillog..")
            .should().accessField(System.class, "out")
            .orShould().accessField(System.class, "err")
            .orShould().callMethod(Throwable.class, "printStackTrace")
            .allowEmptyShould(true)
            .because("diagnostics go through SLF4J; only the command line talks to the terminal");

    static final ArchRule NO_SLEEP_IN_MAIN_CODE = noClasses()
            .should().callMethod(Thread.class, "sleep", long.class)
            .orShould().callMethod(Thread.class, "sleep", long.class, int.class)
            .orShould().callMethod(Thread.class, "sleep", java.time.Duration.class)
            .allowEmptyShould(true)
            .because("waiting is done with timers on the event loop, never by parking a thread");

    private static final String[] OUTSIDE_THE_AGENT = {"io.postilion.engine.listener..", "io.postilion.engine.relay..",
        "io.postilion.engine.spool..", "io.postilion.engine.notice..", "io.postilion.engine.scheduler..",
        "io.postilion.engine.admin..", "io.postilion.engine.cli.."};

    /** The smtp(8)/lmtp(8) part is a library: requests in, reports out, through the contract only. */
    static final ArchRule THE_AGENT_KNOWS_ONLY_THE_CONTRACT = noClasses()
            .that().resideInAPackage("io.postilion.engine.agent..")
            .should().dependOnClassesThat().resideInAnyPackage(OUTSIDE_THE_AGENT)
            .allowEmptyShould(true)
            .because("the agent takes a DeliveryRequest and gives a DeliveryReport (io.postilion.engine.delivery); "
                    + "it knows nothing of the listener, the relay, the spool, the notices or the scheduler");

    /** The spool stores the contract's facts; how an agent reaches them is none of its business. */
    static final ArchRule THE_SPOOL_KNOWS_NOTHING_OF_THE_AGENT = noClasses()
            .that().resideInAPackage("io.postilion.engine.spool..")
            .should().dependOnClassesThat().resideInAnyPackage("io.postilion.engine.agent..",
                    "io.postilion.engine.scheduler..", "io.postilion.engine.notice..")
            .allowEmptyShould(true)
            .because("the spool keeps typed results from io.postilion.engine.delivery, never the agent's internals");

    /** The contract is the bottom of the engine: every side may use it, it uses none of them. */
    static final ArchRule THE_CONTRACT_STANDS_ALONE = noClasses()
            .that().resideInAPackage("io.postilion.engine.delivery..")
            .should().dependOnClassesThat().resideInAnyPackage("io.postilion.engine.agent..",
                    "io.postilion.engine.listener..", "io.postilion.engine.relay..", "io.postilion.engine.spool..",
                    "io.postilion.engine.notice..", "io.postilion.engine.scheduler..", "io.postilion.engine.rewrite..",
                    "io.postilion.engine.admin..", "io.postilion.engine.cli..")
            .allowEmptyShould(true)
            .because("the delivery contract is what the relay and the agent share; it depends on neither");

    @Test
    void theAgentKnowsOnlyTheDeliveryContract() {
        THE_AGENT_KNOWS_ONLY_THE_CONTRACT.check(classes);
    }

    @Test
    void theSpoolKnowsNothingOfTheAgent() {
        THE_SPOOL_KNOWS_NOTHING_OF_THE_AGENT.check(classes);
    }

    @Test
    void theDeliveryContractStandsAlone() {
        THE_CONTRACT_STANDS_ALONE.check(classes);
    }

    @Test
    void modulesDependOneWayEngineTransportTlsDns() {
        MODULES_POINT_ONE_WAY.check(classes);
    }

    @Test
    void moduleTopPackagesHaveNoCycles() {
        NO_PACKAGE_CYCLES.check(classes);
    }

    @Test
    void packagesInsideAModuleHaveNoCycles() {
        NO_PACKAGE_CYCLES_INSIDE_A_MODULE.check(classes);
    }

    @Test
    void onlyTheCommandLinePrintsToTheConsole() {
        NO_CONSOLE_OUTSIDE_THE_COMMAND_LINE.check(classes);
    }

    @Test
    void mainCodeNeverSleeps() {
        NO_SLEEP_IN_MAIN_CODE.check(classes);
    }
}
