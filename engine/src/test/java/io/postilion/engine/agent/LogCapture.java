package io.postilion.engine.agent;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * What the agent logs while a piece of work runs: the test logger writes to standard error, so the
 * lines a rule promises (a warning naming a parameter, the TLS-30 line) can be read back.
 */
final class LogCapture {

    private LogCapture() {
    }

    /** Runs {@code work}, appending what was logged meanwhile to {@code log}. */
    static <T> T capturingLog(StringBuilder log, Supplier<T> work) {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            return work.get();
        } finally {
            System.setErr(saved);
            log.append(captured.toString(StandardCharsets.UTF_8));
        }
    }
}
