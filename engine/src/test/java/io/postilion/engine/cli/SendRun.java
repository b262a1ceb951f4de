package io.postilion.engine.cli;

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

/**
 * The interop tests' one way to run {@code postilion send} in this JVM, as a user would type it,
 * keeping what it printed: a fresh rig message from {@code from} to {@code to}, each option as
 * {@code -o name=value}, and 127.0.0.1 kept out of "myself" (CLARIFICATIONS 20) so loopback servers
 * are not loops.
 */
final class SendRun {

    private final Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    SendRun(Path dir) {
        this.dir = dir;
    }

    /** Sends a new rig message to {@code nexthop} with these {@code -o} options; the exit status. */
    int send(String from, String to, String nexthop, List<String> options) throws IOException {
        Path file = Files.writeString(dir.resolve("message.eml"), Rig.message(Rig.token(), from, to), StandardCharsets.US_ASCII);
        List<String> argv = new ArrayList<>(List.of("send", "--from", from, "--to", to, "--nexthop", nexthop,
                "-o", "inet_interfaces=127.0.0.254"));
        for (String o : options) {
            argv.add("-o");
            argv.add(o);
        }
        argv.add(file.toString());
        return Main.run(argv.toArray(String[]::new), new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /** The last line send printed: the delivery line of the last recipient. */
    String line() {
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    /** Everything printed so far, for an assertion's message. */
    String transcript() {
        return "stdout:\n" + out.toString(StandardCharsets.UTF_8) + "stderr:\n" + err.toString(StandardCharsets.UTF_8);
    }
}
