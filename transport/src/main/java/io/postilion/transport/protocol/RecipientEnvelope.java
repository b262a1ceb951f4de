package io.postilion.transport.protocol;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * The request-side facts that shape one RCPT TO command (XFER-5).
 *
 * @param address the recipient after generic mapping
 * @param originalAddress the original recipient address (unquoted), empty when unknown; used to
 *     synthesize ORCPT when there is no explicit one
 * @param dsnOrcpt the explicit DSN original recipient as {@code type;address}, empty when none
 * @param notifyOn the DSN NOTIFY conditions, empty when the recipient has no NOTIFY setting
 */
public record RecipientEnvelope(EnvelopeAddress address, String originalAddress, String dsnOrcpt,
        Set<Notify> notifyOn) {

    public RecipientEnvelope {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(originalAddress, "originalAddress");
        Objects.requireNonNull(dsnOrcpt, "dsnOrcpt");
        EnumSet<Notify> copy = EnumSet.noneOf(Notify.class);
        copy.addAll(notifyOn);
        notifyOn = Collections.unmodifiableSet(copy);
    }

    /**
     * A recipient with no original address, ORCPT or NOTIFY.
     *
     * @throws IllegalArgumentException if the address contains CR, LF or NUL
     */
    public static RecipientEnvelope of(String address) {
        return new RecipientEnvelope(new EnvelopeAddress(address), "", "", Set.of());
    }

    public RecipientEnvelope withOriginalAddress(String orig) {
        return new RecipientEnvelope(address, orig, dsnOrcpt, notifyOn);
    }

    public RecipientEnvelope withDsnOrcpt(String orcpt) {
        return new RecipientEnvelope(address, originalAddress, orcpt, notifyOn);
    }

    public RecipientEnvelope withNotify(Set<Notify> conditions) {
        return new RecipientEnvelope(address, originalAddress, dsnOrcpt, conditions);
    }
}
