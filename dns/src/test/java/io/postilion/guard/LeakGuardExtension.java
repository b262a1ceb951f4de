package io.postilion.guard;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test (or, after a sweep, its class) when Netty reported a leaked buffer. Registered for
 * every test by JUnit's extension auto-detection (see junit-platform.properties).
 *
 * <p>After each test the reports gathered so far are checked; after each class a garbage
 * collection forces out the leaks that are not yet noticed. A leak from one test can surface in a
 * later test of the same class: the report's access records say where the buffer came from.
 */
public final class LeakGuardExtension implements AfterEachCallback, AfterAllCallback {

    private static final int SWEEP_ROUNDS = 5;

    @Override
    public void afterEach(ExtensionContext context) {
        failIfAny(LeakGuard.drain(), context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        failIfAny(LeakGuard.sweep(SWEEP_ROUNDS), context);
    }

    private static void failIfAny(List<String> leaks, ExtensionContext context) {
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " leaked buffer(s) during or before "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }
}
