package io.postilion.engine.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.unix.DomainSocketAddress;
import io.postilion.engine.config.ConfigurationException;
import io.postilion.engine.config.ConfigurationLoader;
import io.postilion.engine.listener.ListenerConfiguration;
import io.postilion.engine.metrics.HttpListenerLimits;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * The admin endpoint on its own: the UNIX socket serves the relay's own uid and refuses another
 * user's even when the file's mode would let them connect (SO_PEERCRED, CLARIFICATIONS 44(g)),
 * and the TCP listener wants the token and its own name in Host.
 */
class AdminEndpointTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String TOKEN = "s3cret-t0ken";

    private Path dir;
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private AdminEndpoint endpoint;

    /** A queue that records what it was asked to do. */
    private final QueueAdministration queue = new QueueAdministration() {
        @Override
        public Mono<String> listing(boolean json) {
            calls.add("list");
            return Mono.just("ABCDEF0123     100 Mon Dec  7 03:28:52 app@client.test\n-- 1 message(s) in the queue\n");
        }

        @Override
        public Mono<Integer> flush() {
            calls.add("flush");
            return Mono.just(2);
        }

        @Override
        public Mono<Boolean> delete(String queueId) {
            calls.add("delete " + queueId);
            return Mono.just(queueId.equals("ABCDEF0123"));
        }

        @Override
        public Mono<Long> deleteAll() {
            calls.add("delete ALL");
            return Mono.just(1L);
        }
    };

    @BeforeEach
    void directory() throws IOException {
        // Not @TempDir: another user must be able to reach the socket's directory for the uid check to be the one
        // that refuses them.
        dir = Files.createTempDirectory(Path.of("/tmp"), "admin-test");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void close() throws IOException {
        if (endpoint != null) {
            endpoint.close();
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    private AdminSettings socketOnly() {
        return new AdminSettings(AdminSettings.socketIn(dir), Optional.empty(), "", "", HttpListenerLimits.defaults());
    }

    private String overSocket(String method, String path) {
        HttpClient http = HttpClient.create().remoteAddress(() -> new DomainSocketAddress(endpoint.socket().toString()));
        var sender = method.equals("POST") ? http.post() : method.equals("DELETE") ? http.delete() : http.get();
        return sender.uri(path).responseSingle((res, body) -> body.asString().defaultIfEmpty("")
                .map(t -> res.status().code() + " " + t)).block(WAIT);
    }

    @Test
    void theSocketIsOwnerOnlyAndServesTheRelaysOwnUser() throws Exception {
        endpoint = AdminEndpoint.bindSocket(socketOnly(), queue);
        assertEquals(dir.resolve("admin.sock"), endpoint.socket());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(endpoint.socket())));

        assertTrue(overSocket("GET", "/queue").startsWith("200 ABCDEF0123 "), "listed");
        assertEquals("200 flushed 2 deferred message(s)\n", overSocket("POST", "/queue/flush"));
        assertEquals("200 deleted ABCDEF0123\n", overSocket("DELETE", "/queue/ABCDEF0123"));
        assertTrue(overSocket("DELETE", "/queue/FEDCBA").startsWith("404 "), "not in the queue");
        assertEquals("200 deleted 1 message(s)\n", overSocket("DELETE", "/queue"));
        assertEquals(List.of("list", "flush", "delete ABCDEF0123", "delete FEDCBA", "delete ALL"), calls);

        endpoint.close();
        endpoint = null;
        assertTrue(Files.notExists(dir.resolve("admin.sock")), "removed on close");
    }

    @Test
    void anotherUserIsRefusedByThePeersUidNotOnlyByTheFileMode() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runuser")) || Files.isExecutable(Path.of("/sbin/runuser")),
                "runuser is needed to connect as another user");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is needed as the other user's client");
        endpoint = AdminEndpoint.bindSocket(socketOnly(), queue);
        String path = endpoint.socket().toString();

        // Mode 0600: the other user cannot even connect.
        assertEquals("7:000", curlAs("nobody", path, "GET", "/queue"), "connect refused by the file mode");

        // Opened to everyone: now the kernel's word on the peer's uid is what refuses.
        Files.setPosixFilePermissions(endpoint.socket(), PosixFilePermissions.fromString("rw-rw-rw-"));
        assertEquals("0:403", curlAs("nobody", path, "GET", "/queue"));
        assertEquals("0:403", curlAs("nobody", path, "DELETE", "/queue"));
        assertEquals("0:403", curlAs("nobody", path, "DELETE", "/queue/ABCDEF0123"));
        assertEquals("0:403", curlAs("nobody", path, "POST", "/queue/flush"));
        assertEquals(List.of(), calls, "nothing was listed, flushed or deleted");

        // The same client as the relay's own user is served.
        assertEquals("0:200", curlAs(null, path, "DELETE", "/queue/ABCDEF0123"));
        assertEquals(List.of("delete ABCDEF0123"), calls);
    }

    /** curl's exit status and the HTTP status it saw, as "exit:status"; {@code user} null runs it as ourselves. */
    private static String curlAs(String user, String socket, String method, String path) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        if (user != null) {
            cmd.addAll(List.of("runuser", "-u", user, "--"));
        }
        cmd.addAll(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                "--unix-socket", socket, "-X", method, "http://localhost" + path));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "curl did not end");
        return p.exitValue() + ":" + out;
    }

    // ------------------------------------------------------------------ TCP with a token

    private String overTcp(String method, String path, String host, String token) {
        HttpClient http = HttpClient.create().headers(h -> {
            h.set("Host", host);
            if (token != null) {
                h.set("Authorization", "Bearer " + token);
            }
        });
        var sender = method.equals("POST") ? http.post() : method.equals("DELETE") ? http.delete() : http.get();
        return sender.uri("http://127.0.0.1:" + endpoint.tcpPort() + path).responseSingle((res, body) ->
                body.asString().defaultIfEmpty("").map(t -> String.valueOf(res.status().code()))).block(WAIT);
    }

    @Test
    void theTcpListenerWantsTheTokenAndItsOwnNameInHost() throws Exception {
        AdminSettings settings = new AdminSettings(AdminSettings.socketIn(dir),
                Optional.of(new InetSocketAddress("127.0.0.1", 0)), "127.0.0.1:0", TOKEN, HttpListenerLimits.defaults());
        endpoint = AdminEndpoint.bindSocket(settings, queue).bindTcp(settings, queue);
        String host = "127.0.0.1:" + endpoint.tcpPort();

        assertEquals("401", overTcp("DELETE", "/queue", host, null), "no token");
        assertEquals("401", overTcp("DELETE", "/queue", host, "wrong"), "a wrong token");
        assertEquals("401", overTcp("GET", "/queue", host, null), "no token, even to list");
        assertEquals("403", overTcp("DELETE", "/queue", "rebound.example:" + endpoint.tcpPort(), TOKEN),
                "the right token under a rebound name");
        assertEquals(List.of(), calls, "nothing was done for a refused request");

        assertEquals("200", overTcp("DELETE", "/queue/ABCDEF0123", host, TOKEN));
        assertEquals("200", overTcp("GET", "/queue", host, TOKEN));
        assertEquals(List.of("delete ABCDEF0123", "list"), calls);
    }

    @Test
    void adminListenNeedsAReadableTokenFile() throws Exception {
        ConfigurationException none = assertThrows(ConfigurationException.class, () -> AdminSettings.from(
                ConfigurationLoader.fromText("admin_listen = 127.0.0.1:0\n", "t", List.of()), ListenerConfiguration::address));
        assertEquals(78, none.exitStatus());
        assertTrue(none.getMessage().contains("admin_token_file"), none.getMessage());

        // As root, chmod cannot make a file unreadable (CLARIFICATIONS 24): a missing path and a directory.
        for (String file : List.of(dir.resolve("missing").toString(), dir.toString())) {
            ConfigurationException bad = assertThrows(ConfigurationException.class, () -> AdminSettings.from(
                    ConfigurationLoader.fromText("admin_listen = 127.0.0.1:0\nadmin_token_file = " + file + "\n", "t",
                            List.of()), ListenerConfiguration::address));
            assertEquals(78, bad.exitStatus());
            assertTrue(bad.getMessage().startsWith("admin_token_file = " + file), bad.getMessage());
        }

        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        AdminSettings ok = AdminSettings.from(ConfigurationLoader.fromText("queue_directory = " + dir
                + "\nadmin_listen = 127.0.0.1:0\nadmin_token_file = " + tokenFile + "\n", "t", List.of()),
                ListenerConfiguration::address);
        assertEquals(TOKEN, ok.token());
        assertEquals(dir.resolve("admin.sock"), ok.socket());
        assertTrue(!ok.toString().contains(TOKEN), "the token is not printed");
    }
}
