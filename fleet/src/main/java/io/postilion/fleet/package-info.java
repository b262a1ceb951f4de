/**
 * Past one machine (issue 20): relay nodes fed from one Kafka topic of delivery requests, each
 * recipient's result published to a results topic, and destination limits that hold for the
 * fleet as a whole kept in Redis. Nothing here runs unless configured (kafka_bootstrap_servers,
 * redis_url); the single-node relay does not depend on this module.
 */
package io.postilion.fleet;
