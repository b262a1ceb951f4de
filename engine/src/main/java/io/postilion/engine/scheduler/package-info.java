/**
 * The scheduler: turns a stream of delivery requests into a stream of delivery reports the way
 * Postfix's queue manager (qmgr(8)) feeds smtp(8). Requests are split into recipient batches
 * ({@link io.postilion.engine.scheduler.RecipientBatcher}), queued per destination
 * ({@link io.postilion.engine.scheduler.DestinationQueue}), and started round-robin between
 * destinations within each destination's concurrency window
 * ({@link io.postilion.engine.scheduler.ConcurrencyWindow}: slow start, feedback, dead cohorts) and
 * a global session cap. {@link io.postilion.engine.scheduler.DeliveryScheduler} is the entry point.
 */
package io.postilion.engine.scheduler;
