package io.postilion.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Client SASL against the real thing: the peer rig's Postfix submission service (127.0.0.1:2587,
 * STARTTLS and AUTH required to relay) and its smtps service (127.0.0.1:2465, TLS from the first
 * byte), both Cyrus SASL against a private sasldb offering PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1 and
 * SCRAM-SHA-256. One mechanism at a time, picked with smtp_sasl_mechanism_filter; Postfix's own log
 * line for the message ({@code sasl_method=..., sasl_username=rig}) proves which one was used.
 */
@Tag("interop")
class SaslInteropTest {

    private static final String FROM = "sender@client.example.test";
    private static final String TO = "b@dest.example.test";
    private static final int SUBMISSION = 2587;
    private static final int SMTPS = 2465;

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
        Rig.requireTcp("Postfix smtps", SMTPS, "postfix-relay.sh");
    }

    /** The password map as a newcomer writes it: next hop as written, user:password, readable by its owner only. */
    private Path passwords(String password) throws IOException {
        Path map = dir.resolve("sasl_passwd");
        Files.writeString(map, "[127.0.0.1]:" + SUBMISSION + " rig:" + password + "\n[127.0.0.1]:" + SMTPS + " rig:"
                + password + "\n");
        Files.setPosixFilePermissions(map, PosixFilePermissions.fromString("rw-------"));
        return map;
    }

    private int send(int port, String password, String... more) throws IOException {
        List<String> o = new ArrayList<>(List.of("smtp_tls_security_level=encrypt",
                "smtp_tls_wrappermode=" + (port == SMTPS ? "yes" : "no"),
                "smtp_sasl_auth_enable=yes", "smtp_sasl_password_maps=texthash:" + passwords(password),
                "smtp_sasl_tls_security_options=noanonymous"));
        o.addAll(List.of(more));
        return run.send(FROM, TO, "[127.0.0.1]:" + port, o);
    }



    /** Postfix smtpd's line for the queue id it gave: "QUEUEID: client=..., sasl_method=M, sasl_username=rig". */
    private static String postfixSaw(String queueId) throws Exception {
        Path log = Rig.RIG_DIR.resolve("postfix/maillog");
        long until = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < until) {
            for (String l : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
                if (l.contains(queueId + ": client=")) {
                    return l;
                }
            }
            Thread.sleep(100);
        }
        return "";
    }

    @ParameterizedTest(name = "{0} on port {1}")
    @CsvSource({"PLAIN, 2587", "LOGIN, 2587", "CRAM-MD5, 2587", "SCRAM-SHA-1, 2587", "SCRAM-SHA-256, 2587",
        "PLAIN, 2465", "LOGIN, 2465", "CRAM-MD5, 2465", "SCRAM-SHA-1, 2465", "SCRAM-SHA-256, 2465"})
    void eachMechanismTheServerOffersAuthenticatesAndTheMailIsRelayed_SASL13(String mechanism, int port) throws Exception {
        int rc = send(port, "rigpass", "smtp_sasl_mechanism_filter=" + mechanism.toLowerCase(Locale.ROOT));
        assertEquals(0, rc, run.transcript());
        Matcher m = Pattern.compile("status=sent \\(250 2\\.0\\.0 Ok: \\d+ bytes queued as ([0-9A-F]+)\\)").matcher(run.line());
        assertTrue(m.find(), "relayed: " + run.line());
        String seen = postfixSaw(m.group(1));
        assertTrue(seen.contains("sasl_method=" + mechanism + ", sasl_username=rig"), "Postfix logged: " + seen);
    }

    @Test
    void withoutAFilterScramSha256IsChosen_SASL13() throws Exception {
        assertEquals(0, send(SUBMISSION, "rigpass"), run.transcript());
        Matcher m = Pattern.compile("queued as ([0-9A-F]+)\\)").matcher(run.line());
        assertTrue(m.find(), run.line());
        assertTrue(postfixSaw(m.group(1)).contains("sasl_method=SCRAM-SHA-256"), postfixSaw(m.group(1)));
    }

    @Test
    void aWrongPasswordIsA535SoftBouncedByDefault_SASL7() throws Exception {
        int rc = send(SUBMISSION, "wrong-password", "smtp_sasl_mechanism_filter=plain");
        assertTrue(rc != 0, run.transcript());
        assertTrue(run.line().contains("dsn=4.7.8, status=deferred (SASL authentication failed; server 127.0.0.1[127.0.0.1] said: 535 5.7.8 "),
                run.line());
        assertFalse(run.transcript().contains("wrong-password"), "the password never reaches the output: " + run.transcript());
    }

    @Test
    void aWrongPasswordBouncesWithSoftBounceOff_SASL7() throws Exception {
        send(SUBMISSION, "wrong-password", "smtp_sasl_mechanism_filter=scram-sha-256", "smtp_sasl_auth_soft_bounce=no");
        assertTrue(run.line().contains("dsn=5.7.8, status=bounced (SASL authentication failed; server 127.0.0.1[127.0.0.1] said: 535 5.7.8 "),
                run.line());
    }

    @Test
    void noCommonMechanismFailsWith470_SASL3() throws Exception {
        send(SUBMISSION, "rigpass", "smtp_sasl_mechanism_filter=xoauth2");
        assertTrue(run.line().contains("dsn=4.7.0, status=deferred (SASL authentication failed: server 127.0.0.1[127.0.0.1] offered no "
                + "compatible authentication mechanisms for this type of connection security)"), run.line());
    }

    @Test
    void authIsOfferedOnlyInsideTlsSoWithTlsOffTheClientGoesOnAsAStranger_SASL1() throws Exception {
        // Port 2526 offers AUTH only after STARTTLS. With TLS off the client sees no AUTH, sends
        // none and delivers unauthenticated (the rig's mynetworks lets loopback relay).
        assertEquals(0, run.send(FROM, TO, "[127.0.0.1]:2526", List.of("smtp_tls_security_level=none",
                "smtp_sasl_auth_enable=yes", "smtp_sasl_password_maps=inline:{[127.0.0.1]:2526=rig:rigpass}",
                "smtp_sasl_security_options=noanonymous")), run.transcript());
        Matcher m = Pattern.compile("queued as ([0-9A-F]+)\\)").matcher(run.line());
        assertTrue(m.find(), run.line());
        String seen = postfixSaw(m.group(1));
        assertTrue(seen.contains("client=") && !seen.contains("sasl_method"), "no AUTH in plaintext: " + seen);
    }
}
