package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoutingTest {

    private static Routing routing(String mainCf) {
        return Routing.from(ConfigurationLoader.fromText(mainCf, "main.cf", List.of()));
    }

    @Test
    void withoutTablesOrRelayhostMailGoesByMxToTheRecipientsDomain() {
        assertEquals(new Route("smtp", "example.com"), routing("").route("User@Example.COM"));
    }

    @Test
    void relayhostTakesEverythingNotRoutedOtherwise() {
        assertEquals(new Route("smtp", "[127.0.0.1]:2526"), routing("relayhost = [127.0.0.1]:2526\n").route("a@example.com"));
    }

    @Test
    void transportMapsMatchAddressThenDomainThenParentThenStar() {
        Routing r = routing("relayhost = [10.0.0.1]\ntransport_maps = inline:{ "
                + "boss@example.com=smtp:[10.0.0.9]:2525, example.com=lmtp:unix:/run/lmtp, "
                + ".sub.example.org=smtp:[10.0.0.7], *=smtp:[10.0.0.8] }\n");
        assertEquals(new Route("smtp", "[10.0.0.9]:2525"), r.route("boss@example.com"));
        assertEquals(new Route("smtp", "[10.0.0.9]:2525"), r.route("boss+tag@example.com"));
        assertEquals(new Route("lmtp", "unix:/run/lmtp"), r.route("anyone@example.com"));
        assertEquals(new Route("smtp", "[10.0.0.7]"), r.route("x@deep.sub.example.org"));
        assertEquals(new Route("smtp", "[10.0.0.8]"), r.route("x@elsewhere.net"));
    }

    @Test
    void emptyPartsOfAnEntryFallBackToTheDefaults() {
        Routing r = routing("relayhost = [10.0.0.1]\ntransport_maps = inline:{ a.test=smtp:, b.test=:[10.0.0.2], c.test=: }\n");
        assertEquals(new Route("smtp", "a.test"), r.route("x@a.test"), "transport given, next-hop empty: the domain");
        assertEquals(new Route("smtp", "[10.0.0.2]"), r.route("x@b.test"));
        assertEquals(new Route("smtp", "[10.0.0.1]"), r.route("x@c.test"), "both empty: the defaults");
    }

    @Test
    void defaultTransportMayCarryItsOwnNexthop() {
        assertEquals(new Route("lmtp", "inet:127.0.0.1:2424"),
                routing("default_transport = lmtp:inet:127.0.0.1:2424\n").route("a@example.com"));
    }

    @Test
    void unusableRoutesAreConfigurationErrorsNamingTheProblem() {
        var unknown = assertThrows(IllegalArgumentException.class,
                () -> routing("transport_maps = inline:{ x.test=uucp:gateway }\n").route("a@x.test"));
        assertTrue(unknown.getMessage().contains("uucp"), unknown.getMessage());
        var noHop = assertThrows(IllegalArgumentException.class,
                () -> routing("default_transport = lmtp\n").route("postmaster"));
        assertTrue(noHop.getMessage().contains("next-hop"), noHop.getMessage());
    }
}
