package io.postilion.fleet;

/**
 * What the Kafka ingress has done since it started, and where it stands now, for logs, tests,
 * the benchmark and the relay's metrics ({@link FleetMeters}).
 *
 * @param read request records read from the topic
 * @param stored requests made durable in the spool
 * @param rejected records passed over as bad (their offsets committed)
 * @param retries stores that failed and were tried again
 * @param commits offset commits that went through
 * @param pauses times the partitions were paused for back-pressure
 * @param pausedPartitions partitions paused now
 * @param uncommitted the re-delivery window: requests read whose offsets are not yet committed,
 *     which another node (or this one, restarted) would read again if this node died now
 */
public record IngressStats(long read, long stored, long rejected, long retries, long commits, long pauses,
        int pausedPartitions, long uncommitted) {
}
