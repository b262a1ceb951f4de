package io.postilion.engine.admin;

/**
 * A guard's answer for one admin request: admitted, naming who asked, or refused with the HTTP
 * status to send and the reason to log.
 */
public record Verdict(Requester who, int refusalStatus, String reason) {

    public static Verdict admit(Requester who) {
        return new Verdict(who, 0, "");
    }

    public static Verdict refuse(Requester who, int status, String reason) {
        return new Verdict(who, status, reason);
    }

    public boolean admitted() {
        return refusalStatus == 0;
    }
}
