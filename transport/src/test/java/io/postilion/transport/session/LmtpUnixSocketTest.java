package io.postilion.transport.session;

import static io.postilion.transport.session.SessionFixture.codes;
import static io.postilion.transport.session.SessionFixture.fast;
import static io.postilion.transport.session.SessionFixture.tx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.postilion.transport.testserver.FakeSmtpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LmtpUnixSocketTest {

    @TempDir
    Path dir;

    @Test
    void lmtpRunsOverAUnixDomainSocket_SESS6() {
        Path socket = dir.resolve("lmtp");
        try (FakeSmtpServer server = FakeSmtpServer.startUnix(socket).lmtp(true)) {
            assertTrue(Files.exists(socket));
            Endpoint endpoint = Endpoint.unix("localhost.test", socket.toString());
            assertEquals("localhost.test[" + socket + "]", endpoint.displayWithPort());
            SmtpClient.Connected c = SmtpClient.create(fast(SessionSettings.lmtp("client.test"))).connect(endpoint)
                    .block(SessionFixture.WAIT);
            assertTrue(c.ok(), String.valueOf(c.failure()));
            SmtpSession s = c.session();
            assertTrue(s.handshake().block(SessionFixture.WAIT).ok());
            TransactionResult r = s.transaction(tx("over a socket\r\n", "a@x.test", "b@x.test")).block(SessionFixture.WAIT);
            assertEquals(List.of(250, 250), codes(r.finals()));
            assertEquals("LHLO client.test", server.commands().get(0));
        }
    }

    @Test
    void aMissingSocketIsAConnectFailureNamingThePath_SESS4() {
        Endpoint endpoint = Endpoint.unix("localhost.test", dir.resolve("nothing-here").toString());
        SmtpClient.Connected c = SmtpClient.create(fast(SessionSettings.lmtp("client.test"))).connect(endpoint)
                .block(SessionFixture.WAIT);
        assertEquals("4.4.1", c.failure().status());
        assertTrue(c.failure().text().startsWith("connect to localhost.test[" + dir.resolve("nothing-here") + "]: "),
                c.failure().text());
    }
}
