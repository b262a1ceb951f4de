package io.postilion.transport.protocol;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * What a server offers, as read from its EHLO or LHLO reply after discarding (SESS-12, SESS-13,
 * SESS-17). A HELO session has {@link #none()}.
 *
 * @param serverName the first word of the reply's first line (the server's announced name, used
 *     by the EHLO-name loop check SESS-15 and TLS session caching); empty when there was none
 * @param keywords the recognised keywords that were announced and not discarded; REQUIRETLS only
 *     when the reply came over TLS, STARTTLS only when it did not
 * @param sizeLimit the server's SIZE limit in bytes, 0 when unknown or SIZE is not offered
 * @param sizeWarning true when SIZE came with an option that is not a usable number (e.g.
 *     {@code SIZE abc}): warn, keep SIZE supported, limit unknown
 * @param authMechanisms the AUTH mechanisms in announced order, concatenated over all AUTH lines
 *     (case-insensitive duplicates dropped); empty when AUTH is not offered
 * @param xforward the XFORWARD attributes the server accepts; empty when XFORWARD is not offered
 * @param discarded the announced keywords removed by the discard list, for the informational log
 * @param silentDiscard true when that log is suppressed ({@code silent-discard})
 * @param eightBitMimeImplied true when 8BITMIME was not announced but SMTPUTF8 was (SESS-17), so
 *     the session treats the server as 8BITMIME-capable and logs a note
 * @param warnings what deserves a warning in the log, e.g. a non-numeric SIZE option
 */
public record Capabilities(
        String serverName,
        Set<EhloKeyword> keywords,
        long sizeLimit,
        boolean sizeWarning,
        List<String> authMechanisms,
        Set<XforwardAttribute> xforward,
        Set<EhloKeyword> discarded,
        boolean silentDiscard,
        boolean eightBitMimeImplied,
        List<String> warnings) {

    private static final Capabilities NONE = new Capabilities("", Set.of(), 0, false, List.of(), Set.of(), Set.of(),
            false, false, List.of());

    public Capabilities {
        Objects.requireNonNull(serverName, "serverName");
        keywords = enumSet(keywords, EhloKeyword.class);
        xforward = enumSet(xforward, XforwardAttribute.class);
        discarded = enumSet(discarded, EhloKeyword.class);
        authMechanisms = List.copyOf(authMechanisms);
        warnings = List.copyOf(warnings);
        if (sizeLimit < 0) {
            throw new IllegalArgumentException("negative SIZE limit " + sizeLimit);
        }
    }

    /** No extensions at all: the result of a HELO exchange, or before any hello. */
    public static Capabilities none() {
        return NONE;
    }

    /** Whether {@code keyword} was announced and survived discarding. */
    public boolean has(EhloKeyword keyword) {
        return keywords.contains(keyword);
    }

    public boolean pipelining() {
        return has(EhloKeyword.PIPELINING);
    }

    /** SIZE is offered; the limit may still be unknown ({@link #sizeLimit()} 0). */
    public boolean size() {
        return has(EhloKeyword.SIZE);
    }

    /** 8BITMIME announced, or implied by SMTPUTF8 (SESS-17). */
    public boolean eightBitMime() {
        return has(EhloKeyword.EIGHTBITMIME) || eightBitMimeImplied;
    }

    public boolean smtpUtf8() {
        return has(EhloKeyword.SMTPUTF8);
    }

    public boolean dsn() {
        return has(EhloKeyword.DSN);
    }

    public boolean enhancedStatusCodes() {
        return has(EhloKeyword.ENHANCEDSTATUSCODES);
    }

    /** STARTTLS offered over a plaintext connection. */
    public boolean startTls() {
        return has(EhloKeyword.STARTTLS);
    }

    /** AUTH offered with at least one mechanism; whether SASL is enabled is the session's call. */
    public boolean auth() {
        return has(EhloKeyword.AUTH) && !authMechanisms.isEmpty();
    }

    public boolean chunking() {
        return has(EhloKeyword.CHUNKING);
    }

    /** REQUIRETLS offered in a reply received over TLS. */
    public boolean requireTls() {
        return has(EhloKeyword.REQUIRETLS);
    }

    public boolean xforwardOffered() {
        return has(EhloKeyword.XFORWARD);
    }

    /** Whether the announced name is {@code myHostname}, compared case-insensitively (SESS-15). */
    public boolean serverNameIs(String myHostname) {
        return !serverName.isEmpty() && serverName.toLowerCase(Locale.ROOT)
                .equals(myHostname.toLowerCase(Locale.ROOT));
    }

    private static <E extends Enum<E>> Set<E> enumSet(Set<E> in, Class<E> type) {
        EnumSet<E> copy = EnumSet.noneOf(type);
        copy.addAll(in);
        return Collections.unmodifiableSet(copy);
    }
}
