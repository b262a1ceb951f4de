package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.engine.maillog.MailLog;
import io.postilion.tls.TlsLevel;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS policy tables, the fingerprint level and trust anchor files, through the delivery agent
 * built from main.cf (TLS-2, TLS-3, TLS-4, TLS-16, TLS-24, TLS-28, TLS-31), against a scripted
 * STARTTLS server presenting certificates made here. {@code dest.test} and its subdomains have MX
 * records in a test DNS server pointing at that server; smtp_tcp_port is its port, so next hops
 * are written as Postfix users write them. Tables are texthash: files.
 */
class TlsPolicyTableTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String NOT_VERIFIED = "Server certificate not verified";
    private static final String CONFIG_PROBLEM = "client TLS configuration problem";

    private static X509Bundle ca;
    private static X509Bundle intermediate;

    private final AgentTestBed bed = new AgentTestBed();
    private FakeSmtpServer server;
    private TestDnsServer dns;
    private Path caFile;
    private int tables;

    @TempDir
    Path dir;

    @BeforeAll
    static void authorities() throws Exception {
        ca = new CertificateBuilder().subject("CN=Policy Test Root").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
        intermediate = new CertificateBuilder().subject("CN=Policy Test Intermediate").setIsCertificateAuthority(true)
                .ecp256().notBefore(Instant.now().minus(1, ChronoUnit.DAYS))
                .notAfter(Instant.now().plus(30, ChronoUnit.DAYS)).buildIssuedBy(ca);
    }

    /** A leaf certificate for {@code name} that {@code issuer} signed (null: a CA nobody trusts). */
    private static X509Bundle leaf(X509Bundle issuer, String name) throws Exception {
        return leaf(issuer, name, Instant.now().plus(30, ChronoUnit.DAYS));
    }

    private static X509Bundle leaf(X509Bundle issuer, String name, Instant notAfter) throws Exception {
        CertificateBuilder b = new CertificateBuilder().subject("CN=" + name).ecp256()
                .notBefore(Instant.now().minus(2, ChronoUnit.DAYS)).notAfter(notAfter)
                .addExtendedKeyUsageServerAuth().addSanDnsName(name);
        if (issuer == null) {
            issuer = new CertificateBuilder().subject("CN=Nobody's CA").setIsCertificateAuthority(true).ecp256()
                    .notBefore(Instant.now().minus(3, ChronoUnit.DAYS)).notAfter(Instant.now().plus(3, ChronoUnit.DAYS))
                    .buildSelfSigned();
        }
        return b.buildIssuedBy(issuer);
    }

    private static SslContext context(X509Bundle b) throws Exception {
        return SslContextBuilder.forServer(b.toKeyManagerFactory()).build();
    }

    private static String digest(String algorithm, byte[] der) throws Exception {
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance(algorithm).digest(der));
    }

    @BeforeEach
    void start() throws Exception {
        server = bed.closed(FakeSmtpServer.start().startTls(true));
        dns = bed.dns();
        caFile = Files.writeString(dir.resolve("ca.pem"), ca.getCertificatePEM());
        dns.mx("dest.test", 10, "mx1.dest.test").a("mx1.dest.test", "127.0.0.1");
        dns.mx("sub.dest.test", 10, "mx1.dest.test");
    }

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    /** The agent, trusting the root CA, at global level may unless {@code more} says otherwise. */
    private DeliveryAgent agent(String... more) {
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dns.dnsServers(), "smtp_tcp_port=" + server.port(),
                "smtp_tls_security_level=may", "smtp_tls_CAfile=" + caFile, "smtp_starttls_timeout=5s"));
        o.addAll(List.of(more));
        return bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)).clock(Clock.systemUTC()));
    }

    /** A texthash: table of these lines, as the option that names it under {@code parameter}. */
    private String table(String parameter, String... lines) throws Exception {
        Path f = dir.resolve("table" + tables++);
        Files.writeString(f, String.join("\n", lines) + "\n");
        return parameter + "=texthash:" + f;
    }

    private String policy(String... lines) throws Exception {
        return table("smtp_tls_policy_maps", lines);
    }

    private int mark;

    private RecipientResult deliver(DeliveryAgent agent, String nexthop) {
        mark = server.commands().size();
        DeliveryRequest request = DeliveryRequest.builder("4POLICY", "s@client.test", nexthop)
                .content(ContentSource.of("Subject: tls\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .recipient("rcpt@dest.test").build();
        DeliveryReport r = agent.deliver(request).block(WAIT);
        return r.results().get(0);
    }

    private List<String> since() {
        List<String> all = server.commands();
        return all.subList(Math.min(mark, all.size()), all.size());
    }

    /** Runs {@code body} with the mail log going to a file; returns its result and keeps the log in {@link #log}. */
    private <T> T logged(Supplier<T> body) throws Exception {
        Path file = dir.resolve("maillog" + tables++);
        MailLog m = MailLog.open(file, "client", "postilion", Clock.systemUTC());
        MailLog.install(m);
        try {
            return body.get();
        } finally {
            m.close();
            log = Files.readString(file);
        }
    }

    private String log = "";

    private static void assertSent(RecipientResult r, String tls) {
        assertEquals(Outcome.SENT, r.outcome(), r.status().text() + " " + r.reason());
        assertEquals(tls, r.tls(), "LOG-5: the level met");
    }

    private void assertDeferred(RecipientResult r, String reason) {
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals("4.7.5", r.status().text(), r.reason());
        assertEquals(reason, r.reason());
        assertTrue(since().stream().noneMatch(c -> c.startsWith("MAIL")), since().toString());
    }

    /** A skipped server was never connected to. */
    private void assertNotConnected(int sessionsBefore) {
        assertEquals(sessionsBefore, server.sessions(), "the server was skipped before connecting");
    }

    // ------------------------------------------------------------------ TLS-3: which key

    @Test
    void anEntryForTheDomainDoesNotCoverItsSubdomainsButADotEntryDoes_TLS3() throws Exception {
        server.tlsContext(context(leaf(ca, "mx1.dest.test")));
        assertSent(deliver(agent(policy("dest.test secure match=hostname")), "sub.dest.test"), "may");
        assertSent(deliver(agent(policy(".dest.test secure match=hostname")), "sub.dest.test"), "secure");
        assertSent(deliver(agent(policy(".test secure match=hostname")), "sub.dest.test"), "secure");
        // the verbatim name wins over its parents
        assertSent(deliver(agent(policy(".dest.test secure match=nowhere.test", "sub.dest.test verify")), "sub.dest.test"),
                "verify");
    }

    @Test
    void aBracketedNexthopWithPortIsLookedUpVerbatimCaseFoldedAndWithoutParents_TLS3() throws Exception {
        server.tlsContext(context(leaf(ca, "mx1.dest.test")));
        String nexthop = "[MX1.Dest.Test]:" + server.port();
        assertSent(deliver(agent(policy("mx1.dest.test secure", ".dest.test secure", "[mx1.dest.test] secure")), nexthop),
                "may");
        assertSent(deliver(agent(policy("[mx1.dest.test]:" + server.port() + " verify")), nexthop), "verify");
    }

    @Test
    void tablesAreSearchedInOrderForEachKeyTheFullKeyFirst_TLS31() throws Exception {
        server.tlsContext(context(leaf(ca, "mx1.dest.test")));
        String first = policy(".dest.test secure match=nowhere.test");
        String second = table("x", "sub.dest.test verify");
        String both = first + ", texthash:" + second.substring(second.indexOf("texthash:") + 9);
        // the first table knows only the parent: the second table's full key is tried before any parent
        assertSent(deliver(agent(both), "sub.dest.test"), "verify");
        String third = table("x", "sub.dest.test encrypt");
        String twoFull = table("smtp_tls_policy_maps", "sub.dest.test verify") + ", texthash:"
                + third.substring(third.indexOf("texthash:") + 9);
        assertSent(deliver(agent(twoFull), "sub.dest.test"), "verify");
    }

    // ------------------------------------------------------------------ TLS-4: entries

    @Test
    void matchAtEncryptMakesThePolicyInvalidAndDefers_TLS4() throws Exception {
        server.tlsContext(context(leaf(ca, "mx1.dest.test")));
        DeliveryAgent agent = agent(policy("dest.test encrypt match=x"));
        int before = server.sessions();
        RecipientResult r = logged(() -> deliver(agent, "dest.test"));
        assertDeferred(r, CONFIG_PROBLEM);
        assertNotConnected(before);
        assertTrue(log.contains("warning: ") && log.contains("\"dest.test\"") && log.contains("match"), log);
    }

    @Test
    void levelNoneIgnoresItsAttributesWithAWarningEach_TLS4() throws Exception {
        server.tlsContext(context(leaf(ca, "mx1.dest.test")));
        DeliveryAgent agent = agent(policy("dest.test none ciphers=high tafile=/nowhere"));
        RecipientResult r = logged(() -> deliver(agent, "dest.test"));
        assertSent(r, "none");
        assertFalse(since().contains("STARTTLS"), since().toString());
        assertTrue(log.contains("ciphers=high") && log.contains("tafile=/nowhere"), log);
        assertEquals(2, log.lines().filter(l -> l.contains("warning:") && l.contains("level none")).count(), log);
    }

    @Test
    void aBrokenEntryIsNeverAWeakerPolicy_TLS4() throws Exception {
        server.tlsContext(context(leaf(ca, "mx1.dest.test")));
        for (String bad : new String[] {"secure match=", "verify bogus", "secure ciphers=high ciphers=low", "halfdane",
            "secure connection_reuse=perhaps", "secure mx_host_pattern=*.dest.test", "{ verify }"}) {
            int before = server.sessions();
            assertDeferred(deliver(agent(policy("dest.test " + bad)), "dest.test"), CONFIG_PROBLEM);
            assertNotConnected(before);
        }
    }

    @Test
    void protocolAndCipherAttributesThatCannotBeHonouredMakeThePolicyInvalid_TLS4_TLS26_TLS27() throws Exception {
        // a value no context can be built for skips the server (4.7.5), from a fixed or a computed table
        for (String attribute : new String[] {"ciphers=null", "exclude=NOSUCHCIPHER", "protocols=TLSv1.2,TLSv1.3"}) {
            int before = server.sessions();
            assertDeferred(deliver(agent(policy("dest.test encrypt " + attribute)), "dest.test"), CONFIG_PROBLEM);
            assertNotConnected(before);
        }
        Path regexp = Files.writeString(dir.resolve("policy.regexp"), "/^dest\\.test$/ encrypt ciphers=null\n");
        int before = server.sessions();
        assertDeferred(deliver(agent("smtp_tls_policy_maps=regexp:" + regexp), "dest.test"), CONFIG_PROBLEM);
        assertNotConnected(before);
        // a value that can be honoured is applied: the handshake offers only what the entry allows
        server.tlsContext(context(leaf(ca, "mx1.dest.test")));
        assertSent(deliver(agent(policy("dest.test encrypt { protocols = >=TLSv1.2 } ciphers=high exclude=aNULL")),
                "dest.test"), "encrypt");
    }

    @Test
    void servernameAndBracedAttributesApply_TLS4_TLS17() throws Exception {
        server.tlsContext(context(leaf(ca, "mx1.dest.test")));
        assertSent(deliver(agent(policy("dest.test verify { match = hostname } servername=sni.dest.test")), "dest.test"),
                "verify");
        assertEquals("sni.dest.test", server.serverNames().get(server.serverNames().size() - 1));
        assertSent(deliver(agent(policy("dest.test verify servername=hostname")), "dest.test"), "verify");
        assertEquals("mx1.dest.test", server.serverNames().get(server.serverNames().size() - 1));
    }

    @Test
    void aDaneOnlyEntryRunsTheDaneStepWhichNeedsDnssecLookups_TLS4_TLS8() throws Exception {
        // the table's level goes through TLS-3 step 5 like the global one: without dnssec lookups
        // (smtp_dns_support_level is empty here) dane-only is a configuration problem, never weaker
        DeliveryAgent agent = agent(policy("dest.test dane-only"));
        int before = server.sessions();
        RecipientResult r = logged(() -> deliver(agent, "dest.test"));
        assertDeferred(r, CONFIG_PROBLEM);
        assertNotConnected(before);
        assertTrue(log.contains("dane-only configured with dnssec lookups disabled"), log);
    }

    @Test
    void wrapperModeSkipsAServerWhoseTablePolicyIsBelowEncrypt_TLS14_TLS3() throws Exception {
        server.wrapperMode(true).tlsContext(context(leaf(ca, "mx1.dest.test")));
        DeliveryAgent agent = agent("smtp_tls_wrappermode=yes", "smtp_tls_security_level=encrypt", policy("dest.test may"));
        int before = server.sessions();
        RecipientResult r = logged(() -> deliver(agent, "dest.test"));
        // TLS-14: skipped with a warning and no error of its own, so the request ends as Postfix's
        // does when no server was tried: 4.3.0 "server unavailable or unable to receive mail"
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals("4.3.0", r.status().text(), r.reason());
        assertNotConnected(before);
        assertTrue(log.contains("smtp_tls_wrappermode requires \"smtp_tls_security_level = encrypt\" (or stronger)"), log);
        assertTrue(log.contains("next-hop destination \"dest.test\""), "the warning names the table entry: " + log);
    }

    // ------------------------------------------------------------------ TLS-28: fingerprint

    @Test
    void fingerprintWithTwoMatchValuesAcceptsEitherCertificate_TLS28() throws Exception {
        X509Bundle one = leaf(null, "one.test");
        X509Bundle two = leaf(null, "two.test", Instant.now().minus(1, ChronoUnit.DAYS)); // expired: no date check
        String fp1 = digest("SHA-256", one.getCertificate().getEncoded());
        String fp2 = digest("SHA-256", two.getCertificate().getEncoded()).replace(":", "").toLowerCase();
        for (String entry : new String[] {"fingerprint match=" + fp1 + "|" + fp2, "fingerprint match=" + fp1 + " match=" + fp2}) {
            DeliveryAgent agent = agent(policy("dest.test " + entry));
            server.tlsContext(context(one));
            assertSent(deliver(agent, "dest.test"), "fingerprint");
            server.tlsContext(context(two));
            assertSent(deliver(agent, "dest.test"), "fingerprint");
        }
        server.tlsContext(context(leaf(null, "three.test")));
        assertDeferred(deliver(agent(policy("dest.test fingerprint match=" + fp1)), "dest.test"), NOT_VERIFIED);
    }

    @Test
    void theMainCfListMatchesTheLeafOrItsPublicKeyWithTheConfiguredDigest_TLS28() throws Exception {
        X509Bundle self = leaf(null, "whatever.test");
        server.tlsContext(context(self));
        String spki = digest("SHA-256", self.getCertificate().getPublicKey().getEncoded());
        assertSent(deliver(agent("smtp_tls_security_level=fingerprint", "smtp_tls_fingerprint_cert_match=" + spki),
                "dest.test"), "fingerprint");
        String md5 = digest("MD5", self.getCertificate().getEncoded());
        assertSent(deliver(agent("smtp_tls_security_level=fingerprint", "smtp_tls_fingerprint_digest=md5",
                "smtp_tls_fingerprint_cert_match=" + md5), "dest.test"), "fingerprint");
        // the same value under the default digest is malformed (wrong length): no usable value left
        int before = server.sessions();
        DeliveryAgent agent = agent("smtp_tls_security_level=fingerprint", "smtp_tls_fingerprint_cert_match=" + md5 + ", zz");
        RecipientResult r = logged(() -> deliver(agent, "dest.test"));
        assertDeferred(r, CONFIG_PROBLEM);
        assertNotConnected(before);
        assertTrue(log.contains("malformed sha256 fingerprint value: " + md5) && log.contains("zz"), log);
    }

    @Test
    void malformedFingerprintsAreSkippedWithAWarningAndTheRestStillMatch_TLS28() throws Exception {
        X509Bundle self = leaf(null, "whatever.test");
        server.tlsContext(context(self));
        String fp = digest("SHA-256", self.getCertificate().getEncoded());
        DeliveryAgent agent = agent(policy("dest.test fingerprint match=not-hex|" + fp + "|AB:CD"));
        RecipientResult r = logged(() -> deliver(agent, "dest.test"));
        assertSent(r, "fingerprint");
        assertTrue(log.contains("malformed sha256 fingerprint value: not-hex") && log.contains("value: AB:CD"), log);
    }

    @Test
    void anUnknownDigestStopsStartUp_TLS28_TLS29() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> agent("smtp_tls_fingerprint_digest=whirlpool"));
        assertEquals(78, e.exitStatus());
        assertEquals(java.util.Optional.of("smtp_tls_fingerprint_digest"), e.parameter());
    }

    // ------------------------------------------------------------------ TLS-24: trust anchor files

    @Test
    void aTafileLeafIsItsOwnAnchorWithoutExpiryOrSelfSignatureButNamesStillCount_TLS24() throws Exception {
        X509Bundle self = leaf(null, "mx1.dest.test", Instant.now().minus(1, ChronoUnit.DAYS));
        Path anchor = Files.writeString(dir.resolve("leaf.pem"), self.getCertificatePEM());
        server.tlsContext(context(self));
        assertSent(deliver(agent(policy("dest.test verify tafile=" + anchor)), "dest.test"), "verify");
        assertDeferred(deliver(agent(policy("dest.test verify match=other.test tafile=" + anchor)), "dest.test"), NOT_VERIFIED);
    }

    @Test
    void aTafileReplacesTheCaStoreForThatDestination_TLS24() throws Exception {
        X509Bundle other = new CertificateBuilder().subject("CN=Other Root").setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(1, ChronoUnit.DAYS)).notAfter(Instant.now().plus(3, ChronoUnit.DAYS))
                .buildSelfSigned();
        Path otherPem = Files.writeString(dir.resolve("other.pem"), other.getCertificatePEM());
        // signed by an intermediate the server sends, under the root in the anchor file (a bare public key)
        X509Bundle chained = leaf(intermediate, "mx1.dest.test");
        server.tlsContext(SslContextBuilder.forServer(chained.getKeyPair().getPrivate(), chained.getCertificate(),
                intermediate.getCertificate()).build());
        Path rootKey = Files.writeString(dir.resolve("root-key.pem"), "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(ca.getCertificate().getPublicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        assertSent(deliver(agent(policy("dest.test secure match=hostname tafile=" + rootKey)), "dest.test"), "secure");
        // the CAfile's root does not count once a tafile is given
        assertDeferred(deliver(agent(policy("dest.test secure match=hostname tafile=" + otherPem)), "dest.test"),
                NOT_VERIFIED);
    }

    @Test
    void anUnreadableOrEmptyTafileMakesThePolicyInvalid_TLS24() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");
        for (Path f : new Path[] {dir.resolve("missing.pem"), empty, dir}) {
            int before = server.sessions();
            DeliveryAgent agent = agent(policy("dest.test verify tafile=" + f));
            RecipientResult r = logged(() -> deliver(agent, "dest.test"));
            assertDeferred(r, CONFIG_PROBLEM);
            assertNotConnected(before);
            assertTrue(log.contains("trust anchor file " + f), log);
        }
    }

    @Test
    void theMainCfTrustAnchorFileAppliesToEveryVerifyingDestination_TLS24() throws Exception {
        server.tlsContext(context(leaf(ca, "mx1.dest.test")));
        Path elsewhere = Files.writeString(dir.resolve("elsewhere.pem"), leaf(null, "x.test").getCertificatePEM());
        assertSent(deliver(agent("smtp_tls_security_level=verify", "smtp_tls_CAfile=",
                "smtp_tls_trust_anchor_file=" + caFile), "dest.test"), "verify");
        assertDeferred(deliver(agent("smtp_tls_security_level=verify", "smtp_tls_trust_anchor_file=" + elsewhere),
                "dest.test"), NOT_VERIFIED);
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> agent("smtp_tls_trust_anchor_file=" + dir.resolve("missing.pem")));
        assertEquals(78, e.exitStatus());
        assertEquals(java.util.Optional.of("smtp_tls_trust_anchor_file"), e.parameter());
    }

    @Test
    void theVerifyDepthLimitsTheChain_TLS24() throws Exception {
        X509Bundle chained = leaf(intermediate, "mx1.dest.test");
        server.tlsContext(SslContextBuilder.forServer(chained.getKeyPair().getPrivate(), chained.getCertificate(),
                intermediate.getCertificate()).build());
        // leaf, intermediate, root: two above the leaf
        assertSent(deliver(agent("smtp_tls_security_level=verify", "smtp_tls_scert_verifydepth=2"), "dest.test"), "verify");
        assertDeferred(deliver(agent("smtp_tls_security_level=verify", "smtp_tls_scert_verifydepth=1"), "dest.test"),
                NOT_VERIFIED);
        Path rootPem = caFile;
        assertDeferred(deliver(agent(policy("dest.test verify tafile=" + rootPem), "smtp_tls_scert_verifydepth=1"),
                "dest.test"), NOT_VERIFIED);
        // with the intermediate itself as the CA, depth 1 suffices
        Path interPem = Files.writeString(dir.resolve("inter.pem"), intermediate.getCertificatePEM());
        assertSent(deliver(agent("smtp_tls_security_level=verify", "smtp_tls_CAfile=" + interPem,
                "smtp_tls_scert_verifydepth=1"), "dest.test"), "verify");
    }

    @Test
    void appendDefaultCaAddsTheJdkCasOnlyWhenACaFileIsSet_TLS24() {
        int own = AgentConfiguration.agentSettings(AgentTestBed.config(List.of("smtp_tls_security_level=verify",
                "smtp_tls_CAfile=" + caFile))).session().verification().anchors().size();
        int appended = AgentConfiguration.agentSettings(AgentTestBed.config(List.of("smtp_tls_security_level=verify",
                "smtp_tls_CAfile=" + caFile, "tls_append_default_CA=yes"))).session().verification().anchors().size();
        int none = AgentConfiguration.agentSettings(AgentTestBed.config(List.of("smtp_tls_security_level=verify",
                "tls_append_default_CA=yes"))).session().verification().anchors().size();
        assertEquals(1, own);
        assertTrue(appended > 10, "the JDK's CAs: " + appended);
        assertEquals(0, none, "no CAfile or CApath: nothing is trusted, the defaults included");
    }

    // ------------------------------------------------------------------ TLS-16: MTA-STS plugin answers

    @Test
    void stsMxPatternsSkipOtherMxHostsAndTheMatchListBecomesHostname_TLS16() throws Exception {
        // only mx1 listens: the others are skipped before any connection, or refused in the legacy run
        dns.mx("sts.test", 10, "a.b.sts.test").a("a.b.sts.test", "127.0.0.2")
                .mx("sts.test", 20, "sts.test").a("sts.test", "127.0.0.3")
                .mx("sts.test", 30, "mx1.sts.test").a("mx1.sts.test", "127.0.0.1");
        server.tlsContext(context(leaf(ca, "mx1.sts.test")));
        String sts = policy("sts.test secure match=sts.test servername=hostname policy_type=sts policy_domain=sts.test"
                + " policy_ttl=86400 mx_host_pattern=*.sts.test");
        DeliveryAgent agent = agent(sts);
        int before = server.sessions();
        RecipientResult r = logged(() -> deliver(agent, "sts.test"));
        assertSent(r, "secure"); // the certificate names mx1.sts.test, not the policy's sts.test
        assertEquals(before + 1, server.sessions(), "a.b.sts.test and sts.test were skipped without a connection");
        assertTrue(log.contains("MX host a.b.sts.test matches no mx_host_pattern") && log.contains("MX host sts.test matches"),
                log);
        assertFalse(log.contains("MX host mx1.sts.test matches no"), log);
        // legacy behaviour: every MX host, the plugin's match list as it is
        RecipientResult legacy = deliver(agent(sts, "smtp_tls_enforce_sts_mx_patterns=no"), "sts.test");
        assertEquals(Outcome.DEFERRED, legacy.outcome());
        assertEquals(NOT_VERIFIED, legacy.reason());
    }

    @Test
    void aPolicyFailureNeverMatches_TLS4() throws Exception {
        server.tlsContext(context(leaf(ca, "mx1.dest.test")));
        assertDeferred(deliver(agent(policy("dest.test verify policy_type=sts policy_failure=sts-policy-invalid")),
                "dest.test"), NOT_VERIFIED);
    }

    // ------------------------------------------------------------------ TLS-3 step 4: per-site

    @Test
    void perSiteMustMeansVerifyAndNoneOverridesMay_TLS3() throws Exception {
        server.tlsContext(context(leaf(ca, "other.test")));
        assertDeferred(deliver(agent(table("smtp_tls_per_site", "dest.test MUST")), "dest.test"), NOT_VERIFIED);
        assertSent(deliver(agent(table("smtp_tls_per_site", "dest.test MUST_NOPEERMATCH")), "dest.test"), "encrypt");
        assertSent(deliver(agent(table("smtp_tls_per_site", "dest.test MAY", "mx1.dest.test NONE")), "dest.test"), "none");
        assertFalse(since().contains("STARTTLS"), since().toString());
        // the stronger of the two wins
        assertSent(deliver(agent(table("smtp_tls_per_site", "dest.test NONE", "mx1.dest.test MUST_NOPEERMATCH")),
                "dest.test"), "encrypt");
        // MAY does not lower a stronger global level
        assertSent(deliver(agent("smtp_tls_security_level=encrypt", table("smtp_tls_per_site", "dest.test MAY")),
                "dest.test"), "encrypt");
    }

    @Test
    void perSiteIsIgnoredWhenPolicyMapsAreSet_TLS3() throws Exception {
        server.tlsContext(context(leaf(ca, "other.test")));
        assertSent(deliver(agent(table("smtp_tls_per_site", "dest.test MUST"), policy("dest.test encrypt")), "dest.test"),
                "encrypt");
    }

    // ------------------------------------------------------------------ TLS-2: the obsolete parameters

    @Test
    void anEmptyLevelIsDerivedFromTheObsoleteParameters_TLS2() {
        assertEquals(TlsLevel.VERIFY, level("smtp_tls_security_level=", "smtp_enforce_tls=yes"));
        assertEquals(TlsLevel.ENCRYPT, level("smtp_tls_security_level=", "smtp_enforce_tls=yes",
                "smtp_tls_enforce_peername=no"));
        assertEquals(TlsLevel.MAY, level("smtp_tls_security_level=", "smtp_use_tls=yes"));
        assertEquals(TlsLevel.NONE, level("smtp_tls_security_level="));
        assertEquals(TlsLevel.MAY, level("smtp_tls_security_level=may", "smtp_enforce_tls=yes"), "a level wins");
        var lmtp = ConfigurationLoader.fromText("", "(test)", List.of("lmtp_use_tls=yes", "smtp_tls_security_level=verify"))
                .forLmtp();
        assertEquals(TlsLevel.MAY, AgentConfiguration.tlsLevel(lmtp), "LMTP's empty level and its own twin");
    }

    @Test
    void smtpEnforceTlsRequiresTlsThroughTheAgent_TLS2() throws Exception {
        FakeSmtpServer plain = bed.closed(FakeSmtpServer.start());
        RecipientResult r = deliver(bed.agent(DeliveryAgent.builder(AgentTestBed.config(List.of("dns_servers=" + dns.dnsServers(),
                "smtp_tls_security_level=", "smtp_enforce_tls=yes", "smtp_tls_enforce_peername=no")))
                .clock(Clock.systemUTC())), "[127.0.0.1]:" + plain.port());
        assertEquals(Outcome.DEFERRED, r.outcome(), r.reason());
        assertEquals("4.7.4", r.status().text(), r.reason());
        assertTrue(plain.commands().stream().noneMatch(c -> c.startsWith("MAIL")));
    }

    @Test
    void lmtpReadsItsOwnTwins_TLS3() throws Exception {
        String smtpTable = policy("dest.test secure");
        String lmtpTable = "lmtp_tls_policy_maps=" + table("x", "dest.test fingerprint").substring(2);
        var cfg = ConfigurationLoader.fromText("", "(test)", List.of(smtpTable, lmtpTable,
                "lmtp_tls_fingerprint_digest=sha1", "lmtp_tls_scert_verifydepth=3")).forLmtp();
        var sources = AgentConfiguration.agentSettings(cfg).tlsPolicy().sources();
        assertEquals("lmtp_tls_policy_maps", sources.policyMapsName());
        assertEquals(java.util.Optional.of("fingerprint"), sources.policyMaps().find("dest.test"));
        assertEquals("sha1", sources.fingerprintDigest());
        assertEquals(3, sources.verifyDepth());
    }

    private static TlsLevel level(String... options) {
        return AgentConfiguration.tlsLevel(AgentTestBed.config(List.of(options)));
    }
}
