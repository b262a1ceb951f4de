package io.postilion.engine.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.postilion.engine.config.LookupTable;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** smtp_generic_maps as DATA-26 describes it, with Postfix's lookup order. */
class GenericMappingTest {

    private final RecordingLog log = new RecordingLog();

    private GenericMapping mapping(LookupTable table) {
        RewriteSettings s = RewriteSettings.none().withGenericMaps(table).withMyOrigin("origin.test")
                .withMyDestination(List.of("dest.test", "localhost")).withLocalInterfaces(List.of("192.0.2.1"))
                .withRecipientDelimiter("+");
        return new GenericMapping(s, log);
    }

    @Test
    void theFullAddressWithItsExtensionIsTriedFirst_DATA26() {
        GenericMapping m = mapping(Tables.inline("{ joe+list@inside.test=a@out.test, joe@inside.test=b@out.test }"));
        assertEquals("a@out.test", m.apply("joe+list@inside.test"));
        assertEquals("b@out.test", m.apply("joe@inside.test"));
    }

    @Test
    void withoutAFullMatchTheAddressLessItsExtensionIsTried_DATA26() {
        GenericMapping m = mapping(Tables.inline("{ joe@inside.test=joe@out.test }"));
        // the extension did not match: it is not carried over unless propagate_unmatched_extensions says generic
        assertEquals("joe@out.test", m.apply("joe+list@inside.test"));
    }

    @Test
    void anUnmatchedExtensionIsCarriedOverWhenTheListNamesGeneric_DATA26() {
        RewriteSettings s = RewriteSettings.none().withGenericMaps(Tables.inline("{ joe@inside.test=joe@out.test }"))
                .withRecipientDelimiter("+").withPropagateUnmatchedExtensions(List.of("canonical", "generic"));
        assertEquals("joe+list@out.test", new GenericMapping(s, log).apply("joe+list@inside.test"));
    }

    @Test
    void theBareLocalPartIsTriedOnlyForLocalDomains_DATA26() {
        GenericMapping m = mapping(Tables.inline("{ joe=joe@out.test }"));
        assertEquals("joe@out.test", m.apply("joe@origin.test"));
        assertEquals("joe@out.test", m.apply("joe@DEST.test"));
        assertEquals("joe@out.test", m.apply("joe@[192.0.2.1]"));
        assertEquals("joe@elsewhere.test", m.apply("joe@elsewhere.test"));
    }

    @Test
    void theBareLocalPartWithItsExtensionComesBeforeTheOneWithout_DATA26() {
        GenericMapping m = mapping(Tables.inline("{ joe+x=first@out.test, joe=second@out.test }"));
        assertEquals("first@out.test", m.apply("joe+x@origin.test"));
    }

    @Test
    void theDomainIsTriedLastAndAnAtDomainResultKeepsTheLocalPart_DATA26() {
        GenericMapping m = mapping(Tables.inline("{ @inside.test=@out.test, boss@inside.test=chief@out.test }"));
        assertEquals("joe@out.test", m.apply("joe@inside.test"));
        assertEquals("joe+x@out.test", m.apply("joe+x@inside.test"));
        assertEquals("chief@out.test", m.apply("boss@inside.test"));
    }

    @Test
    void aResultWithoutADomainGetsMyOrigin_DATA26() {
        GenericMapping m = mapping(Tables.inline("{ joe@inside.test=joseph }"));
        assertEquals("joseph@origin.test", m.apply("joe@inside.test"));
    }

    @Test
    void onlyTheFirstOfAMultiValuedResultIsUsedWithAWarning_DATA26() {
        GenericMapping m = mapping(key -> key.equals("joe@inside.test") ? Optional.of("a@out.test, b@out.test")
                : Optional.empty());
        assertEquals("a@out.test", m.apply("joe@inside.test"));
        assertEquals(List.of("multi-valued smtp_generic_maps result for joe@inside.test"), log.warnings);
    }

    @Test
    void theNullSenderAndUnmatchedAddressesAreLeftAlone_DATA26() {
        GenericMapping m = mapping(Tables.inline("{ @inside.test=@out.test }"));
        assertEquals("", m.apply(""));
        assertEquals(Optional.empty(), m.map("joe@other.test"));
    }

    @Test
    void aLookupFailureIsReportedNotTreatedAsNoMatch_DATA26() {
        TableLookupException e = assertThrows(TableLookupException.class, () -> mapping(Tables.failing()).apply("joe@x.test"));
        assertEquals("smtp_generic_maps", e.table());
    }

    @Test
    void aResultThatIsNoAddressIsALookupFailure_DATA26() {
        GenericMapping broken = mapping(key -> Optional.of(","));
        assertThrows(TableLookupException.class, () -> broken.apply("joe@inside.test"));
    }
}
