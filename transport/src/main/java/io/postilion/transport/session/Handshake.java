package io.postilion.transport.session;

import io.postilion.transport.protocol.Capabilities;
import io.postilion.transport.protocol.Greeting;
import io.postilion.transport.reply.SmtpReply;
import java.util.Set;

/**
 * What the opening of a session produced: the greeting, the hello exchange and the server's
 * capabilities, or the failure that ended it (SESS-7..14).
 *
 * @param greeting the greeting reply, null if none arrived
 * @param greetingAnalysis ESMTP and PIX signs in the greeting (SESS-8, SESS-18), null if none
 * @param helloStage EHLO, HELO or LHLO: the hello that succeeded (or failed last)
 * @param hello its reply, null if none arrived
 * @param capabilities what the server offers; none after HELO
 * @param failure null when the session is ready for a transaction
 * @param pix the PIX workarounds enabled at the greeting (SESS-18); empty for none
 */
public record Handshake(SmtpReply greeting, Greeting greetingAnalysis, Stage helloStage, SmtpReply hello,
        Capabilities capabilities, StageFailure failure, Set<PixWorkaround> pix) {

    public Handshake {
        pix = Set.copyOf(pix);
    }

    /** Whether the "." line is to be held back (SESS-18 delay_dotcrlf). */
    public boolean delayDotCrlf() {
        return pix.contains(PixWorkaround.DELAY_DOTCRLF);
    }

    public boolean ok() {
        return failure == null;
    }
}
