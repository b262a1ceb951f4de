package io.postilion.bench;

/**
 * Entry point of bench/target/postilion-bench.jar: {@code jmh [JMH options]} runs the
 * micro-benchmarks.
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.err.println("usage: postilion-bench jmh [JMH options]");
        System.exit(64);
    }
}
