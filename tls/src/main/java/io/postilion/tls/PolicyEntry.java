package io.postilion.tls;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * One value of a TLS policy table ({@code smtp_tls_policy_maps}), parsed (TLS-4; what Postfix's
 * smtp_tls_policy.c reads from a table result): a level and its attributes. Table values come
 * from files, regexp substitutions and policy services, so everything here is treated as hostile:
 * any syntax error is an {@link InvalidPolicyException}, which the caller turns into TLS-3's
 * 4.7.5 "client TLS configuration problem" for that server, never into a weaker policy.
 *
 * <p>The attributes whose effect is decided elsewhere are carried as typed values: protocols,
 * ciphers and exclusions go to the context (TLS-26, TLS-27), trust anchor files are loaded by the
 * resolver (TLS-24), the external-policy attributes drive TLS-16.
 *
 * @param level the first word: a TLS-1 level other than halfdane
 * @param ciphers {@code ciphers=} (once, non-empty)
 * @param protocols {@code protocols=} (once; may be empty, meaning every protocol)
 * @param exclude {@code exclude=} (once)
 * @param serverName {@code servername=} (once, a host name or {@code hostname}/{@code nexthop})
 * @param match {@code match=} values already split: at {@code |} for fingerprint, at {@code :} for
 *     verify and secure; empty when absent
 * @param trustAnchorFiles {@code tafile=} values, in order
 * @param connectionReuse {@code connection_reuse=} (last one wins)
 * @param enableRpk {@code enable_rpk=} (last one wins; raw public keys are not supported, TLS-35)
 * @param policyType {@code policy_type=}: {@code sts} or {@code no-policy-found}
 * @param policyDomain {@code policy_domain=}
 * @param policyTtl {@code policy_ttl=}
 * @param policyStrings {@code policy_string=} values
 * @param mxHostPatterns {@code mx_host_pattern=} values
 * @param policyFailure {@code policy_failure=}: when present, no certificate is ever matched
 * @param warnings what was ignored (every attribute at level none), one line each
 */
