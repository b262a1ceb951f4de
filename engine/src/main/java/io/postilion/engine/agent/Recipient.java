package io.postilion.engine.agent;

import io.postilion.transport.protocol.Notify;
import java.util.Objects;
import java.util.Set;

/**
 * One envelope recipient of a delivery request.
 *
 * @param address the envelope recipient
 * @param originalAddress the address before any rewriting (orig_to=, ORCPT), empty when unknown
 * @param notifyOn the DSN NOTIFY set, empty when the sender gave none
 * @param orcpt an explicit DSN original recipient ({@code type;address}), empty when none
 */
public record Recipient(String address, String originalAddress, Set<Notify> notifyOn, String orcpt) {

    public Recipient {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(originalAddress, "originalAddress");
        notifyOn = Set.copyOf(notifyOn);
        Objects.requireNonNull(orcpt, "orcpt");
    }

    public static Recipient of(String address) {
        return new Recipient(address, "", Set.of(), "");
    }
}
