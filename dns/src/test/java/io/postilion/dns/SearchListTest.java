package io.postilion.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SearchListTest {

    private static final List<String> DOMAINS = List.of("a.test", "b.test");

    @Test
    void offByDefault_LOOKUP17() {
        assertEquals(List.of("mail"), SearchList.NONE.candidates("mail"));
        assertEquals(List.of("mail"), SearchList.parse("", DOMAINS, 1).candidates("mail"));
    }

    @Test
    void defnamesAppendsTheDefaultDomainToSingleLabels_LOOKUP17() {
        SearchList s = SearchList.parse("res_defnames", DOMAINS, 1);
        assertEquals(List.of("mail.a.test", "mail"), s.candidates("mail"));
        assertEquals(List.of("mail.x.test"), s.candidates("mail.x.test"));
    }

    @Test
    void dnsrchWalksTheSearchList_LOOKUP17() {
        SearchList s = SearchList.parse("res_dnsrch", DOMAINS, 1);
        assertEquals(List.of("mail.x", "mail.x.a.test", "mail.x.b.test"), s.candidates("mail.x"));
        assertEquals(List.of("mail.x."), s.candidates("mail.x."));
    }

    @Test
    void dnsrchAloneLeavesSingleLabelsAlone_asResSearchDoes_LOOKUP17() {
        assertEquals(List.of("mail"), SearchList.parse("res_dnsrch", DOMAINS, 1).candidates("mail"));
        assertEquals(List.of("mail.a.test", "mail.b.test", "mail"),
                SearchList.parse("res_defnames, res_dnsrch", DOMAINS, 1).candidates("mail"));
    }

    @Test
    void ndotsDecidesWhetherTheNameAsGivenComesFirst_LOOKUP17() {
        assertEquals(List.of("mail", "mail.a.test"), SearchList.parse("res_defnames", DOMAINS, 0).candidates("mail"));
        assertEquals(List.of("mail.x.a.test", "mail.x.b.test", "mail.x"),
                SearchList.parse("res_dnsrch", DOMAINS, 2).candidates("mail.x"));
    }

    @Test
    void unknownOptionIsAConfigurationError_LOOKUP17() {
        assertThrows(IllegalArgumentException.class, () -> SearchList.parse("RES_DNSRCH", DOMAINS, 1));
    }
}
