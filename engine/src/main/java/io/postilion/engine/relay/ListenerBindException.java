package io.postilion.engine.relay;

/**
 * A listener of the relay could not be bound (a busy port, an address not on this host, an
 * admin socket that cannot be made): the command line prints the message, which names the
 * parameter and the address, and exits 71 (EX_OSERR) after everything already bound is closed.
 */
public final class ListenerBindException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String parameter;
    private final String address;

    public ListenerBindException(String parameter, String address, Throwable cause) {
        super("cannot bind " + parameter + " = " + address + ": " + reason(cause), cause);
        this.parameter = parameter;
        this.address = address;
    }

    public String parameter() {
        return parameter;
    }

    public String address() {
        return address;
    }

    /** The innermost message: "Address already in use", not the wrappers around it. */
    private static String reason(Throwable cause) {
        Throwable t = cause;
        String why = null;
        while (t != null) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                why = t.getMessage();
            }
            if (t.getCause() == t) {
                break;
            }
            t = t.getCause();
        }
        return why == null ? String.valueOf(cause) : why;
    }
}
