package io.postilion.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The design's dependency rules as a test (bench sees every module, so the rules live here):
 * engine -> transport -> tls -> dns, nothing depends on bench, no package cycles, no console
 * output outside the command line, no sleeping in main code.
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importMainCode() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages("io.postilion");
    }

    static final ArchRule MODULES_POINT_ONE_WAY = layeredArchitecture()
            .consideringOnlyDependenciesInAnyPackage("io.postilion..")
            .withOptionalLayers(true)
            .layer("bench").definedBy("io.postilion.bench..")
            .layer("engine").definedBy("io.postilion.engine..")
            .layer("transport").definedBy("io.postilion.transport..")
            .layer("tls").definedBy("io.postilion.tls..")
            .layer("dns").definedBy("io.postilion.dns..")
            .whereLayer("bench").mayNotBeAccessedByAnyLayer()
            .whereLayer("engine").mayOnlyBeAccessedByLayers("bench")
            .whereLayer("transport").mayOnlyBeAccessedByLayers("engine", "bench")
            .whereLayer("tls").mayOnlyBeAccessedByLayers("transport", "engine", "bench")
            .whereLayer("dns").mayOnlyBeAccessedByLayers("tls", "transport", "engine", "bench");

    static final ArchRule NO_PACKAGE_CYCLES = slices()
            .matching("io.postilion.(*)..")
            .should().beFreeOfCycles()
            .allowEmptyShould(true);

    static final ArchRule NO_PACKAGE_CYCLES_INSIDE_A_MODULE = slices()
            .matching("io.postilion.*.(**)")
            .should().beFreeOfCycles()
            .allowEmptyShould(true);

    static final ArchRule NO_CONSOLE_OUTSIDE_THE_COMMAND_LINE = noClasses()
            .that().resideOutsideOfPackages("io.postilion.engine.cli..", "io.postilion.bench..")
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
