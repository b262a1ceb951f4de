package io.postilion.bench;

/**
 * Entry point of bench/target/postilion-bench.jar: {@code jmh [JMH options]} runs the
 * micro-benchmarks, {@code load ...} the end-to-end load harness, {@code crash ...} the relay's
 * kill -9 test, {@code relay-compare ...} our relay beside Postfix's (or the journal beside RocksDB),
 * {@code relay-queue}/{@code relay-rocksdb ...} this build's relay on the journal or on RocksDB, {@code sessions ...} many
 * sessions held open at once, {@code soak ...} heap over a million messages, {@code restart ...} how
 * much a queued backlog delays a restart, {@code heap ...} whether the relay's heap grows with a
 * deferred backlog, {@code startup ...} the wall time of one {@code send}, plain jar against the
 * launcher with its start-up archive, {@code fleet ...} relay nodes fed from Kafka (scaling, a kill, a
 * limit shared through Redis) ({@code sink} is the sessions command's own sink process).
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("load")) {
            // one line per recipient would measure the console, not the engine; --log-deliveries keeps them
            boolean logDeliveries = java.util.Arrays.asList(args).contains("--log-deliveries");
            if (!logDeliveries) {
                System.setProperty("org.slf4j.simpleLogger.log.postilion.delivery", "warn");
            }
            String[] rest = java.util.Arrays.stream(args, 1, args.length).filter(a -> !a.equals("--log-deliveries"))
                    .toArray(String[]::new);
            System.exit(io.postilion.bench.load.LoadCommand.run(rest, System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("crash")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
            System.exit(io.postilion.bench.crash.CrashCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length),
                    System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("relay-compare")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
            System.exit(io.postilion.bench.relay.RelayCompareCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length),
                    System.out, System.err));
        }
        if (args.length > 0 && (args[0].equals("relay-queue") || args[0].equals("relay-rocksdb"))) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            if (args[0].equals("relay-rocksdb")) {
                String[] withQueue = new String[rest.length + 2];
                withQueue[0] = "--queue";
                withQueue[1] = "rocksdb";
                System.arraycopy(rest, 0, withQueue, 2, rest.length);
                rest = withQueue;
            }
            System.exit(io.postilion.bench.rocks.QueueRelayCommand.run(rest, System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("sessions")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
            System.exit(io.postilion.bench.sessions.SessionsCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length),
                    System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("sink")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
            System.exit(io.postilion.bench.sessions.LineSink.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out));
        }
        if (args.length > 0 && args[0].equals("restart")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
            System.exit(io.postilion.bench.restart.RestartCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length),
                    System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("heap")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
            System.exit(io.postilion.bench.heap.HeapCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length),
                    System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("soak")) {
            System.setProperty("org.slf4j.simpleLogger.log.postilion.delivery", "warn");
            System.exit(io.postilion.bench.load.SoakCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length),
                    System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("fleet")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
            System.exit(io.postilion.bench.fleet.FleetCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length),
                    System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("startup")) {
            System.exit(io.postilion.bench.startup.StartupCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length),
                    System.out, System.err));
        }
        System.err.println("usage: postilion-bench jmh [JMH options] | load --help | crash --help | relay-compare --help"
                + " | relay-queue --help | relay-rocksdb --help | sessions --help | soak --help | restart --help | heap --help"
                + " | startup --help | fleet --help");
        System.exit(64);
    }
}
