package io.postilion.dns.lookup;

import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/** Postfix-compatible wording of resolver errors (the texts are facts of Postfix's behaviour). */
final class DnsTexts {

    static final String HOST_NOT_FOUND = "Host not found";
    static final String TRY_AGAIN = "Host not found, try again";
    static final String NO_RECOVERY = "Non-recoverable error";
    static final String NO_DATA = "Host found but no data record of requested type";
    static final String MALFORMED = "Malformed or unexpected name server reply";

    private DnsTexts() {}

    static String printable(Name name) {
        String s = name.toString();
        return s.length() > 1 && s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    /** "Host or domain name not found. Name service error for name=N type=T: detail". */
    static String notFound(Name name, int type, String detail) {
        return "Host or domain name not found. Name service error for name=" + printable(name) + " type="
                + Type.string(type) + ": " + detail;
    }

    /** "Error looking up name=N type=T: detail" (what the reply filter made of a good answer, LOOKUP-18). */
    static String lookupError(Name name, int type, String detail) {
        return "Error looking up name=" + printable(name) + " type=" + Type.string(type) + ": " + detail;
    }

    /** "Name service error for name=N type=T: detail" (non-recoverable and malformed replies). */
    static String serviceError(Name name, int type, String detail) {
        return "Name service error for name=" + printable(name) + " type=" + Type.string(type) + ": " + detail;
    }
}
