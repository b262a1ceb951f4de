package io.postilion.engine.delivery;

import io.postilion.transport.protocol.Notify;
import java.util.Objects;
import java.util.Set;

/**
 * One envelope recipient of a delivery request, identified by its place in the queued message
 * (Postfix's {@code rcpt->offset}): results find their way back to the queue by this index, never
 * by comparing addresses, so a recipient given twice stays two recipients.
 *
 * @param index the recipient's position in the queued message's recipient list (0 and up)
 * @param address the envelope recipient
 * @param originalAddress the address before any rewriting (orig_to=, ORCPT), empty when unknown
 * @param notifyOn the DSN NOTIFY set, empty when the sender gave none
 * @param orcpt an explicit DSN original recipient ({@code type;address}), empty when none
 */
public record Recipient(int index, String address, String originalAddress, Set<Notify> notifyOn, String orcpt) {

    public Recipient {
        if (index < 0) {
            throw new IllegalArgumentException("a recipient's queue index is 0 or more: " + index);
        }
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(originalAddress, "originalAddress");
        notifyOn = Set.copyOf(notifyOn);
        Objects.requireNonNull(orcpt, "orcpt");
    }

    /** A plain recipient at queue position {@code index}. */
    public static Recipient of(int index, String address) {
        return new Recipient(index, address, "", Set.of(), "");
    }
}
