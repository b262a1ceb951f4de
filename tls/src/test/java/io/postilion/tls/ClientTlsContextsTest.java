package io.postilion.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClientTlsContextsTest {

    @Test
    void boringSslLoadsOnThisPlatform() {
        OpenSsl.ensureAvailability();
        assertEquals(SslProvider.OPENSSL, ClientTlsContexts.provider());
    }

    @Test
    void mayAndEncryptGetAClientContext() {
        SslContext may = ClientTlsContexts.unauthenticated(TlsLevel.MAY);
        assertTrue(may.isClient());
        assertTrue(ClientTlsContexts.unauthenticated(TlsLevel.ENCRYPT).isClient());
    }

    @Test
    void levelNoneHasNoContext() {
        assertThrows(IllegalArgumentException.class, () -> ClientTlsContexts.unauthenticated(TlsLevel.NONE));
    }

    @Test
    void levelsParseByTheirMainCfNames() {
        assertEquals(Optional.of(TlsLevel.DANE_ONLY), TlsLevel.parse("Dane-Only"));
        assertEquals(Optional.empty(), TlsLevel.parse("maybe"));
        assertEquals(Optional.empty(), TlsLevel.parse("halfdane"), "TLS-4: computed, never configured");
        assertTrue(TlsLevel.ENCRYPT.requiresTls());
        assertTrue(!TlsLevel.MAY.requiresTls());
    }

    @Test
    void mayAndEncryptShareOneContextBuiltOnce() {
        assertSame(ClientTlsContexts.unauthenticated(TlsLevel.MAY), ClientTlsContexts.unauthenticated(TlsLevel.ENCRYPT));
        assertSame(ClientTlsContexts.unauthenticated(TlsLevel.MAY), ClientTlsContexts.unauthenticated(TlsLevel.MAY));
    }

    @Test
    void aPlaintextRetryIsRefusedWhenRequireTlsNeedsTls_TLS19() {
        TlsPolicy may = new TlsPolicy(TlsLevel.MAY, ClientTlsContexts.unauthenticated(TlsLevel.MAY), null, PeerCheck.NOTHING,
                false);
        assertEquals(TlsLevel.NONE, may.withRequireTls(RequireTls.OPPORTUNISTIC).plaintext().level());
        assertEquals(RequireTls.OPPORTUNISTIC, may.withRequireTls(RequireTls.OPPORTUNISTIC).plaintext().requireTls());
        assertThrows(IllegalStateException.class, () -> may.withRequireTls(RequireTls.OPPORTUNISTIC_STARTTLS).plaintext());
        assertThrows(IllegalStateException.class, () -> may.withRequireTls(RequireTls.ENFORCE).plaintext());
    }
}
