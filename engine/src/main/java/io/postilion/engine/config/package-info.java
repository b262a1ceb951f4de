/**
 * Configuration: main.cf syntax ({@link io.postilion.engine.config.MainCfParser}), {@code $name}
 * expansion, the registry of known parameters with Postfix's defaults and types
 * ({@link io.postilion.engine.config.ParameterRegistry}), loading with validation
 * ({@link io.postilion.engine.config.ConfigurationLoader}: unknown main.cf names warn, unknown
 * {@code -o} names exit 64, bad values and unreadable tables exit 78, all at load), the immutable
 * typed {@link io.postilion.engine.config.Configuration} with its LMTP view, and lookup tables
 * ({@link io.postilion.engine.config.LookupTable}: inline, static, texthash, regexp/pcre), read at
 * load so that look-ups never do I/O.
 */
package io.postilion.engine.config;
