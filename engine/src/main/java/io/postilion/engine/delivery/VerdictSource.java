package io.postilion.engine.delivery;

/**
 * Where a recipient's verdict came from. Only {@link #SMTP_REPLY} is a remote server's word: its
 * result names the server as Remote-MTA and quotes the reply as {@code Diagnostic-Code: smtp;}
 * (RFC 3464); every other source is this MTA's own finding.
 */
public enum VerdictSource {
    /** A lookup of the destination or its servers failed. */
    DNS("dns"),
    /** No connection, or the connection broke or timed out. */
    CONNECTION("connection"),
    /** The TLS handshake or the TLS policy failed. */
    TLS("tls"),
    /** A server's reply decided it. */
    SMTP_REPLY("smtp"),
    /** This MTA decided it: configuration, content, envelope checks, expiry, the queue. */
    LOCAL("local");

    private final String code;

    VerdictSource(String code) {
        this.code = code;
    }

    /** The stable code the spool stores. */
    public String code() {
        return code;
    }

    public static VerdictSource ofCode(String code) {
        for (VerdictSource s : values()) {
            if (s.code.equals(code)) {
                return s;
            }
        }
        throw new IllegalArgumentException("not a verdict source: \"" + code + "\"");
    }
}
