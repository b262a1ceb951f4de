package io.postilion.engine.config;

import java.util.Optional;

/**
 * Why it exists: one registered parameter as data: its name, type, Postfix default (unexpanded,
 * so {@code $myhostname} stays a reference) and, for an smtp_ or lmtp_ parameter, the name of
 * its twin in the other protocol, if it has one.
 *
 * @param name         the parameter name
 * @param type         what values it takes
 * @param defaultValue the default as main.cf would write it, not expanded
 * @param twinName     the SMTP/LMTP twin's name, or null when it has none
 */
public record ParameterDefinition(String name, ParameterType type, String defaultValue, String twinName) {

    /** The other protocol's twin (smtp_helo_name for lmtp_lhlo_name and back), if any. */
    public Optional<String> twin() {
        return Optional.ofNullable(twinName);
    }
}
