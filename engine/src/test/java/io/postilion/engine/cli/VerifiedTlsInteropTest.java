package io.postilion.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.interop.Rig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The levels verify and secure against the peer rig's Postfix submission service (127.0.0.1:2587,
 * STARTTLS, AUTH to relay), whose certificate the rig's own CA signed for relay.example.test,
 * mx1..3.example.test, lmtp.example.test and localhost (scripts/peers/certs.sh). The rig's DNS on
 * 127.0.0.1:5353 answers relay.example.test with 127.0.0.1, so {@code [relay.example.test]:2587}
 * is a next hop the certificate names, and {@code [127.0.0.1]:2587} one it does not (its
 * 127.0.0.1 is an IP subjectAltName, which a host-name check never looks at).
 */
@Tag("interop")
class VerifiedTlsInteropTest {

    private static final String FROM = "sender@client.example.test";
    private static final String TO = "b@dest.example.test";
    private static final int SUBMISSION = 2587;
    private static final String NAMED = "[relay.example.test]:" + SUBMISSION;
    private static final String UNNAMED = "[127.0.0.1]:" + SUBMISSION;

    @TempDir
    Path dir;

    private SendRun run;

    @org.junit.jupiter.api.BeforeEach
    void sender() {
        run = new SendRun(dir);
    }


    @BeforeAll
    static void peersAreUp() {
        Rig.requireTcp("Postfix submission", SUBMISSION, "postfix-relay.sh");
    }

    private static Path rigCa() {
        return Rig.RIG_DIR.resolve("certs/ca.crt");
    }

    private int send(String nexthop, String level, Path caFile) throws IOException {
        Path map = dir.resolve("sasl_passwd");
        Files.writeString(map, nexthop + " rig:rigpass\n");
        Files.setPosixFilePermissions(map, PosixFilePermissions.fromString("rw-------"));
        List<String> o = new ArrayList<>(List.of("dns_servers=127.0.0.1:5353", "smtp_tls_security_level=" + level,
                "smtp_sasl_auth_enable=yes", "smtp_sasl_password_maps=texthash:" + map,
                "smtp_sasl_tls_security_options=noanonymous"));
        if (caFile != null) {
            o.add("smtp_tls_CAfile=" + caFile);
        }
        return run.send(FROM, TO, nexthop, o);
    }



    @Test
    void secureDeliversToPostfixWhoseCertificateNamesTheNexthop_TLS5_TLS7_TLS23() throws Exception {
        assertEquals(0, send(NAMED, "secure", rigCa()), run.transcript());
        assertTrue(run.line().contains(", tls=secure, dsn=2.0.0, status=sent (250 "), run.line());
    }

    @Test
    void verifyDeliversToPostfixWhoseCertificateNamesTheHost_TLS5_TLS7_TLS23() throws Exception {
        assertEquals(0, send(NAMED, "verify", rigCa()), run.transcript());
        assertTrue(run.line().contains(", tls=verify, dsn=2.0.0, status=sent (250 "), run.line());
    }

    @Test
    void aNexthopTheCertificateDoesNotNameIsDeferred475_TLS7_TLS13() throws Exception {
        assertTrue(send(UNNAMED, "secure", rigCa()) != 0, run.transcript());
        assertTrue(run.line().contains(", tls=!secure, dsn=4.7.5, status=deferred (Server certificate not verified)"), run.line());
    }

    @Test
    void anotherCaIsDeferred475_TLS13_TLS24() throws Exception {
        assertTrue(send(NAMED, "secure", Rig.RIG_DIR.resolve("certs/selfsigned.crt")) != 0, run.transcript());
        assertTrue(run.line().contains(", tls=!secure, dsn=4.7.5, status=deferred (Server certificate not verified)"), run.line());
    }

    @Test
    void withoutACaFileEvenTheRigsGoodCertificateIsNotTrusted_TLS24() throws Exception {
        assertTrue(send(NAMED, "verify", null) != 0, run.transcript());
        assertTrue(run.line().contains(", tls=!verify, dsn=4.7.5, status=deferred (Server certificate not verified)"), run.line());
    }
}
