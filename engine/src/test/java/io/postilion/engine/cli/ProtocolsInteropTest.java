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
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS-26 and TLS-27 against the peer rig's second Postfix (127.0.0.1:2536, STARTTLS at may, relaying
 * into Dovecot): its smtpd writes the protocol and cipher it negotiated with us into the Received
 * header ({@code smtpd_tls_received_header = yes}), so the stored copy says what our settings made
 * the handshake choose.
 */
@Tag("interop")
class ProtocolsInteropTest {

    private static final String FROM = "sender@client.example.test";
    private static final String USER = "user1@example.test";
    private static final Pattern USING = Pattern.compile("using (TLSv[0-9.]+) with cipher ([A-Z0-9_-]+)");

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void peersAreUp() {
        Rig.requireTcp("Postfix smtpd relaying into Dovecot", Rig.POSTFIX_LMTP_PORT, "up.sh");
    }

    /** Sends one message at level encrypt with {@code options}; the protocol and cipher Postfix logged. */
    private String[] negotiated(String... options) throws IOException {
        String token = Rig.token();
        Path file = Files.writeString(dir.resolve("message.eml"), Rig.message(token, FROM, USER), StandardCharsets.US_ASCII);
        List<String> argv = new ArrayList<>(List.of("send", "--from", FROM, "--to", USER,
                "--nexthop", "[127.0.0.1]:" + Rig.POSTFIX_LMTP_PORT, "-o", "inet_interfaces=127.0.0.254",
                "-o", "smtp_tls_security_level=encrypt"));
        for (String o : options) {
            argv.add("-o");
            argv.add(o);
        }
        argv.add(file.toString());
        int rc = Main.run(argv.toArray(String[]::new), new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, "stdout:\n" + out + "stderr:\n" + err);
        String stored = Files.readString(Rig.awaitDelivery(USER, token), StandardCharsets.ISO_8859_1);
        Matcher m = USING.matcher(stored);
        assertTrue(m.find(), "Postfix's Received header names the TLS protocol: " + stored);
        return new String[] {m.group(1), m.group(2)};
    }

    @Test
    void mandatoryProtocolsAtLeastTls13NegotiateTls13WithPostfix_TLS26() throws Exception {
        String[] n = negotiated("smtp_tls_mandatory_protocols=>=TLSv1.3", "smtp_tls_mandatory_ciphers=high");
        assertEquals("TLSv1.3", n[0]);
        assertTrue(n[1].startsWith("TLS_AES_") || n[1].startsWith("TLS_CHACHA20_"), n[1]);
    }

    @Test
    void aTls12GradeWithExclusionsIsWhatPostfixPicksFrom_TLS26_TLS27() throws Exception {
        String[] n = negotiated("smtp_tls_mandatory_protocols=<=TLSv1.2", "smtp_tls_mandatory_ciphers=medium",
                "smtp_tls_mandatory_exclude_ciphers=AES128, CHACHA20");
        assertEquals("TLSv1.2", n[0]);
        assertTrue(n[1].startsWith("ECDHE-") && n[1].contains("AES256-GCM"), "forward-secret AEAD, 256-bit: " + n[1]);
        assertFalse(n[1].contains("AES128"), n[1]);
    }
}