public record PolicyEntry(TlsLevel level, Optional<String> ciphers, Optional<String> protocols, Optional<String> exclude,
        Optional<String> serverName, List<String> match, List<String> trustAnchorFiles, Optional<Boolean> connectionReuse,
        Optional<Boolean> enableRpk, Optional<String> policyType, Optional<String> policyDomain, Optional<String> policyTtl,
        List<String> policyStrings, List<String> mxHostPatterns, Optional<String> policyFailure, List<String> warnings) {

    /** TLS-16's plugins: what policy_failure may say. */
    private static final List<String> FAILURES = List.of("sts-policy-fetch-error", "sts-policy-invalid",
            "sts-webpki-invalid", "validation-failure");
    private static final Pattern HOST_LABELS = Pattern.compile(
            "(?i)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\\.?");
    /** A limit on what one value may hold: nothing legitimate comes near it. */
    private static final int MAX_LENGTH = 64 * 1024;

    public PolicyEntry {
        Objects.requireNonNull(level, "level");
        match = List.copyOf(match);
        trustAnchorFiles = List.copyOf(trustAnchorFiles);
        policyStrings = List.copyOf(policyStrings);
        mxHostPatterns = List.copyOf(mxHostPatterns);
        warnings = List.copyOf(warnings);
    }

    /** A policy table value that breaks TLS-4: the server it was found for is skipped (4.7.5). */
    public static final class InvalidPolicyException extends Exception {
        private static final long serialVersionUID = 1L;

        public InvalidPolicyException(String message) {
            super(message);
        }
    }

    /** Whether this is an MTA-STS plugin's answer (TLS-16). */
    public boolean sts() {
        return policyType.map("sts"::equals).orElse(false);
    }

    /**
     * Parses one table value.
     *
     * @throws InvalidPolicyException saying what is wrong, for the warning that names the table
     */
    public static PolicyEntry parse(String value) throws InvalidPolicyException {
        if (value.length() > MAX_LENGTH) {
            throw new InvalidPolicyException("policy is longer than " + MAX_LENGTH + " characters");
        }
        List<String> tokens = tokens(value);
        if (tokens.isEmpty()) {
            throw new InvalidPolicyException("empty policy");
        }
        String first = tokens.get(0);
        // halfdane is DANE's internal outcome, never a level a table may ask for
        TlsLevel level = first.startsWith("{") || first.equalsIgnoreCase("halfdane") ? null
                : TlsLevel.parse(first).orElse(null);
        if (level == null) {
            throw new InvalidPolicyException("invalid TLS security level \"" + first + "\"");
        }
        Builder b = new Builder(level);
        for (String token : tokens.subList(1, tokens.size())) {
            if (level == TlsLevel.NONE) {
                // TLS-4: nothing applies without TLS; say so for each, whatever it is
                b.warnings.add("ignoring attribute \"" + token + "\" of TLS level none");
                continue;
            }
            b.attribute(token);
        }
        return b.build();
    }

    /**
     * Splits at white space and commas; a token opening with '{' runs to its matching '}' and
     * stands for {@code name=value} with the blanks inside normalised (TLS-4's grouping).
     */
    private static List<String> tokens(String value) throws InvalidPolicyException {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = value.length();
        while (i < n) {
            char c = value.charAt(i);
            if (Character.isWhitespace(c) || c == ',') {
                i++;
                continue;
            }
            if (c == '{') {
                int depth = 0;
                int j = i;
                for (; j < n; j++) {
                    char d = value.charAt(j);
                    if (d == '{') {
                        depth++;
                    } else if (d == '}' && --depth == 0) {
                        break;
                    }
                }
                if (j >= n) {
                    throw new InvalidPolicyException("missing '}' in \"" + value.substring(i) + "\"");
                }
                out.add("{" + value.substring(i + 1, j) + "}");
                i = j + 1;
                if (i < n && !Character.isWhitespace(value.charAt(i)) && value.charAt(i) != ',') {
                    throw new InvalidPolicyException("text after '}' in \"" + value.substring(i) + "\"");
                }
                continue;
            }
            int j = i;
            while (j < n && !Character.isWhitespace(value.charAt(j)) && value.charAt(j) != ',') {
                j++;
            }
            out.add(value.substring(i, j));
            i = j;
        }
        return out;
    }

    /** Collects attributes, enforcing TLS-4's once-only and level rules as they come. */
    private static final class Builder {
        final TlsLevel level;
        String ciphers;
        String protocols;
        String exclude;
        String serverName;
        final List<String> match = new ArrayList<>();
        final List<String> tafiles = new ArrayList<>();
        Boolean reuse;
        Boolean rpk;
        String policyType;
        String policyDomain;
        String policyTtl;
        final List<String> policyStrings = new ArrayList<>();
        final List<String> mxPatterns = new ArrayList<>();
        String policyFailure;
        final List<String> warnings = new ArrayList<>();
        /** Attributes that need policy_type, checked once every token is read. */
        String needsPolicyType;

        Builder(TlsLevel level) {
            this.level = level;
        }

        void attribute(String token) throws InvalidPolicyException {
            String nameValue = token;
            if (token.startsWith("{")) {
                nameValue = token.substring(1, token.length() - 1).strip();
            }
            int eq = nameValue.indexOf('=');
            if (eq < 0) {
                throw new InvalidPolicyException("malformed attribute \"" + token + "\": expected name=value");
            }
            String name = nameValue.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = nameValue.substring(eq + 1).strip();
            if (token.startsWith("{")) {
                value = value.replaceAll("\\s+", " "); // TLS-4: blanks inside braces are normalised
            }
            if (name.isEmpty()) {
                throw new InvalidPolicyException("malformed attribute \"" + token + "\": no name");
            }
            switch (name) {
                case "ciphers" -> ciphers = once(name, ciphers, nonEmpty(name, value));
                case "protocols" -> protocols = once(name, protocols, value);
                case "exclude" -> exclude = once(name, exclude, value);
                case "servername" -> serverName = once(name, serverName, hostname(name, nonEmpty(name, value)));
                case "match" -> match(nonEmpty(name, value));
                case "tafile" -> {
                    if (level != TlsLevel.VERIFY && level != TlsLevel.SECURE) {
                        throw new InvalidPolicyException("attribute tafile is allowed only at levels verify and secure, not "
                                + level.configName());
                    }
                    tafiles.add(nonEmpty(name, value));
                }
                case "connection_reuse" -> reuse = yesNo(name, value);
                case "enable_rpk" -> rpk = yesNo(name, value);
                case "policy_type" -> {
                    if (!value.equals("sts") && !value.equals("no-policy-found")) {
                        throw new InvalidPolicyException("invalid policy_type \"" + value + "\"");
                    }
                    policyType = once(name, policyType, value);
                }
                case "policy_domain" -> {
                    policyDomain = once(name, policyDomain, hostname(name, nonEmpty(name, value)));
                    needsPolicyType = name;
                }
                case "policy_ttl" -> {
                    if (value.isEmpty() || value.length() > 10 || !value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                        throw new InvalidPolicyException("invalid policy_ttl \"" + value + "\"");
                    }
                    policyTtl = once(name, policyTtl, value);
                    needsPolicyType = name;
                }
                case "policy_string" -> {
                    policyStrings.add(value);
                    needsPolicyType = name;
                }
                case "mx_host_pattern" -> {
                    mxPatterns.add(nonEmpty(name, value));
                    needsPolicyType = name;
                }
                case "policy_failure" -> {
                    if (!FAILURES.contains(value)) {
                        throw new InvalidPolicyException("invalid policy_failure \"" + value + "\"");
                    }
                    policyFailure = once(name, policyFailure, value);
                    needsPolicyType = name;
                }
                default -> throw new InvalidPolicyException("unknown attribute \"" + name + "\"");
            }
        }

        /** TLS-4, TLS-28: fingerprints are split at '|', names at ':'; other levels take none. */
        private void match(String value) throws InvalidPolicyException {
            String split;
            if (level == TlsLevel.FINGERPRINT) {
                split = "\\|";
            } else if (level == TlsLevel.VERIFY || level == TlsLevel.SECURE) {
                split = ":";
            } else {
                throw new InvalidPolicyException("attribute match is not allowed at level " + level.configName());
            }
            int before = match.size();
            for (String m : value.split(split)) {
                String t = m.strip();
                if (!t.isEmpty()) {
                    match.add(t);
                }
            }
            if (match.size() == before) {
                // only separators: an empty list would silently fall back to main.cf's
                throw new InvalidPolicyException("attribute match has no value: \"" + value + "\"");
            }
        }

        private static String once(String name, String previous, String value) throws InvalidPolicyException {
            if (previous != null) {
                throw new InvalidPolicyException("attribute " + name + " is given more than once");
            }
            return value;
        }

        private static String nonEmpty(String name, String value) throws InvalidPolicyException {
            if (value.isEmpty()) {
                throw new InvalidPolicyException("attribute " + name + " has an empty value");
            }
            return value;
        }

        private static Boolean yesNo(String name, String value) throws InvalidPolicyException {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "yes" -> Boolean.TRUE;
                case "no" -> Boolean.FALSE;
                default -> throw new InvalidPolicyException("attribute " + name + " must be yes or no, not \"" + value + "\"");
            };
        }

        private static String hostname(String name, String value) throws InvalidPolicyException {
            if (value.length() > 255 || !HOST_LABELS.matcher(value).matches()) {
                throw new InvalidPolicyException("attribute " + name + " is not a valid host name: \"" + value + "\"");
            }
            return value;
        }

        PolicyEntry build() throws InvalidPolicyException {
            if (needsPolicyType != null && policyType == null) {
                throw new InvalidPolicyException("attribute " + needsPolicyType + " requires policy_type");
            }
            return new PolicyEntry(level, Optional.ofNullable(ciphers), Optional.ofNullable(protocols),
                    Optional.ofNullable(exclude), Optional.ofNullable(serverName), match, tafiles,
                    Optional.ofNullable(reuse), Optional.ofNullable(rpk), Optional.ofNullable(policyType),
                    Optional.ofNullable(policyDomain), Optional.ofNullable(policyTtl), policyStrings, mxPatterns,
                    Optional.ofNullable(policyFailure), warnings);
        }
    }
}
