package io.postilion.fleet;

/**
 * What the Kafka ingress has done since it started, for logs, tests and the benchmark.
 *
 * @param read request records read from the topic
 * @param stored requests made durable in the spool
 * @param rejected records passed over as bad (their offsets committed)
 * @param retries stores that failed and were tried again
 * @param commits offset commits that went through
 * @param pauses times the partitions were paused for back-pressure
 */
public record IngressStats(long read, long stored, long rejected, long retries, long commits, long pauses) {
}
