package io.postilion.engine.rewrite;

import io.postilion.transport.protocol.AddressQuoting;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Rewrites the addresses of one sender or recipient header with smtp_generic_maps (DATA-26). A
 * header in which no address changed is left alone (the caller sends its bytes unchanged). A
 * changed one is rebuilt as Postfix does: the address list with one space after each comma,
 * continued on a new TAB-indented line whenever the current line would reach 70 characters.
 *
 * <p>Headers are given and returned as text with {@code \n} between physical lines and no line
 * ending at the end.
 */
public final class HeaderAddressRewriter {

    /** Postfix folds a rebuilt header before a line reaches this length. */
    static final int FOLD_AT = 70;

    private final GenericMapping mapping;

    public HeaderAddressRewriter(GenericMapping mapping) {
        this.mapping = mapping;
    }

    /**
     * The header rebuilt with mapped addresses, or empty when it is not an address header or no
     * address in it was mapped.
     *
     * @throws TableLookupException when the table fails
     */
    public Optional<String> rewrite(String header) {
        String name = HeaderNames.name(header);
        if (name == null || !HeaderNames.holdsAddresses(name) || !mapping.active()) {
            return Optional.empty();
        }
        int colon = header.indexOf(':');
        String value = header.substring(colon + 1);
        AddressList.Parsed parsed = AddressList.parse(value);
        StringBuilder rebuilt = new StringBuilder(value);
        boolean changed = false;
        List<AddressList.Found> found = parsed.addresses();
        // right to left, so earlier positions stay valid
        List<int[]> shifts = new ArrayList<>();
        for (int i = found.size() - 1; i >= 0; i--) {
            AddressList.Found f = found.get(i);
            Optional<String> mapped = mapping.map(f.address());
            if (mapped.isPresent()) {
                String external = AddressQuoting.quote(mapped.get());
                rebuilt.replace(f.start(), f.end(), external);
                shifts.add(new int[] {f.end(), external.length() - (f.end() - f.start())});
                changed = true;
            }
        }
        if (!changed) {
            return Optional.empty();
        }
        // where the separating commas are now, after the replacements before them
        List<Integer> commas = new ArrayList<>();
        for (int pos : parsed.separators()) {
            int moved = pos;
            for (int[] s : shifts) {
                if (s[0] <= pos) {
                    moved += s[1];
                }
            }
            commas.add(moved);
        }
        List<String> lines = new ArrayList<>();
        int from = 0;
        for (int comma : commas) {
            lines.add(unfold(rebuilt.substring(from, comma)) + ",");
            from = comma + 1;
        }
        lines.add(unfold(rebuilt.substring(from)));
        lines.set(0, name + ": " + lines.get(0));
        return Optional.of(fold(lines));
    }

    /** Joins the address lines with one space while the result stays under 70 characters. */
    static String fold(List<String> lines) {
        StringBuilder out = new StringBuilder(lines.get(0));
        int lineStart = 0;
        for (int i = 1; i < lines.size(); i++) {
            String next = lines.get(i);
            if (out.length() - lineStart + 1 + next.length() < FOLD_AT) {
                out.append(' ').append(next);
            } else {
                out.append("\n\t");
                lineStart = out.length(); // as in Postfix, the TAB is not counted
                out.append(next);
            }
        }
        return out.toString();
    }

    private static String unfold(String s) {
        return s.replace("\r", "").replace("\n", "").strip();
    }
}
