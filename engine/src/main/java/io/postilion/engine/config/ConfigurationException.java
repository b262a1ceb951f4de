package io.postilion.engine.config;

import java.util.Optional;

/**
 * Why it exists: every configuration mistake must stop the program at load time with a message
 * naming what is wrong and a sysexits(3) status the command line can return as is (CLARIFICATIONS
 * item 6): 64 for a misused command line (an unknown {@code -o} name), 78 for a bad value.
 */
public final class ConfigurationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** sysexits(3) EX_USAGE: the command line was used incorrectly. */
    public static final int EX_USAGE = 64;
    /** sysexits(3) EX_CONFIG: something was found in an unconfigured or misconfigured state. */
    public static final int EX_CONFIG = 78;

    private final int exitStatus;
    private final String parameter;

    private ConfigurationException(int exitStatus, String parameter, String message, Throwable cause) {
        super(message, cause);
        this.exitStatus = exitStatus;
        this.parameter = parameter;
    }

    /** A command-line misuse (exit 64), such as an unknown parameter name given with -o. */
    public static ConfigurationException usage(String parameter, String message) {
        return new ConfigurationException(EX_USAGE, parameter, message, null);
    }

    /** A configuration error (exit 78) about one parameter; the message names it and its value. */
    public static ConfigurationException badValue(String parameter, String message) {
        return new ConfigurationException(EX_CONFIG, parameter, message, null);
    }

    /** A configuration error (exit 78) with an underlying cause (an I/O error reading a file). */
    public static ConfigurationException badValue(String parameter, String message, Throwable cause) {
        return new ConfigurationException(EX_CONFIG, parameter, message, cause);
    }

    /** The process exit status this error calls for: 64 or 78. */
    public int exitStatus() {
        return exitStatus;
    }

    /** The parameter the error is about, when it is about one. */
    public Optional<String> parameter() {
        return Optional.ofNullable(parameter);
    }
}
