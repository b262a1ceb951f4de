package io.postilion.engine.listener;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Per-client-address counters, as Postfix's anvil(8) keeps them for smtpd: connections open now,
 * and connections, messages, recipients and AUTH commands within the current rate window
 * (anvil_rate_time_unit, starting at the client's first event). One instance serves every
 * session of a listener, across event loops.
 *
 * <p>Counting mirrors anvil: an event is counted first, then compared, so a limit of N lets N
 * through and refuses the N+1st. Entries of clients that have gone and whose window has passed
 * are dropped as the map is used, so the table holds only live and recent clients.
 */
final class ClientLimiter {

    /** The kinds of rate-limited events. */
    enum Event { CONNECTION, MESSAGE, RECIPIENT, AUTH }

    private static final class Counters {
        int open;
        long windowStart;
        final int[] rates = new int[Event.values().length];
    }

    private final ClientLimits limits;
    private final LongSupplier nanoClock;
    private final Map<InetAddress, Counters> clients = new ConcurrentHashMap<>();
    private final AtomicLong operations = new AtomicLong();

    ClientLimiter(ClientLimits limits, LongSupplier nanoClock) {
        this.limits = limits;
        this.nanoClock = nanoClock;
    }

    /** Whether the limits apply to this client at all. */
    boolean limited(InetAddress client) {
        return !limits.exceptions().contains(client);
    }

    /**
     * Counts a new connection. Null when it may go on, else the reason it may not ("count" or
     * "rate"); a refused connection is not counted as open.
     */
    String connect(InetAddress client) {
        if (!limited(client)) {
            return null;
        }
        long now = nanoClock.getAsLong();
        Counters c = clients.computeIfAbsent(client, k -> new Counters());
        synchronized (c) {
            int rate = bump(c, Event.CONNECTION, now);
            if (limits.connectionCount() > 0 && c.open + 1 > limits.connectionCount()) {
                return "count";
            }
            if (limits.connectionRate() > 0 && rate > limits.connectionRate()) {
                return "rate";
            }
            c.open++;
        }
        sweep(now);
        return null;
    }

    /** A connection that {@link #connect} let through has ended. */
    void disconnect(InetAddress client) {
        if (!limited(client)) {
            return;
        }
        Counters c = clients.get(client);
        if (c != null) {
            synchronized (c) {
                c.open = Math.max(0, c.open - 1);
            }
        }
    }

    /** Counts a MAIL, RCPT or AUTH event; false when it goes over its rate limit. */
    boolean allow(InetAddress client, Event event) {
        int limit = switch (event) {
            case CONNECTION -> limits.connectionRate();
            case MESSAGE -> limits.messageRate();
            case RECIPIENT -> limits.recipientRate();
            case AUTH -> limits.authRate();
        };
        if (limit <= 0 || !limited(client)) {
            return true;
        }
        long now = nanoClock.getAsLong();
        Counters c = clients.computeIfAbsent(client, k -> new Counters());
        synchronized (c) {
            return bump(c, event, now) <= limit;
        }
    }

    private int bump(Counters c, Event event, long now) {
        if (c.windowStart == 0 || now - c.windowStart >= limits.rateTimeUnit().toNanos()) {
            c.windowStart = now == 0 ? 1 : now;
            java.util.Arrays.fill(c.rates, 0);
        }
        return ++c.rates[event.ordinal()];
    }

    /** Now and then, drops clients with nothing open whose window has passed. */
    private void sweep(long now) {
        if ((operations.incrementAndGet() & 1023) != 0) {
            return;
        }
        long unit = limits.rateTimeUnit().toNanos();
        for (Iterator<Map.Entry<InetAddress, Counters>> it = clients.entrySet().iterator(); it.hasNext(); ) {
            Counters c = it.next().getValue();
            synchronized (c) {
                if (c.open == 0 && now - c.windowStart >= unit) {
                    it.remove();
                }
            }
        }
    }
}
