package io.postilion.guard;

import io.netty.util.ResourceLeakDetector;

/**
 * Netty's leak detector, made loud: every leak it reports is also handed to {@link LeakGuard},
 * so that a test which leaks a buffer fails instead of leaving an ERROR line in a log file.
 *
 * <p>Installed in every test JVM through {@code -Dio.netty.customResourceLeakDetector} (see the
 * parent pom); Netty instantiates it reflectively with this constructor.
 */
public final class FailingLeakDetector<T> extends ResourceLeakDetector<T> {

    public FailingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    /** The older constructor shape Netty probes for first; without it Netty logs a spurious error. */
    @SuppressWarnings("deprecation")
    public FailingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
    }

    // Netty skips reporting when its logger is quiet; the guard must see every leak regardless.
    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        LeakGuard.record("LEAK: " + resourceType + ".release() was not called before it was garbage-collected." + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        LeakGuard.record("LEAK: " + resourceType + ".release() was not called before it was garbage-collected.");
        super.reportUntracedLeak(resourceType);
    }
}
