package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.engine.config.Configuration;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.spool.ChannelSpoolFiles;
import io.postilion.engine.spool.Spool;
import io.postilion.transport.interop.Rig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay end to end with real software on both sides: swaks submits, the relay queues and
 * delivers to Postfix smtpd (the rig's instance on 2536), which hands the message to Dovecot LMTP;
 * the copy Dovecot stores must be what swaks sent.
 */
@Tag("interop")
class RelayInteropTest {

    @TempDir
    Path spool;

    private Relay relay;

    @BeforeAll
    static void peersAreUp() {
        Rig.requireTcp("Postfix smtpd relaying into Dovecot", Rig.POSTFIX_LMTP_PORT, "up.sh");
        assertTrue(Files.isExecutable(Path.of("/usr/bin/swaks")), "swaks is missing: scripts/peers/install.sh installs it");
    }

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    @ParameterizedTest(name = "smtp_use_chunking={0}")
    @ValueSource(strings = {"yes", "no"})
    void swaksThroughTheRelayIntoDovecotByteForByte(String chunking) throws Exception {
        Configuration cfg = ConfigurationLoader.fromText("myhostname = relay.example.test\nsmtpd_listen = 127.0.0.1:0\n"
                + "metrics_listen = 127.0.0.1:0\ninet_interfaces = 127.0.0.254\nrelayhost = [127.0.0.1]:"
                + Rig.POSTFIX_LMTP_PORT + "\nsmtp_use_chunking = " + chunking + "\nqueue_directory = " + spool + "\n",
                "main.cf", List.of());
        relay = Relay.start(cfg, Spool.open(spool, new ChannelSpoolFiles(), Clock.systemUTC()), Clock.systemUTC());

        String token = Rig.token();
        String user = "user1@example.test";
        // swaks takes a last line "." as the end of its input, so the message gets one more line.
        String message = Rig.message(token, "app@client.example.test", user) + "the end\r\n";
        Path data = Files.writeString(spool.resolve("message.eml"), message, StandardCharsets.US_ASCII);
        Process swaks = new ProcessBuilder("/usr/bin/swaks", "--server", "127.0.0.1", "--port",
                String.valueOf(relay.smtpPort()), "--from", "app@client.example.test", "--to", user,
                "--data", data.toString(), "--timeout", "10").redirectErrorStream(true).start();
        String out = new String(swaks.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(swaks.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, swaks.exitValue(), out);
        assertTrue(out.contains("250 2.0.0 Ok: queued as "), out);

        // swaks ends DATA with CRLF "." CRLF after the data's own last CRLF: one empty line more.
        Rig.assertStoredExactly(message + "\r\n", Rig.awaitDelivery(user, token));
    }
}
