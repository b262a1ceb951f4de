package io.postilion.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.postilion.dns.destination.HostNames;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressOrderingTest {

    private static Target t(String ip) {
        return new Target("h", HostNames.parseNumeric(ip).orElseThrow(), 25, 0, false);
    }

    private static List<Target> list(int v6, int v4, boolean v6First) {
        List<Target> a = new ArrayList<>();
        List<Target> six = new ArrayList<>();
        List<Target> four = new ArrayList<>();
        for (int i = 1; i <= v6; i++) {
            six.add(t("2001:db8::" + i));
        }
        for (int i = 1; i <= v4; i++) {
            four.add(t("192.0.2." + i));
        }
        a.addAll(v6First ? six : four);
        a.addAll(v6First ? four : six);
        return a;
    }

    private static long v6(List<Target> l) {
        return l.stream().filter(Target::ipv6).count();
    }

    @Test
    void sixAndSixWithLimitFiveFavoursTheFirstFamily_LOOKUP10() {
        List<Target> b = AddressOrdering.balance(list(6, 6, true), 5);
        assertEquals(5, b.size());
        assertEquals(3, v6(b));
        List<Target> c = AddressOrdering.balance(list(6, 6, false), 5);
        assertEquals(2, v6(c));
        assertEquals(5, c.size());
    }

    @Test
    void minorityFamilyKeptWhole_LOOKUP10() {
        List<Target> b = AddressOrdering.balance(list(1, 10, false), 5);
        assertEquals(5, b.size());
        assertEquals(1, v6(b));
    }

    @Test
    void noBalancingWhenUnderLimitOrOneFamily_LOOKUP10() {
        assertEquals(4, AddressOrdering.balance(list(2, 2, true), 5).size());
        assertEquals(8, AddressOrdering.balance(list(0, 8, true), 5).size());
        assertEquals(12, AddressOrdering.balance(list(6, 6, true), 0).size(), "limit 0: unlimited, no balancing");
    }

    @Test
    void survivorsKeepTheirOrder_LOOKUP10() {
        List<Target> in = list(6, 6, true);
        List<Target> out = AddressOrdering.balance(in, 5);
        List<Target> expected = new ArrayList<>(in.subList(0, 3));
        expected.addAll(in.subList(6, 8));
        assertEquals(expected, out);
    }

    @Test
    void stableSortKeepsEqualOrder_LOOKUP9() {
        List<Target> l = new ArrayList<>(List.of(
                new Target("b", HostNames.parseNumeric("192.0.2.2").orElseThrow(), 25, 10, false),
                new Target("a", HostNames.parseNumeric("2001:db8::1").orElseThrow(), 25, 10, false),
                new Target("c", HostNames.parseNumeric("192.0.2.3").orElseThrow(), 25, 5, false)));
        AddressOrdering.sort(l, AddressPreference.ANY, true);
        assertEquals(List.of("c", "b", "a"), l.stream().map(Target::hostname).toList());
        AddressOrdering.sort(l, AddressPreference.IPV6, true);
        assertEquals(List.of("c", "a", "b"), l.stream().map(Target::hostname).toList());
    }
}
