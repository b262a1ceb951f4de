package io.postilion.engine.config;

/**
 * Why it exists: some configuration problems are not fatal (an unknown name in main.cf, as in
 * Postfix), yet callers and tests must see them; they are collected as values on the
 * {@link Configuration} as well as logged.
 *
 * @param parameter the parameter name the warning is about
 * @param message   a complete human-readable sentence naming the parameter
 */
public record ConfigurationWarning(String parameter, String message) {

    @Override
    public String toString() {
        return message;
    }
}
