package io.postilion.tls.sts;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The TXT record at {@code _mta-sts.DOMAIN} that announces a policy (RFC 8461 section 3.1):
 * {@code v=STSv1; id=...}. Records not beginning with {@code v=STSv1;} are someone else's and
 * are dropped; of the rest there must be exactly one, and it must follow the grammar: fields
 * separated by {@code ;} with optional blanks, an {@code id} of 1 to 32 letters and digits, other
 * {@code name=value} extensions well formed and ignored. The id only says when to refetch the
 * policy; it is compared, never interpreted.
 *
 * @param id the policy id (the first {@code id} field)
 */
public record StsRecord(String id) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9]{1,32}");
    private static final Pattern EXT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    /** sts-ext-value: printable ASCII other than space, "=" and ";". */
    private static final Pattern EXT_VALUE = Pattern.compile("[\\x21-\\x3a\\x3c\\x3e-\\x7e]+");

    /**
     * The one policy announcement among a name's TXT records, each given as its strings joined;
     * empty when there is none.
     *
     * @throws InvalidStsPolicyException when there are several, or the one is malformed: the
     *     domain then has no usable policy (section 3.1)
     */
    public static Optional<StsRecord> select(List<String> txtRecords) throws InvalidStsPolicyException {
        List<String> ours = new ArrayList<>();
        for (String r : txtRecords) {
            if (r.startsWith("v=STSv1;")) {
                ours.add(r);
            }
        }
        if (ours.isEmpty()) {
            return Optional.empty();
        }
        if (ours.size() > 1) {
            throw new InvalidStsPolicyException(ours.size() + " STSv1 TXT records");
        }
        return Optional.of(parse(ours.get(0)));
    }

    /** One record that begins with {@code v=STSv1;}. */
    static StsRecord parse(String record) throws InvalidStsPolicyException {
        String[] fields = record.split(";", -1);
        String id = null;
        // fields[0] is "v=STSv1" (the caller checked); a final empty field is the optional trailing ";"
        for (int i = 1; i < fields.length; i++) {
            String f = StsPolicyParser.stripBlanks(fields[i]);
            if (f.isEmpty()) {
                if (i == fields.length - 1 && i > 1) {
                    break;
                }
                throw new InvalidStsPolicyException("empty field in STS record");
            }
            int eq = f.indexOf('=');
            if (eq <= 0) {
                throw new InvalidStsPolicyException("STS record field without a name: " + StsPolicyParser.printable(f));
            }
            String name = f.substring(0, eq);
            String value = f.substring(eq + 1);
            if (name.equals("id")) {
                if (!ID.matcher(value).matches()) {
                    throw new InvalidStsPolicyException("bad STS id " + StsPolicyParser.printable(value));
                }
                id = id == null ? value : id;
            } else if (!EXT_NAME.matcher(name).matches() || !EXT_VALUE.matcher(value).matches()) {
                throw new InvalidStsPolicyException("bad STS record field " + StsPolicyParser.printable(f));
            }
        }
        if (id == null) {
            throw new InvalidStsPolicyException("STS record without an id");
        }
        return new StsRecord(id);
    }
}
