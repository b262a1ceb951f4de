package io.postilion.engine.config;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Why it exists: the delivery agent, scheduler and relay read parameters through one immutable,
 * already validated value with typed accessors, so no code parses strings or meets a bad value
 * after start-up. {@link #forLmtp()} gives the same values seen from LMTP mode, where an smtp_
 * name reads its lmtp_ twin ({@code smtp_helo_name} reads {@code lmtp_lhlo_name}).
 *
 * <p>Instances come from {@link ConfigurationLoader}. Accessors throw
 * {@link IllegalArgumentException} for a name that is not registered or is read as the wrong type
 * (both are programming errors, not configuration errors).
 */
public final class Configuration {

    private final Map<String, String> values;
    private final Map<String, Object> typed;
    private final Map<String, LookupTable> tables;
    private final Set<String> explicitlySet;
    private final List<ConfigurationWarning> warnings;
    private final boolean lmtp;
    private final Configuration other;
    /** The same configuration with the stress pseudo parameter set (itself when nothing differs). */
    private Configuration stressed = this;

    Configuration(Map<String, String> values, Map<String, Object> typed, Map<String, LookupTable> tables,
                  Set<String> explicitlySet, List<ConfigurationWarning> warnings) {
        this.values = Collections.unmodifiableMap(values);
        this.typed = Collections.unmodifiableMap(typed);
        this.tables = Collections.unmodifiableMap(tables);
        this.explicitlySet = Set.copyOf(explicitlySet);
        this.warnings = List.copyOf(warnings);
        this.lmtp = false;
        this.other = new Configuration(this);
    }

    private Configuration(Configuration smtpView) {
        this.values = smtpView.values;
        this.typed = smtpView.typed;
        this.tables = smtpView.tables;
        this.explicitlySet = smtpView.explicitlySet;
        this.warnings = smtpView.warnings;
        this.lmtp = true;
        this.other = smtpView;
    }

    /** Attaches the values that differ under stress; at load only. */
    Configuration withStressView(Map<String, Object[]> changed) {
        if (changed.isEmpty()) {
            return this;
        }
        Map<String, String> v = new java.util.TreeMap<>(values);
        Map<String, Object> t = new java.util.HashMap<>(typed);
        changed.forEach((name, pair) -> {
            v.put(name, (String) pair[0]);
            t.put(name, pair[1]);
        });
        Configuration s = new Configuration(v, t, tables, explicitlySet, warnings);
        s.stressed = s;
        this.stressed = s;
        return this;
    }

    /**
     * The values that apply while a server is under stress (Postfix's {@code ${stress?...}}
     * defaults, e.g. smtpd_timeout 10s instead of 300s); the SMTP view.
     */
    public Configuration underStress() {
        return stressed;
    }

    /** Postfix's defaults (and Postilion's), with no main.cf and no overrides. */
    public static Configuration defaults() {
        return ConfigurationLoader.fromText("", "(defaults)", List.of());
    }

    /** The same configuration seen from LMTP mode: smtp_x names read their lmtp twins. */
    public Configuration forLmtp() {
        return lmtp ? this : other;
    }

    /** The same configuration seen from SMTP mode: every name reads itself. */
    public Configuration forSmtp() {
        return lmtp ? other : this;
    }

    /** Whether this is the LMTP view. */
    public boolean isLmtp() {
        return lmtp;
    }

    /** The name this view actually reads for a name (its lmtp twin in the LMTP view). */
    public String effectiveName(String name) {
        return lmtp ? ParameterRegistry.lmtpNameFor(name) : name;
    }

    /**
     * The expanded text of a parameter, whatever its type; also answers for names defined in
     * main.cf or -o that Postilion does not know (for use in {@code $name} style settings).
     */
    public String string(String name) {
        String effective = effectiveName(name);
        observe(effective);
        String value = values.get(effective);
        if (value == null) {
            throw new IllegalArgumentException("unknown parameter: " + effective);
        }
        return value;
    }

    /** A yes/no parameter. */
    public boolean bool(String name) {
        return (Boolean) typed(name, ParameterType.Kind.BOOLEAN);
    }

    /** A whole-number parameter. */
    public int integer(String name) {
        return (Integer) typed(name, ParameterType.Kind.INTEGER);
    }

    /** A size parameter, in bytes. */
    public long size(String name) {
        return (Long) typed(name, ParameterType.Kind.SIZE);
    }

    /** A time parameter. */
    public Duration time(String name) {
        return (Duration) typed(name, ParameterType.Kind.TIME);
    }

    /** A one-of-a-set parameter, in lower case ({@code ""} where empty is allowed). */
    public String choice(String name) {
        return (String) typed(name, ParameterType.Kind.ENUM);
    }

    /**
     * A list parameter's elements (a {@code { grouped text }} element without its braces); also
     * the elements of a list-of-words parameter and the table specs of a table parameter.
     */
    @SuppressWarnings("unchecked")
    public List<String> list(String name) {
        return (List<String>) typed(name, ParameterType.Kind.LIST, ParameterType.Kind.ENUM_LIST,
                ParameterType.Kind.TABLE);
    }

    /** A table parameter's tables, loaded; {@link LookupTable#empty()} when the value is empty. */
    public LookupTable table(String name) {
        typed(name, ParameterType.Kind.TABLE);
        return tables.get(effectiveName(name));
    }

    /** Whether a name (as read by this view) was set in main.cf or with -o rather than defaulted. */
    public boolean isSet(String name) {
        return explicitlySet.contains(effectiveName(name));
    }

    /** The definition of the name this view reads for a name, if registered. */
    public Optional<ParameterDefinition> definition(String name) {
        return ParameterRegistry.find(effectiveName(name));
    }

    /** The parsed value of a registered name as this view's own name, without the lmtp mapping (for checks). */
    Object typedValue(String name) {
        return typed.get(name);
    }

    /** Non-fatal problems found at load (unknown main.cf names, duplicate table keys). */
    public List<ConfigurationWarning> warnings() {
        return warnings;
    }

    /** Every name with its expanded value (registered names and names defined in main.cf/-o). */
    public Map<String, String> values() {
        return values;
    }

    /**
     * Where reads are reported, for the registry guard (ParameterSupportTest): null in production.
     * A test sets it to prove that every parameter not marked in {@link ParameterSupport} is read.
     */
    private static volatile java.util.function.Consumer<String> readObserver;

    static void observeReads(java.util.function.Consumer<String> observer) {
        readObserver = observer;
    }

    private static void observe(String name) {
        java.util.function.Consumer<String> o = readObserver;
        if (o != null) {
            o.accept(name);
        }
    }

    private Object typed(String name, ParameterType.Kind... kinds) {
        String effective = effectiveName(name);
        observe(effective);
        ParameterDefinition d = ParameterRegistry.find(effective)
                .orElseThrow(() -> new IllegalArgumentException("unknown parameter: " + effective));
        for (ParameterType.Kind kind : kinds) {
            if (d.type().kind() == kind) {
                return typed.get(effective);
            }
        }
        throw new IllegalArgumentException("parameter " + effective + " is of type " + d.type()
                + ", not " + kinds[0].name().toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public String toString() {
        return "Configuration[" + (lmtp ? "lmtp" : "smtp") + ", " + explicitlySet.size() + " set, "
                + warnings.size() + " warnings]";
    }
}
