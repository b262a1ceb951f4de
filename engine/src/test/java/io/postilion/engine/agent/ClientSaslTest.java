package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client SASL (spec section 9) through the delivery agent built from main.cf, as {@code relay} and
 * {@code send} build it, against a scripted server that checks every AUTH line byte for byte.
 * Each test is named after the rule it checks.
 */
class ClientSaslTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String OK = "235 2.7.0 Authentication successful";
    private static final String BAD = "535 5.7.8 Error: authentication failed: bad credentials";

    private final AgentTestBed bed = new AgentTestBed();
    private final FakeSmtpServer server = bed.closed(FakeSmtpServer.start());

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private String hop() {
        return "[127.0.0.1]:" + server.port();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
    }

    /** Short timers, no TLS unless a test asks, SASL on with the given password table entries. */
    private DeliveryAgent agent(String map, String... more) {
        List<String> o = new ArrayList<>(List.of("dns_servers=127.0.0.1:9", "smtp_sasl_auth_enable=yes",
                "smtp_sasl_password_maps=inline:{" + map + "}"));
        o.addAll(List.of(more));
        return agent(AgentTestBed.config(o));
    }

    private DeliveryAgent agent(Configuration cfg) {
        return bed.agent(DeliveryAgent.builder(cfg).clock(Clock.systemUTC()));
    }

    private DeliveryReport deliver(DeliveryAgent agent, String sender, String nexthop) {
        DeliveryRequest request = DeliveryRequest.builder("4SASL1", sender, nexthop)
                .content(ContentSource.of("Subject: sasl\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build();
        return agent.deliver(request).block(WAIT);
    }

    private DeliveryReport deliver(DeliveryAgent agent) {
        return deliver(agent, "s@client.test", hop());
    }

    private static RecipientResult only(DeliveryReport r) {
        return r.results().get(0);
    }

    private static void assertSent(DeliveryReport r) {
        assertEquals(Outcome.SENT, only(r).outcome(), only(r).status().text() + " " + only(r).reason());
    }

    private List<String> authLines() {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String c : server.commands()) {
            if (c.startsWith("AUTH ")) {
                in = true;
            } else if (c.startsWith("MAIL ") || c.startsWith("QUIT") || c.startsWith("RSET")) {
                in = false;
            }
            if (in) {
                out.add(c);
            }
        }
        return out;
    }

    /** A server taking PLAIN for user/secret only. */
    private static BiFunction<String, FakeSmtpServer.Session, String> plainFor(String user, String password) {
        return (line, s) -> line.equals("AUTH PLAIN " + b64("\0" + user + "\0" + password)) ? OK : BAD;
    }

    // ------------------------------------------------------------------ SASL-1

    @Test
    void aServerThatDoesNotOfferAuthGetsNoAuthAndTheMailGoesOutAnyway_SASL1() {
        server.capabilities("PIPELINING", "8BITMIME");
        assertSent(deliver(agent("[127.0.0.1]:" + server.port() + "=user:secret")));
        assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("AUTH")), server.commands().toString());
    }

    @Test
    void withSaslDisabledNoAuthIsSentEvenWhenCredentialsExist_SASL1() {
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, plainFor("user", "secret"));
        assertSent(deliver(agent(hop() + "=user:secret", "smtp_sasl_auth_enable=no",
                "smtp_sasl_security_options=noanonymous")));
        assertTrue(authLines().isEmpty(), server.commands().toString());
    }

    @Test
    void authFollowsTheEhloAfterStarttlsAndPrecedesTheTransaction_SASL1() {
        server.startTls(true).capabilities("AUTH PLAIN LOGIN").reply(FakeSmtpServer.Stage.AUTH, plainFor("user", "secret"));
        assertSent(deliver(agent(hop() + "=user:secret", "smtp_tls_security_level=may",
                "smtp_sasl_tls_security_options=noanonymous")));
        List<String> c = server.commands();
        int tls = c.indexOf("STARTTLS");
        int auth = c.indexOf("AUTH PLAIN " + b64("\0user\0secret"));
        int mail = c.stream().filter(x -> x.startsWith("MAIL FROM")).findFirst().map(c::indexOf).orElse(-1);
        assertTrue(tls >= 0 && auth > tls && mail > auth, c.toString());
        assertTrue(c.subList(tls, auth).stream().anyMatch(x -> x.startsWith("EHLO")), "a second EHLO over TLS: " + c);
    }

    @Test
    void lmtpAuthenticatesAfterLhloWithTheLmtpTwins_SASL1() {
        server.lmtp(true).capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, plainFor("user", "secret"));
        // The next-hop key as Postfix's lmtp(8) has it: the destination without its inet: prefix.
        Configuration cfg = ConfigurationLoader.fromText("", "(test)", List.of("inet_interfaces=127.0.0.254",
                "inet_protocols=ipv4", "myhostname=client.test", "lmtp_connect_timeout=3s", "lmtp_lhlo_timeout=3s",
                "lmtp_sasl_auth_enable=yes", "lmtp_sasl_password_maps=inline:{127.0.0.1:" + server.port() + "=user:secret}",
                "lmtp_sasl_security_options=noanonymous",
                // the smtp_ settings are not the LMTP client's
                "smtp_sasl_auth_enable=no"));
        DeliveryAgent a = DeliveryAgent.builder(cfg).lmtp().build();
        bed.closed(a::close);
        assertSent(deliver(a, "s@client.test", "inet:127.0.0.1:" + server.port()));
        List<String> c = server.commands();
        assertTrue(c.get(0).startsWith("LHLO ") && c.get(1).equals("AUTH PLAIN " + b64("\0user\0secret")), c.toString());
    }

    // ------------------------------------------------------------------ SASL-2

    @Test
    void theServerHostNameIsTriedBeforeTheNexthopAsWritten_SASL2() throws Exception {
        TestDnsServer dns = TestDnsServer.start();
        bed.closed(dns);
        dns.a("provider.test", "127.0.0.1");
        String nexthop = "[provider.test]:" + server.port();
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> OK);
        List<String> base = List.of("dns_servers=" + dns.dnsServers(), "smtp_sasl_security_options=noanonymous");

        deliver(agent(nexthop + "=hop:h1", base.toArray(String[]::new)), "s@client.test", nexthop);
        assertEquals("AUTH PLAIN " + b64("\0hop\0h1"), authLines().get(0), "only the next hop has an entry");

        deliver(agent(nexthop + "=hop:h1, provider.test=host:h2", base.toArray(String[]::new)), "s@client.test", nexthop);
        assertEquals("AUTH PLAIN " + b64("\0host\0h2"), authLines().get(authLines().size() - 1),
                "the host name wins over the next hop");
    }

    @Test
    void senderDependentAuthenticationTriesTheSenderFirstAndTheNullSenderFallsThrough_SASL2() {
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> OK);
        DeliveryAgent a = agent("@example.test=domainuser:d1, " + hop() + "=hopuser:h1",
                "smtp_sender_dependent_authentication=yes", "recipient_delimiter=+",
                "smtp_sasl_security_options=noanonymous");
        assertSent(deliver(a, "a+x@example.test", hop()));
        assertEquals("AUTH PLAIN " + b64("\0domainuser\0d1"), authLines().get(0));
        assertSent(deliver(a, "", hop()));
        assertEquals("AUTH PLAIN " + b64("\0hopuser\0h1"), authLines().get(authLines().size() - 1));
    }

    @Test
    void noMatchingEntryMeansNoAuthAndDeliveryIsAttemptedAnyway_SASL2() {
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, plainFor("user", "secret"));
        assertSent(deliver(agent("other.test=user:secret", "smtp_sasl_security_options=noanonymous")));
        assertTrue(authLines().isEmpty(), server.commands().toString());
    }

    @Test
    void theValueIsSplitAtTheFirstDelimiterSoThePasswordMayHoldIt_SASL2() {
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, plainFor("user", "pa:ss:word"));
        assertSent(deliver(agent(hop() + "=user:pa:ss:word", "smtp_sasl_security_options=noanonymous")));
    }

    // ------------------------------------------------------------------ SASL-3, SASL-4

    @Test
    void whenTheFilterLeavesNoMechanismTheSessionFailsWith470AndTheSiteIsThrottled_SASL3() {
        server.capabilities("AUTH GSSAPI").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> OK);
        DeliveryReport r = deliver(agent(hop() + "=user:secret", "smtp_sasl_mechanism_filter=!gssapi, static:all"));
        RecipientResult x = only(r);
        assertEquals(Outcome.DEFERRED, x.outcome());
        assertEquals("4.7.0", x.status().text());
        assertEquals("SASL authentication failed: server 127.0.0.1[127.0.0.1] offered no compatible authentication "
                + "mechanisms for this type of connection security", x.reason());
        assertTrue(r.throttle(), "a site-level failure");
        assertTrue(authLines().isEmpty(), server.commands().toString());
    }

    @Test
    void overPlaintextTheDefaultOptionsRefusePlainAndLogin_SASL4() {
        server.capabilities("AUTH PLAIN LOGIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> OK);
        RecipientResult x = only(deliver(agent(hop() + "=user:secret")));
        assertEquals(Outcome.DEFERRED, x.outcome());
        assertEquals("4.7.0", x.status().text());
        assertEquals("SASL authentication failed; cannot authenticate to server 127.0.0.1[127.0.0.1]: mechanism not supported",
                x.reason());
        assertTrue(authLines().isEmpty(), "nothing was sent in the clear: " + server.commands());
    }

    @Test
    void overTlsTheTlsOptionsApplyAndTheyDefaultToThePlaintextOnes_SASL4() {
        server.startTls(true).capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, plainFor("user", "secret"));
        RecipientResult x = only(deliver(agent(hop() + "=user:secret", "smtp_tls_security_level=may")));
        assertEquals("4.7.0", x.status().text(), "noplaintext still holds over TLS: " + x.reason());
        assertTrue(authLines().isEmpty());
        assertSent(deliver(agent(hop() + "=user:secret", "smtp_tls_security_level=may",
                "smtp_sasl_tls_security_options=noanonymous")));
    }

    // ------------------------------------------------------------------ SASL-5, SASL-6

    @Test
    void aLongInitialResponseWaitsForAnEmpty334_SASL5() {
        String user = "u".repeat(400);
        AtomicInteger step = new AtomicInteger();
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> switch (step.getAndIncrement()) {
            case 0 -> line.equals("AUTH PLAIN") ? "334 " : BAD;
            default -> line.equals(b64("\0" + user + "\0secret")) ? OK : BAD;
        });
        assertSent(deliver(agent(hop() + "=" + user + ":secret", "smtp_sasl_security_options=noanonymous")));
        assertEquals(2, authLines().size(), authLines().toString());
    }

    @Test
    void aNonEmptyChallengeWhereTheDeferredResponseWasDueIsAFailure_SASL5() {
        String user = "u".repeat(400);
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> "334 Z28gZmlyc3Q=");
        RecipientResult x = only(deliver(agent(hop() + "=" + user + ":secret", "smtp_sasl_security_options=noanonymous")));
        assertEquals("4.7.0", x.status().text());
        assertTrue(x.reason().startsWith("SASL authentication failed; non-empty initial PLAIN challenge from server "
                + "127.0.0.1[127.0.0.1]"), x.reason());
        assertFalse(x.reason().contains("secret") || x.reason().contains(b64("\0" + user + "\0secret")), x.reason());
    }

    @Test
    void loginAnswersEachChallengeWhateverItsTextAndMoreThan100IsALoop_SASL6() {
        AtomicInteger step = new AtomicInteger();
        server.capabilities("AUTH LOGIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> switch (step.getAndIncrement()) {
            case 0 -> line.equals("AUTH LOGIN") ? "334 " + b64("anything at all") : BAD;
            case 1 -> line.equals(b64("user")) ? "334 " + b64("and again") : BAD;
            default -> line.equals(b64("secret")) ? OK : BAD;
        });
        assertSent(deliver(agent(hop() + "=user:secret", "smtp_sasl_security_options=noanonymous")));

        server.reply(FakeSmtpServer.Stage.AUTH, (line, s) -> "334 " + b64("more"));
        RecipientResult x = only(deliver(agent(hop() + "=user:secret", "smtp_sasl_security_options=noanonymous",
                "smtp_sasl_mechanism_filter=login")));
        assertEquals("4.7.0", x.status().text(), "LOGIN has no third step: " + x.reason());
    }

    @Test
    void moreThan100ChallengesIsAnAuthenticationProtocolLoop_SASL6() {
        server.capabilities("AUTH XOAUTH2").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> "334 " + b64("{}"));
        RecipientResult x = only(deliver(agent(hop() + "=user:token", "smtp_sasl_security_options=noanonymous",
                "smtp_sasl_mechanism_filter=xoauth2")));
        assertEquals("4.3.0", x.status().text());
        assertEquals("SASL authentication failed; authentication protocol loop with server 127.0.0.1[127.0.0.1]", x.reason());
    }

    // ------------------------------------------------------------------ SASL-7

    @Test
    void a535IsSoftBouncedByDefaultAndTheSiteIsThrottled_SASL7() {
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> BAD);
        DeliveryReport r = deliver(agent(hop() + "=user:wrong", "smtp_sasl_security_options=noanonymous"));
        RecipientResult x = only(r);
        assertEquals(Outcome.DEFERRED, x.outcome());
        assertEquals("4.7.8", x.status().text());
        assertEquals("SASL authentication failed; server 127.0.0.1[127.0.0.1] said: " + BAD, x.reason());
        assertTrue(r.throttle());
        assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
    }

    @Test
    void withSoftBounceOffA535Bounces_SASL7() {
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> BAD);
        RecipientResult x = only(deliver(agent(hop() + "=user:wrong", "smtp_sasl_security_options=noanonymous",
                "smtp_sasl_auth_soft_bounce=no")));
        assertEquals(Outcome.BOUNCED, x.outcome());
        assertEquals("5.7.8", x.status().text());
    }

    // ------------------------------------------------------------------ SASL-8

    @Test
    void dummyAuthOnMailFromOnlyInAnAuthenticatedSessionAndOnlyWhenAskedFor_SASL8() {
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, plainFor("user", "secret"));
        assertSent(deliver(agent(hop() + "=user:secret", "smtp_sasl_security_options=noanonymous",
                "smtp_send_dummy_mail_auth=yes")));
        assertTrue(server.commands().stream().anyMatch(c -> c.startsWith("MAIL FROM:<s@client.test>") && c.endsWith(" AUTH=<>")),
                server.commands().toString());
        assertSent(deliver(agent("other.test=user:secret", "smtp_sasl_security_options=noanonymous",
                "smtp_send_dummy_mail_auth=yes")));
        String last = server.commands().stream().filter(c -> c.startsWith("MAIL FROM")).reduce((p, q) -> q).orElseThrow();
        assertFalse(last.contains("AUTH=<>"), "not authenticated, so no AUTH=<>: " + last);
    }

    // ------------------------------------------------------------------ SASL-9

    @Test
    void theFailureCacheIsRefusedAtStartRatherThanIgnored_SASL9() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> agent(hop() + "=user:secret",
                "smtp_sasl_auth_cache_name=proxy:btree:/var/lib/postfix/sasl_auth_cache"));
        assertEquals(78, e.exitStatus());
        assertTrue(e.getMessage().contains("smtp_sasl_auth_cache_name"), e.getMessage());
    }

    // ------------------------------------------------------------------ SASL-10

    @Test
    void aFailedOpportunisticHandshakeWithCredentialsNeverGoesOnInPlaintext_SASL10() {
        server.startTls(true).capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.STARTTLS, "220 2.0.0 go ahead")
                .reply(FakeSmtpServer.Stage.AUTH, plainFor("user", "secret"));
        // The server says 220 but never starts TLS: the handshake fails.
        RecipientResult x = only(deliver(agent(hop() + "=user:secret", "smtp_tls_security_level=may",
                "smtp_starttls_timeout=1s", "smtp_sasl_security_options=noanonymous")));
        assertEquals(Outcome.DEFERRED, x.outcome(), x.reason());
        assertTrue(authLines().isEmpty() && server.commands().stream().noneMatch(c -> c.startsWith("MAIL")),
                "nothing went out in plaintext: " + server.commands());
    }

    // ------------------------------------------------------------------ SASL-11

    @Test
    void aSessionAuthenticatedForOneSenderIsNeverReusedForAnother_SASL11() {
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> OK);
        DeliveryAgent a = agent("a@one.test=one:p1, b@two.test=two:p2", "smtp_sender_dependent_authentication=yes",
                "smtp_sasl_security_options=noanonymous", "smtp_connection_cache_destinations=127.0.0.1");
        assertSent(deliver(a, "a@one.test", hop()));
        assertSent(deliver(a, "a@one.test", hop()));
        assertEquals(1, server.sessions(), "the same sender reuses its session: " + server.commands());
        assertSent(deliver(a, "b@two.test", hop()));
        assertEquals(2, server.sessions(), "another sender gets a session of its own");
        assertEquals(List.of("AUTH PLAIN " + b64("\0one\0p1"), "AUTH PLAIN " + b64("\0two\0p2")), authLines());
    }

    // ------------------------------------------------------------------ SASL-12

    @Test
    void theAuthorizationIdIsSentOnlyWithSendCyrusSaslAuthzid_SASL12() {
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> OK);
        assertSent(deliver(agent(hop() + "=user:secret", "smtp_sasl_security_options=noanonymous",
                "send_cyrus_sasl_authzid=yes")));
        assertEquals("AUTH PLAIN " + b64("user\0user\0secret"), authLines().get(0));
    }

    @Test
    void aSaslTypeOtherThanCyrusStopsStartUp_SASL12() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> agent(hop() + "=user:secret", "smtp_sasl_type=dovecot"));
        assertEquals(78, e.exitStatus());
        assertThrows(ConfigurationException.class, () -> agent(hop() + "=user:secret", "smtp_sasl_security_options=noplaintext, nonsense"));
        ConfigurationException noMap = assertThrows(ConfigurationException.class, () -> agent(ConfigurationLoader.fromText("",
                "(test)", List.of("smtp_sasl_auth_enable=yes"))));
        assertTrue(noMap.getMessage().contains("smtp_sasl_password_maps"), noMap.getMessage());
    }

    // ------------------------------------------------------------------ SASL-13

    @Test
    void scramSha256IsPreferredWhateverTheServersOrderAndTheServerSignatureIsVerified_SASL13() throws Exception {
        server.capabilities("AUTH LOGIN PLAIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256")
                .reply(FakeSmtpServer.Stage.AUTH, new ScramServer("SHA-256", "user", "pencil", false));
        assertSent(deliver(agent(hop() + "=user:pencil", "smtp_sasl_security_options=noanonymous")));
        assertTrue(authLines().get(0).startsWith("AUTH SCRAM-SHA-256 "), authLines().toString());
        assertEquals("n,,n=user,r=", unb64(authLines().get(0).substring("AUTH SCRAM-SHA-256 ".length())).substring(0, 12));
    }

    @Test
    void aServerSignatureThatDoesNotVerifyIsAMechanismFailureEvenIfTheServerSays235_SASL13() throws Exception {
        server.capabilities("AUTH SCRAM-SHA-1").reply(FakeSmtpServer.Stage.AUTH, new ScramServer("SHA-1", "user", "pencil", true));
        RecipientResult x = only(deliver(agent(hop() + "=user:pencil", "smtp_sasl_security_options=noanonymous")));
        assertEquals(Outcome.DEFERRED, x.outcome());
        assertEquals("4.7.0", x.status().text());
        assertTrue(x.reason().startsWith("SASL authentication failed; cannot authenticate to server 127.0.0.1[127.0.0.1]: "),
                x.reason());
        assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), server.commands().toString());
    }

    @Test
    void credentialsScramCannotPrepareAreALocalFailureBeforeAnythingIsSent_SASL13() {
        server.capabilities("AUTH SCRAM-SHA-256").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> OK);
        // SASLprep refuses control characters; the table's fault, reported without the password
        RecipientResult x = only(deliver(agent(hop() + "=user:bad\u0007password", "smtp_sasl_security_options=noanonymous")));
        assertEquals(Outcome.DEFERRED, x.outcome());
        assertEquals("4.7.0", x.status().text());
        assertTrue(x.reason().startsWith("SASL authentication failed; cannot authenticate to server 127.0.0.1[127.0.0.1]: "
                + "SCRAM-SHA-256 cannot use these credentials"), x.reason());
        assertFalse(x.reason().contains("password"), x.reason());
        assertTrue(authLines().isEmpty(), server.commands().toString());
    }

    @Test
    void cramMd5IsTheHmacOfTheChallengeKeyedWithThePassword_SASL13() {
        // RFC 2195's example exchange.
        String challenge = "<1896.697170952@postoffice.reston.mci.net>";
        AtomicInteger step = new AtomicInteger();
        server.capabilities("AUTH PLAIN CRAM-MD5").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> switch (step.getAndIncrement()) {
            case 0 -> line.equals("AUTH CRAM-MD5") ? "334 " + b64(challenge) : BAD;
            default -> unb64(line).equals("tim b913a602c7eda7a495b4e6e7334d3890") ? OK : BAD;
        });
        assertSent(deliver(agent(hop() + "=tim:tanstaaftanstaaf", "smtp_sasl_security_options=noanonymous")));
    }

    @Test
    void plainAndLoginFailNoplaintextButScramPassesEvenNoactive_SASL13() {
        server.capabilities("AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256")
                .reply(FakeSmtpServer.Stage.AUTH, new ScramServer("SHA-256", "user", "pencil", false));
        assertSent(deliver(agent(hop() + "=user:pencil", "smtp_sasl_security_options=noplaintext, noactive, noanonymous")));
        assertTrue(authLines().get(0).startsWith("AUTH SCRAM-SHA-256 "), authLines().toString());
    }

    @Test
    void xoauth2IsChosenOnlyWhenTheFilterNamesItAndItsResponseIsByteForByte_SASL13() {
        AtomicInteger step = new AtomicInteger();
        String expected = "AUTH XOAUTH2 " + b64("user=me@gmail.test\u0001auth=Bearer ya29.token\u0001\u0001");
        server.capabilities("AUTH LOGIN PLAIN XOAUTH2").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> line.equals(expected) ? OK : BAD);
        assertSent(deliver(agent(hop() + "=me@gmail.test:ya29.token", "smtp_sasl_security_options=noanonymous",
                "smtp_sasl_mechanism_filter=xoauth2")));
        assertEquals(List.of(expected), authLines());

        // A refused token: the server's JSON error comes as a 334, answered with an empty line, then 535.
        server.reply(FakeSmtpServer.Stage.AUTH, (line, s) -> step.getAndIncrement() == 0
                ? "334 " + b64("{\"status\":\"401\",\"schemes\":\"bearer\"}") : line.isEmpty() ? BAD : "501 5.5.2 expected an empty line");
        RecipientResult x = only(deliver(agent(hop() + "=me@gmail.test:expired", "smtp_sasl_security_options=noanonymous",
                "smtp_sasl_mechanism_filter=xoauth2")));
        assertEquals("SASL authentication failed; server 127.0.0.1[127.0.0.1] said: " + BAD, x.reason());

        server.reply(FakeSmtpServer.Stage.AUTH, (line, s) -> line.startsWith("AUTH XOAUTH2") ? BAD : OK);
        deliver(agent(hop() + "=me@gmail.test:ya29.token", "smtp_sasl_security_options=noanonymous"));
        assertTrue(authLines().get(authLines().size() - 1).startsWith("AUTH PLAIN "), "without the filter naming it: " + authLines());
    }

    // ------------------------------------------------------------------ the documented set-up

    /** The first fenced block after {@code marker} in a page of the repository. */
    private static String block(String page, String marker) throws Exception {
        String text = Files.readString(Path.of("..").resolve(page));
        int at = text.indexOf(marker);
        int open = text.indexOf("```\n", at);
        return text.substring(open + 4, text.indexOf("```", open + 4));
    }

    @Test
    void theSmarthostConfigurationInTheDocsStartsAsWrittenAndReadmeShowsTheSame() throws Exception {
        String mainCf = block("docs/sasl.md", "`main.cf`:");
        assertEquals(mainCf, block("README.md", "## Relay through your provider's smarthost"), "README and docs/sasl.md agree");
        Path map = dir.resolve("sasl_passwd");
        Files.writeString(map, "[smtp.provider.example]:587    me@provider.example:my-password\n");
        Files.setPosixFilePermissions(map, PosixFilePermissions.fromString("rw-------"));
        String ca = "/etc/ssl/certs/ca-certificates.crt";
        if (!Files.isReadable(Path.of(ca))) { // a machine without Debian's CA bundle: a CA of the tests instead
            Path pem = dir.resolve("ca.pem");
            Files.writeString(pem, new io.netty.pkitesting.CertificateBuilder().subject("CN=Docs Test CA")
                    .setIsCertificateAuthority(true).ecp256().buildSelfSigned().getCertificatePEM());
            ca = pem.toString();
        }
        Configuration cfg = ConfigurationLoader.fromText(mainCf.replace("/etc/postilion/sasl_passwd", map.toString())
                .replace("/etc/ssl/certs/ca-certificates.crt", ca), "docs/sasl.md", List.of());
        AgentSettings settings = AgentConfiguration.agentSettings(cfg.forSmtp());
        assertEquals("SECURE", settings.session().tlsLevel().name());
        assertTrue(settings.sasl().enabled());
        assertEquals("me@provider.example", new SaslLogin(settings.sasl(), settings.rewriting(), new AgentLog("smtp"), false)
                .credentials("", "mail.provider.example", "[smtp.provider.example]:587").orElseThrow().username());
    }

    // ------------------------------------------------------------------ secrets

    /** Runs {@code work} with standard error (slf4j-simple's log, the debug transcript's too) captured. */
    private static String capturingLog(Runnable work) {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            work.run();
        } finally {
            System.setErr(saved);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void passwordsNeverReachTheDebugTranscriptTheLogOrTheResult() {
        server.capabilities("AUTH PLAIN").reply(FakeSmtpServer.Stage.AUTH, (line, s) -> BAD);
        String[] reason = new String[1];
        String log = capturingLog(() -> reason[0] = only(deliver(agent(hop() + "=user:topsecret",
                "smtp_sasl_security_options=noanonymous", "debug_peer_list=127.0.0.1"))).reason());
        String all = log + "\n" + reason[0];
        assertTrue(all.contains("AUTH PLAIN"), "the transcript shows the command: " + all);
        assertFalse(all.contains("topsecret") || all.contains(b64("\0user\0topsecret")), all);
    }

    @Test
    void aPasswordFileOthersCanReadGetsAWarningAtStart() throws Exception {
        Path map = dir.resolve("sasl_passwd");
        Files.writeString(map, hop() + " user:secret\n");
        Files.setPosixFilePermissions(map, PosixFilePermissions.fromString("rw-r--r--"));
        String log = capturingLog(() -> agent(ConfigurationLoader.fromText("", "(test)", List.of("smtp_sasl_auth_enable=yes",
                "smtp_sasl_password_maps=texthash:" + map))));
        assertTrue(log.contains(map.toString()) && log.contains("readable by other users"), log);
        Files.setPosixFilePermissions(map, PosixFilePermissions.fromString("rw-------"));
        String quiet = capturingLog(() -> agent(ConfigurationLoader.fromText("", "(test)", List.of("smtp_sasl_auth_enable=yes",
                "smtp_sasl_password_maps=texthash:" + map))));
        assertFalse(quiet.contains("readable by other users"), quiet);
    }

    /**
     * The server side of SCRAM (RFC 5802), enough to check what the client sends and to answer
     * with a true (or, when {@code lie}, a false) server signature.
     */
    private static final class ScramServer implements BiFunction<String, FakeSmtpServer.Session, String> {
        private final String hash;
        private final String user;
        private final String password;
        private final boolean lie;
        private final byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        private int step;
        private String clientFirstBare;
        private String serverFirst;
        private byte[] serverSignature;

        ScramServer(String hash, String user, String password, boolean lie) {
            this.hash = hash;
            this.user = user;
            this.password = password;
            this.lie = lie;
        }

        @Override
        public String apply(String line, FakeSmtpServer.Session session) {
            try {
                switch (step++) {
                    case 0 -> {
                        String first = unb64(line.substring(line.indexOf(' ', 5) + 1));
                        if (!first.startsWith("n,,n=" + user + ",r=")) {
                            return BAD;
                        }
                        clientFirstBare = first.substring(3);
                        String nonce = first.substring(first.indexOf(",r=") + 3) + "server";
                        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=4096";
                        return "334 " + b64(serverFirst);
                    }
                    case 1 -> {
                        String fin = unb64(line);
                        String withoutProof = fin.substring(0, fin.indexOf(",p="));
                        String mac = "Hmac" + hash.replace("-", "");
                        byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmac" + hash.replace("-", ""))
                                .generateSecret(new PBEKeySpec(password.toCharArray(), salt, 4096,
                                        hash.equals("SHA-1") ? 160 : 256)).getEncoded();
                        byte[] serverKey = hmac(mac, salted, "Server Key");
                        serverSignature = hmac(mac, serverKey, clientFirstBare + "," + serverFirst + "," + withoutProof);
                        if (lie) {
                            serverSignature[0] ^= 1;
                            return OK; // claims success before proving anything
                        }
                        return "334 " + b64("v=" + Base64.getEncoder().encodeToString(serverSignature));
                    }
                    default -> {
                        return line.isEmpty() ? OK : BAD;
                    }
                }
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        private static byte[] hmac(String alg, byte[] key, String text) throws java.security.GeneralSecurityException {
            Mac m = Mac.getInstance(alg);
            m.init(new SecretKeySpec(key, alg));
            return m.doFinal(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
