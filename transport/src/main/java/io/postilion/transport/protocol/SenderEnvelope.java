package io.postilion.transport.protocol;

import java.util.Objects;

/**
 * The request-side facts that shape a MAIL FROM command (XFER-3, XFER-4).
 *
 * @param sender the envelope sender after generic mapping, or {@link EnvelopeAddress#NULL_SENDER}
 * @param size the message size recorded at queue time, for {@code SIZE=}
 * @param bodyType the content classification, for {@code BODY=}
 * @param envId the DSN envelope id, empty when none
 * @param ret the DSN RET request
 * @param smtpUtf8 whether the sender requested SMTPUTF8
 * @param requireTls whether the sender requested REQUIRETLS
 */
public record SenderEnvelope(EnvelopeAddress sender, long size, BodyType bodyType, String envId, Ret ret,
        boolean smtpUtf8, boolean requireTls) {

    public SenderEnvelope {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(bodyType, "bodyType");
        Objects.requireNonNull(envId, "envId");
        Objects.requireNonNull(ret, "ret");
        if (size < 0) {
            throw new IllegalArgumentException("negative message size " + size);
        }
    }

    /**
     * A sender with nothing else requested: size 0, unknown encoding.
     *
     * @throws IllegalArgumentException if the address contains CR, LF or NUL
     */
    public static SenderEnvelope of(String sender) {
        return new SenderEnvelope(new EnvelopeAddress(sender), 0, BodyType.UNKNOWN, "", Ret.NONE, false, false);
    }

    public SenderEnvelope withSize(long newSize) {
        return new SenderEnvelope(sender, newSize, bodyType, envId, ret, smtpUtf8, requireTls);
    }

    public SenderEnvelope withBodyType(BodyType newBodyType) {
        return new SenderEnvelope(sender, size, newBodyType, envId, ret, smtpUtf8, requireTls);
    }

    public SenderEnvelope withEnvId(String newEnvId) {
        return new SenderEnvelope(sender, size, bodyType, newEnvId, ret, smtpUtf8, requireTls);
    }

    public SenderEnvelope withRet(Ret newRet) {
        return new SenderEnvelope(sender, size, bodyType, envId, newRet, smtpUtf8, requireTls);
    }

    public SenderEnvelope withSmtpUtf8(boolean requested) {
        return new SenderEnvelope(sender, size, bodyType, envId, ret, requested, requireTls);
    }

    public SenderEnvelope withRequireTls(boolean requested) {
        return new SenderEnvelope(sender, size, bodyType, envId, ret, smtpUtf8, requested);
    }
}
