package io.postilion.engine.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.transport.interop.Rig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The listener against an SMTP client nobody here wrote: swaks (Debian), plain, pipelined and
 * over STARTTLS with the rig's certificate, and from an address outside mynetworks.
 */
@Tag("interop")
class SwaksListenerInteropTest {

    private static final Path CERT = Rig.RIG_DIR.resolve("certs/server-chain.crt");
    private static final Path KEY = Rig.RIG_DIR.resolve("certs/server.key");

    @TempDir
    Path dir;

    private final SmtpListenerTest.MemorySink sink = new SmtpListenerTest.MemorySink();
    private SmtpListener listener;

    @BeforeAll
    static void swaksAndCertificatesAreThere() {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/swaks")), "swaks is missing: scripts/peers/install.sh installs it");
        assertTrue(Files.isReadable(CERT) && Files.isReadable(KEY),
                "the rig's certificates are missing: scripts/peers/certs.sh (run by up.sh) makes them in " + CERT.getParent());
    }

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.close();
        }
    }

    private void start(String mynetworks) {
        start(mynetworks, "");
    }

    private void start(String mynetworks, String extra) {
        String mainCf = "myhostname = relay.example.test\nsmtpd_listen = 127.0.0.1:0\nsmtpd_timeout = 10s\n"
                + "smtpd_tls_cert_file = " + CERT + "\nsmtpd_tls_key_file = " + KEY + "\nmynetworks = " + mynetworks + "\n"
                + extra;
        ListenerSettings settings = ListenerConfiguration.settings(ConfigurationLoader.fromText(mainCf, "main.cf", List.of()));
        listener = SmtpListener.start(settings, sink, Clock.systemUTC()).block(Duration.ofSeconds(10));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"plain", "pipelining", "starttls"})
    void swaksSubmitsAndTheStoredMessageIsWhatItSent(String mode) throws Exception {
        start("127.0.0.0/8");
        String token = Rig.token();
        // swaks takes a last line "." as the end of its input, so the rig's message gets one more line.
        String message = Rig.message(token, "app@client.example.test", "someone@dest.example.test") + "the end\r\n";
        List<String> extra = switch (mode) {
            case "pipelining" -> List.of("--pipeline");
            case "starttls" -> List.of("--tls");
            default -> List.of();
        };
        Result r = swaks(message, extra);
        assertEquals(0, r.exit, r.output);
        assertEquals(1, sink.messages.size(), r.output);
        ReceivedMessage m = sink.messages.get(0);
        assertEquals("app@client.example.test", m.sender());
        assertEquals("someone@dest.example.test", m.recipients().get(0).address());
        assertEquals(mode.equals("starttls"), m.client().tls(), r.output);
        String stored = new String(m.content(), StandardCharsets.US_ASCII);
        String withoutOurTrace = stored.substring(stored.indexOf("Message-ID: <" + token));
        // swaks writes CRLF "." CRLF after the data's own last CRLF, which adds one empty line.
        assertEquals(message + "\r\n", withoutOurTrace, "stored byte for byte, dots unstuffed");
    }

    @Test
    void aClientOutsideMynetworksCannotRelay() throws Exception {
        start("127.0.0.1/32");
        Result r = swaks(Rig.message(Rig.token(), "spammer@outside.test", "victim@dest.example.test"),
                List.of("--local-interface", "127.0.0.2"));
        assertNotEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("554 5.7.1 <victim@dest.example.test>: Relay access denied"), r.output);
        assertTrue(sink.messages.isEmpty());
    }

    @Test
    void swaksAuthenticatesOverStartTlsAndMayThenRelayFromOutside() throws Exception {
        Path passwords = Files.writeString(dir.resolve("passwords"), "alice "
                + at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(5, "s3cret".toCharArray()) + "\n");
        start("127.0.0.1/32", "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_password_maps = texthash:" + passwords + "\n");
        String message = Rig.message(Rig.token(), "app@client.example.test", "someone@dest.example.test") + "the end\r\n";
        Result r = swaks(message, List.of("--local-interface", "127.0.0.2", "--tls", "--auth", "PLAIN",
                "--auth-user", "alice", "--auth-password", "s3cret"));
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("235 2.7.0 Authentication successful"), r.output);
        assertEquals("alice", sink.messages.get(0).client().authenticatedAs());

        Result wrong = swaks(message, List.of("--local-interface", "127.0.0.2", "--tls", "--auth", "LOGIN",
                "--auth-user", "alice", "--auth-password", "guess"));
        assertNotEquals(0, wrong.exit, wrong.output);
        assertTrue(wrong.output.contains("535 5.7.8"), wrong.output);
        assertEquals(1, sink.messages.size());
    }

    private record Result(int exit, String output) {
    }

    private Result swaks(String message, List<String> extra) throws IOException, InterruptedException {
        Path data = Files.writeString(dir.resolve("message.eml"), message, StandardCharsets.US_ASCII);
        List<String> cmd = new ArrayList<>(Arrays.asList("/usr/bin/swaks", "--server", "127.0.0.1",
                "--port", String.valueOf(listener.port()), "--ehlo", "client.example.test",
                "--from", message.contains("spammer") ? "spammer@outside.test" : "app@client.example.test",
                "--to", message.contains("victim") ? "victim@dest.example.test" : "someone@dest.example.test",
                "--data", data.toString(), "--timeout", "10"));
        cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "swaks did not finish");
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
