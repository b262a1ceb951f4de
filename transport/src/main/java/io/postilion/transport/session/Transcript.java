package io.postilion.transport.session;

import io.postilion.transport.reply.SmtpReply;

/**
 * Receives a session's conversation as it happens: every command line sent and every reply
 * received, never the message content. The delivery agent uses it for the postmaster transcript
 * (LOG-9) and for debug_peer_list logging (MISC-3); a session without one records nothing, so the
 * common case costs nothing. Called on the connection's event loop and the caller's thread, one
 * call at a time.
 */
public interface Transcript {

    /** Records nothing. */
    Transcript NONE = new Transcript() {
        @Override
        public void sent(String line) {
        }

        @Override
        public void received(SmtpReply reply) {
        }
    };

    /** A command line as written, without CRLF. */
    void sent(String line);

    /** A whole reply as decoded. */
    void received(SmtpReply reply);
}
