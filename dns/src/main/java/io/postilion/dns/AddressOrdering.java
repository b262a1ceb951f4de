package io.postilion.dns;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.random.RandomGenerator;
import org.xbill.DNS.SRVRecord;

/** Postfix's ordering steps for server lists: shuffle, preference/family sort, v4/v6 balancing, SRV weights. */
final class AddressOrdering {

    /** Postfix's internal cap on address records per destination (LOOKUP-5). */
    static final int MAX_RECORDS = 100;

    private AddressOrdering() {}

    /** Uniform Fisher-Yates shuffle with the injected generator. */
    static <T> void shuffle(List<T> list, RandomGenerator random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T tmp = list.get(i);
            list.set(i, list.get(j));
            list.set(j, tmp);
        }
    }

    /** Stable sort by preference, then (unless ANY or {@code byFamily} is false) by address family (LOOKUP-9). */
    static void sort(List<Target> list, AddressPreference preference, boolean byFamily) {
        Comparator<Target> c = Comparator.comparingInt(Target::preference);
        if (byFamily && preference != AddressPreference.ANY) {
            boolean v6First = preference == AddressPreference.IPV6;
            c = c.thenComparingInt(t -> t.ipv6() == v6First ? 0 : 1);
        }
        list.sort(c);
    }

    /**
     * IPv4/IPv6 balancing (LOOKUP-10): when both families are present and there are more addresses than
     * the limit L, thin them so that the first L addresses contain both families.
     */
    static List<Target> balance(List<Target> list, int mxAddressLimit) {
        if (mxAddressLimit <= 0) {
            return list;
        }
        int limit = Math.min(mxAddressLimit, MAX_RECORDS);
        int v6 = (int) list.stream().filter(Target::ipv6).count();
        int v4 = list.size() - v6;
        if (v4 == 0 || v6 == 0 || v4 + v6 <= limit) {
            return list;
        }
        int v4Target;
        int v6Target;
        if (v6 <= limit / 2) {
            v6Target = v6;
            v4Target = limit - v6;
        } else if (v4 <= limit / 2) {
            v4Target = v4;
            v6Target = limit - v4;
        } else {
            v4Target = (limit + (list.get(0).ipv6() ? 0 : 1)) / 2;
            v6Target = limit - v4Target;
        }
        List<Target> out = new ArrayList<>(list.size());
        int seen4 = 0;
        int seen6 = 0;
        for (Target t : list) {
            if (t.ipv6() ? seen6++ < v6Target : seen4++ < v4Target) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * SRV order (LOOKUP-15): shuffle, sort by priority, then within each priority pick by weight: draw a
     * threshold in 0..sum (inclusive) and take the first record whose running weight sum reaches it.
     */
    static List<SRVRecord> srvOrder(List<SRVRecord> records, RandomGenerator random) {
        List<SRVRecord> list = new ArrayList<>(records);
        shuffle(list, random);
        list.sort(Comparator.comparingInt(SRVRecord::getPriority));
        List<SRVRecord> out = new ArrayList<>(list.size());
        int i = 0;
        while (i < list.size()) {
            int j = i;
            while (j < list.size() && list.get(j).getPriority() == list.get(i).getPriority()) {
                j++;
            }
            List<SRVRecord> group = new ArrayList<>(list.subList(i, j));
            long sum = group.stream().mapToLong(SRVRecord::getWeight).sum();
            if (sum == 0) {
                out.addAll(group);
            } else {
                while (!group.isEmpty()) {
                    long remaining = group.stream().mapToLong(SRVRecord::getWeight).sum();
                    long threshold = random.nextLong(remaining + 1);
                    long running = 0;
                    int pick = group.size() - 1;
                    for (int k = 0; k < group.size(); k++) {
                        running += group.get(k).getWeight();
                        if (running >= threshold) {
                            pick = k;
                            break;
                        }
                    }
                    out.add(group.remove(pick));
                }
            }
            i = j;
        }
        return out;
    }
}
