/**
 * Destination limits shared by a fleet of relay nodes through Redis (issue 20): connection slots
 * as leases with expiry, message rates as token buckets, node heartbeats for the fleet size, and
 * the local fallback when Redis cannot be reached. Plugged into the engine's scheduler as its
 * {@link io.postilion.engine.scheduler.DestinationLimits} when {@code redis_url} is set.
 */
package io.postilion.fleet.limits;
