package io.postilion.engine.tls;

import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.LookupTable;
import io.postilion.engine.config.LookupTables;
import io.postilion.engine.config.PostfixList;
import java.net.IDN;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code smtp_requiretls_policy} / {@code lmtp_requiretls_policy} (TLS-19, Postfix's
 * smtp_reqtls_policy.c): which action applies to a message that asked for REQUIRETLS, by next-hop
 * domain. The value is a list evaluated in order: an action word ends the search; a
 * {@code type:table} is looked up with the domain (fixed-key tables also with its {@code .parent}
 * forms, never for an IP literal) and its answer must be one action word; a table without a match
 * passes to the next item; nothing matching at all means {@code enforce}. Tables are opened at
 * start-up. The empty value stands for Postfix's computed SMTP default: the local domain
 * ({@code $mydomain} and its subdomains) and {@code localhost} are {@code opportunistic}, any IP
 * literal is {@code opportunistic}, everything else is {@code enforce}.
 */
public final class RequireTlsPolicy {

    /** What the policy decided for one destination. */
    public enum Action {
        ENFORCE("enforce"), OPPORTUNISTIC_STARTTLS("opportunistic+starttls"), OPPORTUNISTIC("opportunistic"),
        DISABLE("disable"), ERROR("error");

        private final String word;

        Action(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }

        static Optional<Action> parse(String w) {
            String v = w.trim().toLowerCase(Locale.ROOT);
            for (Action a : values()) {
                if (a.word.equals(v)) {
                    return Optional.of(a);
                }
            }
            return Optional.empty();
        }
    }

    /** One list item: an action word or a table. */
    private record Item(Action action, LookupTable table, String spec) {
    }

    /** Enforce for everything: what an empty list would mean without the computed default. */
    public static final RequireTlsPolicy ENFORCE_ALL = new RequireTlsPolicy(List.of(), "");

    private final List<Item> items;
    /** $mydomain for the computed default; null when the list was given. */
    private final String myDomain;

    private RequireTlsPolicy(List<Item> items, String myDomain) {
        this.items = List.copyOf(items);
        this.myDomain = myDomain;
    }

    /** Postfix's computed default for SMTP: local domain, localhost and IP literals opportunistic. */
    public static RequireTlsPolicy computedDefault(String myDomain) {
        return new RequireTlsPolicy(List.of(), Objects.requireNonNull(myDomain, "myDomain").toLowerCase(Locale.ROOT));
    }

    /**
     * Reads a list, opening its tables now.
     *
     * @param parameter the parameter's name, for errors
     * @throws ConfigurationException (78) for a word that is neither an action nor a table, or a
     *     table that cannot be opened
     */
    public static RequireTlsPolicy parse(String parameter, String value, Consumer<String> warnings) {
        List<Item> items = new ArrayList<>();
        List<String> elements;
        try {
            elements = PostfixList.split(value);
        } catch (IllegalArgumentException e) {
            throw ConfigurationException.badValue(parameter, parameter + " = " + value + ": " + e.getMessage());
        }
        for (String element : elements) {
            Optional<Action> a = Action.parse(element);
            if (a.isPresent()) {
                items.add(new Item(a.get(), null, element));
            } else if (element.indexOf(':') > 0) {
                items.add(new Item(null, LookupTables.openOne(parameter, element, warnings), element));
            } else {
                throw ConfigurationException.badValue(parameter, parameter + " = " + value + ": '" + element
                        + "' is neither a REQUIRETLS action (enforce, opportunistic+starttls, opportunistic, disable, error)"
                        + " nor a type:table");
            }
        }
        return new RequireTlsPolicy(items, null);
    }

    /**
     * The action for a next-hop domain (no brackets or port; an IP literal as {@code [addr]} or a
     * bare address). A table answer that is not one action word, or a table that fails, is
     * {@code error}; a name that cannot be converted to A-labels is {@code enforce}.
     */
    public Action actionFor(String nexthopDomain) {
        String raw = nexthopDomain.trim();
        boolean literal = raw.startsWith("[") || isAddress(raw);
        String key;
        if (literal) {
            key = raw.startsWith("[") && raw.endsWith("]") ? raw.substring(1, raw.length() - 1) : raw;
        } else {
            try {
                key = IDN.toASCII(raw, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException e) {
                return Action.ENFORCE;
            }
        }
        if (myDomain != null) {
            boolean local = !literal && (key.equals("localhost") || (!myDomain.isEmpty()
                    && (key.equals(myDomain) || key.endsWith("." + myDomain))));
            return literal || local ? Action.OPPORTUNISTIC : Action.ENFORCE;
        }
        for (Item item : items) {
            if (item.action() != null) {
                return item.action();
            }
            Optional<String> found;
            try {
                found = lookup(item.table(), key, literal);
            } catch (RuntimeException e) {
                return Action.ERROR;
            }
            if (found.isPresent()) {
                List<String> words = PostfixList.split(found.get());
                if (words.size() != 1) {
                    return Action.ERROR; // a list or a nested table
                }
                return Action.parse(words.get(0)).orElse(Action.ERROR);
            }
        }
        return Action.ENFORCE;
    }

    private static Optional<String> lookup(LookupTable t, String key, boolean literal) {
        Optional<String> v = t.find(key);
        if (v.isPresent() || literal || t.fixedValues().isEmpty()) {
            return v;
        }
        for (int dot = key.indexOf('.'); dot >= 0; dot = key.indexOf('.', dot + 1)) {
            v = t.find(key.substring(dot)); // .parent forms, nearest first
            if (v.isPresent()) {
                return v;
            }
        }
        return Optional.empty();
    }

    private static boolean isAddress(String s) {
        return s.matches("[0-9.]+") && s.chars().filter(c -> c == '.').count() == 3 || s.contains(":");
    }
}
