package io.postilion.engine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.postilion.dns.testserver.TestDnsServer;
import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.delivery.DeliveryRequest;
import io.postilion.engine.delivery.Outcome;
import io.postilion.engine.delivery.RecipientResult;
import io.postilion.transport.content.ContentSource;
import io.postilion.transport.testserver.FakeSmtpServer;
import io.postilion.transport.testserver.FakeSmtpServer.Stage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The downgrade matrix: every configuration that promises an authenticated channel (verify,
 * secure, dane with usable TLSA records, dane-only, an enforced MTA-STS policy, a policy-table
 * entry at secure) against every active attack that applies to it (STARTTLS stripped or refused, a
 * TLSA lookup that fails, DNSSEC proof stripped, a certificate for another name, an expired one,
 * one from an untrusted CA, a broken handshake), for a fresh message and for one old enough for
 * TLS-11's plaintext retry. In every cell the recipient is deferred with the spec's status and the
 * server never sees MAIL FROM: no mail in plaintext, none over an unverified channel. The agent is
 * built from main.cf; mail for dest.test goes to its MX mx1.dest.test, a scripted server on
 * 127.0.0.1. A baseline row shows each configuration delivering when nobody interferes (so a
 * deferral is the attack's doing), and a contrast row shows the plaintext retry at may.
 */
class DowngradeMatrixTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String POLICY_HOST = "127.0.0.43";
    private static final String ENFORCE = "version: STSv1\r\nmode: enforce\r\nmx: mx1.dest.test\r\nmax_age: 86400\r\n";
    /** Older than minimal_backoff_time (300s) when picked up: TLS-11 would allow a plaintext retry at may. */
    private static final Duration OLD = Duration.ofMinutes(10);
    private static final Duration FRESH = Duration.ofSeconds(10);

    private static X509Bundle ca;
    private static X509Bundle otherCa;
    private static X509Bundle good;

    /** A configuration that must never yield plaintext or an unauthenticated session. */
    enum Protection { VERIFY, SECURE, DANE, DANE_ONLY, MTA_STS_ENFORCE, POLICY_TABLE_SECURE }

    /** What the attacker (on the path, or in the DNS) does. */
    enum Attack {
        STARTTLS_STRIPPED("4.7.4", "TLS is required, but was not offered by host mx1.dest.test[127.0.0.1]"),
        STARTTLS_454("4.7.0", "TLS is required, but host mx1.dest.test[127.0.0.1] refused to start TLS: 454 4.7.0"),
        TLSA_SERVFAIL("4.7.5", "TLSA lookup error for mx1.dest.test:"),
        /** The MX RRset's answer arrives without the AD bit; the server presents the attacker's certificate. */
        MX_UNSIGNED("4.7.5", null),
        /** The TLSA RRset arrives without the AD bit (so it counts as none) where it must be signed. */
        TLSA_UNSIGNED("4.7.5", "no TLSA records found"),
        CERT_OTHER_NAME("4.7.5", "Server certificate not verified"),
        CERT_EXPIRED("4.7.5", "Server certificate not verified"),
        CERT_UNTRUSTED_CA("4.7.5", "Server certificate not verified"),
        HANDSHAKE_FAILURE("4.7.5", "Cannot start TLS: handshake failure");

        final String status;
        final String reason;

        Attack(String status, String reason) {
            this.status = status;
            this.reason = reason;
        }
    }

    /** Which attacks a protection must withstand (the DNS ones only where DNS is the proof). */
    static Set<Attack> applicable(Protection p) {
        Set<Attack> all = EnumSet.of(Attack.STARTTLS_STRIPPED, Attack.STARTTLS_454, Attack.CERT_OTHER_NAME,
                Attack.CERT_EXPIRED, Attack.CERT_UNTRUSTED_CA, Attack.HANDSHAKE_FAILURE);
        if (p == Protection.DANE || p == Protection.DANE_ONLY) {
            all.add(Attack.TLSA_SERVFAIL);
            all.add(Attack.MX_UNSIGNED);
        }
        if (p == Protection.DANE_ONLY) {
            // At dane an unsigned TLSA answer is "no TLSA" and means may (TLS-8, as Postfix):
            // dane promises nothing then; dane-only must defer.
            all.add(Attack.TLSA_UNSIGNED);
        }
        return all;
    }

    static Stream<Arguments> cells() {
        List<Arguments> cells = new ArrayList<>();
        for (Protection p : Protection.values()) {
            for (Attack a : applicable(p)) {
                for (Duration age : List.of(FRESH, OLD)) {
                    cells.add(Arguments.of(p + " x " + a + " x " + (age == OLD ? "old" : "fresh"), p, a, age));
                }
            }
        }
        return cells.stream();
    }

    static Stream<Arguments> protections() {
        return Stream.of(Protection.values()).map(p -> Arguments.of(p + " x no attack", p));
    }

    private final AgentTestBed bed = new AgentTestBed();
    private FakeSmtpServer server;
    private TestDnsServer dns;
    private Path caFile;

    @TempDir
    Path dir;

    @BeforeAll
    static void certificates() throws Exception {
        ca = authority("CN=Downgrade Test CA");
        otherCa = authority("CN=Someone Else's CA");
        good = issued(ca, Instant.now().plus(30, ChronoUnit.DAYS), "mx1.dest.test", "dest.test");
    }

    private static X509Bundle authority(String subject) throws Exception {
        return new CertificateBuilder().subject(subject).setIsCertificateAuthority(true).ecp256()
                .notBefore(Instant.now().minus(60, ChronoUnit.DAYS)).notAfter(Instant.now().plus(30, ChronoUnit.DAYS))
                .buildSelfSigned();
    }

    /** A server certificate of {@code issuer} for these names, valid until {@code notAfter}, with a key of its own. */
    private static X509Bundle issued(X509Bundle issuer, Instant notAfter, String... names) throws Exception {
        CertificateBuilder b = new CertificateBuilder().subject("CN=" + names[0]).ecp256()
                .notBefore(Instant.now().minus(30, ChronoUnit.DAYS)).notAfter(notAfter).addExtendedKeyUsageServerAuth();
        for (String n : names) {
            b.addSanDnsName(n);
        }
        return b.buildIssuedBy(issuer);
    }

    private static SslContext context(X509Bundle leaf) throws Exception {
        return SslContextBuilder.forServer(leaf.toKeyManagerFactory()).build();
    }

    private static byte[] spki256(X509Bundle b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b.getCertificate().getPublicKey().getEncoded());
    }

    @BeforeEach
    void start() throws Exception {
        server = bed.server("127.0.0.1").startTls(true).tlsContext(context(good));
        dns = bed.dns();
        caFile = Files.writeString(dir.resolve("ca.pem"), ca.getCertificatePEM());
    }

    @AfterEach
    void stop() throws Exception {
        bed.close();
    }

    private String tlsaName() {
        return "_" + server.port() + "._tcp.mx1.dest.test";
    }

    /** The zone and, for MTA-STS, the policy host; then the agent configured for {@code p}. */
    private DeliveryAgent protectedBy(Protection p, Attack a) throws Exception {
        dns.mx("dest.test", 10, "mx1.dest.test").a("mx1.dest.test", "127.0.0.1");
        List<String> o = new ArrayList<>(List.of("dns_servers=" + dns.dnsServers(), "smtp_tcp_port=" + server.port(),
                "smtp_starttls_timeout=5s"));
        switch (p) {
            case VERIFY -> o.addAll(List.of("smtp_tls_security_level=verify", "smtp_tls_CAfile=" + caFile));
            case SECURE -> o.addAll(List.of("smtp_tls_security_level=secure", "smtp_tls_CAfile=" + caFile));
            case DANE, DANE_ONLY -> {
                o.addAll(List.of("smtp_tls_security_level=" + (p == Protection.DANE ? "dane" : "dane-only"),
                        "smtp_dns_support_level=dnssec"));
                dns.authenticated("mx1.dest.test");
                if (a != Attack.MX_UNSIGNED) {
                    dns.authenticated("dest.test");
                }
                if (a == Attack.TLSA_SERVFAIL) {
                    dns.rcode(tlsaName(), Type.TLSA, Rcode.SERVFAIL);
                } else {
                    dns.tlsa(tlsaName(), 3, 1, 1, spki256(good));
                    if (a != Attack.TLSA_UNSIGNED) {
                        dns.authenticated(tlsaName());
                    }
                }
            }
            case MTA_STS_ENFORCE -> {
                // the global level is may: whatever protection there is comes from the policy
                o.addAll(List.of("smtp_tls_security_level=may", "smtp_tls_mta_sts_enable=yes",
                        "smtp_tls_mta_sts_CAfile=" + caFile));
                dns.a("mta-sts.dest.test", POLICY_HOST);
                dns.add(new TXTRecord(Name.fromString("_mta-sts.dest.test."), DClass.IN, 0, "v=STSv1; id=1;"));
                bed.closed(StsPolicyServer.start(POLICY_HOST, issued(ca, Instant.now().plus(30, ChronoUnit.DAYS),
                        "mta-sts.dest.test"))).policy(ENFORCE);
            }
            case POLICY_TABLE_SECURE -> {
                Path table = Files.writeString(dir.resolve("tls_policy"), "dest.test secure\n");
                o.addAll(List.of("smtp_tls_security_level=may", "smtp_tls_policy_maps=texthash:" + table,
                        "smtp_tls_CAfile=" + caFile));
            }
            default -> throw new IllegalArgumentException(p.toString());
        }
        return bed.agent(DeliveryAgent.builder(AgentTestBed.config(o)));
    }

    /** Puts the attack in place on the server (the DNS attacks are set up with the zone). */
    private void mount(Attack a) throws Exception {
        switch (a) {
            case STARTTLS_STRIPPED -> server.startTls(false);
            case STARTTLS_454 -> server.reply(Stage.STARTTLS, "454 4.7.0 TLS not available due to local problem");
            case MX_UNSIGNED, CERT_OTHER_NAME -> server.tlsContext(context(
                    issued(ca, Instant.now().plus(30, ChronoUnit.DAYS), "attacker.example")));
            case CERT_EXPIRED -> server.tlsContext(context(
                    issued(ca, Instant.now().minus(1, ChronoUnit.DAYS), "mx1.dest.test", "dest.test")));
            case CERT_UNTRUSTED_CA -> server.tlsContext(context(
                    issued(otherCa, Instant.now().plus(30, ChronoUnit.DAYS), "mx1.dest.test", "dest.test")));
            case HANDSHAKE_FAILURE -> server.brokenTls();
            case TLSA_SERVFAIL, TLSA_UNSIGNED -> {
            }
            default -> throw new IllegalArgumentException(a.toString());
        }
    }

    private RecipientResult deliver(DeliveryAgent agent, Duration age) {
        Instant now = Instant.now();
        DeliveryReport r = agent.deliver(DeliveryRequest.builder("4DOWN1", "s@client.test", "dest.test")
                .content(ContentSource.of("Subject: downgrade\r\n\r\nsecret body\r\n".getBytes(StandardCharsets.US_ASCII)))
                .times(now.minus(age), now).recipient("rcpt@dest.test").build()).block(WAIT);
        return r.results().get(0);
    }

    private long count(String verb) {
        return server.commands().stream().filter(c -> c.toUpperCase(java.util.Locale.ROOT).startsWith(verb)).count();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cells")
    void aProtectedDestinationIsDeferredAndNeverSeesMailFrom_TLS5_TLS8_TLS9_TLS10_TLS11_TLS13_TLS32(String cell,
            Protection p, Attack a, Duration age) throws Exception {
        DeliveryAgent agent = protectedBy(p, a);
        mount(a);
        RecipientResult r = deliver(agent, age);
        String seen = cell + ": " + r.outcome() + " " + r.status() + " " + r.reason() + "; server saw " + server.commands();
        assertEquals(Outcome.DEFERRED, r.outcome(), seen);
        assertEquals(a.status, r.status().text(), seen);
        String reason = a.reason;
        if (a == Attack.MX_UNSIGNED) {
            // dane turns into halfdane and enforces the records; dane-only refuses the destination
            reason = p == Protection.DANE ? "Server certificate not verified" : "non DNSSEC destination";
        }
        assertTrue(r.reason().contains(reason), cell + ": reason should contain \"" + reason + "\": " + seen);
        assertEquals(0, count("MAIL"), cell + ": MAIL FROM reached the server: " + seen);
        assertEquals(0, count("RCPT"), cell + ": RCPT reached the server: " + seen);
        assertTrue(server.contents().isEmpty(), cell + ": message content reached the server");
        // TLS-11: a plaintext retry happens only at may; one TLS attempt is all a protected server gets
        assertTrue(server.sessions() <= 1, cell + ": " + server.sessions() + " sessions (a plaintext retry?): "
                + server.transcript());
        if (a == Attack.TLSA_SERVFAIL || (a == Attack.MX_UNSIGNED && p == Protection.DANE_ONLY)
                || a == Attack.TLSA_UNSIGNED) {
            assertEquals(0, server.sessions(), cell + ": the server is skipped without a connection");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protections")
    void eachProtectionDeliversOverVerifiedTlsWhenNobodyInterferes_TLS5_TLS8_TLS32(String cell, Protection p)
            throws Exception {
        RecipientResult r = deliver(protectedBy(p, null), OLD);
        assertEquals(Outcome.SENT, r.outcome(), cell + ": " + r.status() + " " + r.reason() + " " + server.transcript());
        List<String> t = server.transcript();
        assertTrue(t.contains("S: <tls>") && t.indexOf("S: <tls>") < t.indexOf("C: MAIL FROM:<s@client.test>"),
                cell + ": MAIL FROM only after TLS: " + t);
        assertEquals(1, server.contents().size(), cell);
    }

    @org.junit.jupiter.api.Test
    void onlyMayRetriesAnOldMessageInPlaintextAfterAFailedHandshake_TLS11() throws Exception {
        dns.mx("dest.test", 10, "mx1.dest.test").a("mx1.dest.test", "127.0.0.1");
        server.brokenTls();
        DeliveryAgent may = bed.agent(DeliveryAgent.builder(AgentTestBed.config(List.of("dns_servers=" + dns.dnsServers(),
                "smtp_tcp_port=" + server.port(), "smtp_starttls_timeout=5s", "smtp_tls_security_level=may"))));
        RecipientResult r = deliver(may, OLD);
        assertEquals(Outcome.SENT, r.outcome(), r.reason());
        assertEquals("may:none", r.tls());
        assertEquals(2, server.sessions(), "the failed TLS attempt, then plaintext: what the matrix must never see");
        assertEquals(1, count("MAIL"));
    }
}
