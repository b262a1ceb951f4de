package io.postilion.engine.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.postilion.transport.content.ContentSource;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/** The step before connecting: what it refuses, and the content it hands to the session. */
class MessagePreparationTest {

    private final RecordingLog log = new RecordingLog();

    private static final String MESSAGE = "From: Joe <joe@inside.test>\r\nTo: ann@inside.test\r\n"
            + "Subject: hi\r\n\r\nbody line\r\n";

    private static MessagePreparation.Request request(String content, List<String> rcpts, String flags) {
        return request(ContentSource.of(content.getBytes(StandardCharsets.UTF_8)), rcpts, flags);
    }

    private static MessagePreparation.Request request(ContentSource content, List<String> rcpts, String flags) {
        return new MessagePreparation.Request("4QID", "joe@inside.test", rcpts, List.of(), content,
                flags.contains("R"), flags.contains("O"), flags.contains("D"));
    }

    private Preparation prepare(RewriteSettings s, MessagePreparation.Request r) {
        return new MessagePreparation(s, log).prepare(r).block(Duration.ofSeconds(10));
    }

    static String read(ContentSource c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Flux.from(c.open(ByteBufAllocator.DEFAULT)).doOnNext(b -> {
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            out.writeBytes(bytes);
            b.release();
        }).blockLast(Duration.ofSeconds(10));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void withNothingToRewriteTheStoredContentPassesThroughUntouched_DATA22() {
        MessagePreparation.Request r = request(MESSAGE, List.of("ann@inside.test"), "");
        Preparation.Ready ready = (Preparation.Ready) prepare(RewriteSettings.none(), r);
        assertSame(r.content(), ready.content());
        assertEquals(List.of("ann@inside.test"), ready.recipients());
    }

    @Test
    void prependedHeadersComeFirstInTheOrderROD_DATA22() {
        Preparation.Ready ready = (Preparation.Ready) prepare(RewriteSettings.none(),
                request(MESSAGE, List.of("ann@inside.test"), "DOR"));
        String sent = read(ready.content());
        assertEquals("Return-Path: <joe@inside.test>\r\nX-Original-To: ann@inside.test\r\nDelivered-To: ann@inside.test\r\n"
                + MESSAGE, sent);
        assertEquals(sent.length(), ready.content().size());
    }

    @Test
    void deliveredToOrOriginalToWithTwoRecipientsIsDeferredWithAWarning_DATA23() {
        for (String flag : List.of("D", "O")) {
            Preparation p = prepare(RewriteSettings.none(), request(MESSAGE, List.of("a@x.test", "b@x.test"), flag));
            assertEquals(new Preparation.Refused("4.3.5", "mail system configuration error"), p);
        }
        assertEquals(List.of("flag `D' requires smtp_destination_recipient_limit = 1",
                "flag `O' requires smtp_destination_recipient_limit = 1"), log.warnings);
    }

    @Test
    void aDeliveredToHeaderNamingTheRecipientIsALoop_DATA24() {
        String looped = "Delivered-To: ANN@inside.test\r\n" + MESSAGE;
        assertEquals(new Preparation.Refused("5.4.6", "mail forwarding loop for ann@inside.test"),
                prepare(RewriteSettings.none(), request(looped, List.of("ann@inside.test"), "D")));
        // only the primary header block counts
        String inBody = MESSAGE + "Delivered-To: ann@inside.test\r\n";
        assertTrue(prepare(RewriteSettings.none(), request(inBody, List.of("ann@inside.test"), "D")) instanceof Preparation.Ready);
    }

    @Test
    void theLoopCheckComparesTheGenericMappedRecipient_DATA24() {
        RewriteSettings s = RewriteSettings.none().withGenericMaps(Tables.inline("{ @inside.test=@outside.example }"));
        String looped = "Delivered-To: ann@outside.example\r\n" + MESSAGE;
        assertEquals("5.4.6", ((Preparation.Refused) prepare(s, request(looped, List.of("ann@inside.test"), "D"))).status());
    }

    @Test
    void genericMapsRewriteTheEnvelopeAndTheAddressHeaders_DATA26() {
        RewriteSettings s = RewriteSettings.none().withGenericMaps(Tables.inline("{ @inside.test=@outside.example }"));
        Preparation.Ready ready = (Preparation.Ready) prepare(s, request(MESSAGE, List.of("ann@inside.test", "b@x.test"), ""));
        assertEquals("joe@outside.example", ready.sender());
        assertEquals(List.of("ann@outside.example", "b@x.test"), ready.recipients());
        assertEquals("From: Joe <joe@outside.example>\r\nTo: ann@outside.example\r\nSubject: hi\r\n\r\nbody line\r\n",
                read(ready.content()));
    }

    @Test
    void genericMapsLeaveBodyAndMimePartHeadersAlone_DATA26() {
        RewriteSettings s = RewriteSettings.none().withGenericMaps(Tables.inline("{ @inside.test=@outside.example }"));
        String msg = "To: a@inside.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                + "To: x@inside.test\r\n\r\nFrom: y@inside.test\r\n--b--\r\n";
        Preparation.Ready ready = (Preparation.Ready) prepare(s, request(msg, List.of("a@inside.test"), ""));
        assertEquals(msg.replaceFirst("a@inside.test", "a@outside.example"), read(ready.content()));
    }

    @Test
    void aGenericLookupFailureDefers_DATA26() {
        RewriteSettings s = RewriteSettings.none().withGenericMaps(Tables.failing());
        Preparation p = prepare(s, request(MESSAGE, List.of("ann@inside.test"), ""));
        assertEquals("4.3.0", ((Preparation.Refused) p).status());
    }

    @Test
    void headerChecksActOnPrimaryAndMimePartHeadersAndBodyChecksOnBodyLines_DATA30() {
        RewriteSettings s = RewriteSettings.none()
                .withHeaderChecks(Tables.regexp("/^Subject:/ REPLACE Subject: replaced", "/^X-Drop:/ IGNORE",
                        "/^To:/ PREPEND X-Was-To: yes"))
                .withMimeHeaderChecks(Tables.regexp("/^Content-Description:/ STRIP"))
                .withNestedHeaderChecks(Tables.regexp("/^Subject:/ REPLACE Subject: nested"))
                .withBodyChecks(Tables.regexp("/secret/ REPLACE [redacted]"));
        String msg = "To: a@x.test\r\nSubject: hi\r\nX-Drop: 1\r\n  continued\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b 1\"\r\n\r\n"
                + "--b 1\r\nContent-Description: part\r\nSubject: part header\r\n\r\na secret\r\n"
                + "--b 1\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner secret\r\n--b 1--\r\n";
        Preparation.Ready ready = (Preparation.Ready) prepare(s, request(msg, List.of("a@x.test"), ""));
        assertEquals("X-Was-To: yes\r\nTo: a@x.test\r\nSubject: replaced\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b 1\"\r\n\r\n"
                + "--b 1\r\nSubject: part header\r\n\r\n[redacted]\r\n"
                + "--b 1\r\nContent-Type: message/rfc822\r\n\r\nSubject: nested\r\n\r\n[redacted]\r\n--b 1--\r\n",
                read(ready.content()));
        assertTrue(log.infos.contains("4QID: strip: header Content-Description: part"), log.infos.toString());
    }

    @Test
    void prependedHeadersPassThroughHeaderChecks_DATA22() {
        RewriteSettings s = RewriteSettings.none().withHeaderChecks(Tables.regexp("/^Return-Path:/ IGNORE"));
        Preparation.Ready ready = (Preparation.Ready) prepare(s, request(MESSAGE, List.of("ann@inside.test"), "RD"));
        assertEquals("Delivered-To: ann@inside.test\r\n" + MESSAGE, read(ready.content()));
    }

    @Test
    void checksAreLoggedOnceThoughTheContentIsSentTwice_DATA30() {
        RewriteSettings s = RewriteSettings.none().withHeaderChecks(Tables.regexp("/^Subject:/ WARN seen"));
        Preparation.Ready ready = (Preparation.Ready) prepare(s, request(MESSAGE, List.of("ann@inside.test"), ""));
        assertEquals(MESSAGE, read(ready.content()));
        assertEquals(MESSAGE, read(ready.content()));
        assertEquals(List.of("4QID: warning: header Subject: hi: seen"), log.infos);
    }

    @Test
    void aCheckLookupErrorDefersWithLocalDataError_DATA30() {
        RewriteSettings s = RewriteSettings.none().withBodyChecks(Tables.failing());
        Preparation.Refused p = (Preparation.Refused) prepare(s, request(MESSAGE, List.of("ann@inside.test"), ""));
        assertEquals("4.3.0", p.status());
        assertTrue(p.reason().startsWith("local data error"), p.reason());
    }

    @Test
    void aMissingQueueFileDefers_DATA31(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("4QID");
        Files.writeString(file, MESSAGE);
        ContentSource content = ContentSource.of(file);
        Files.delete(file);
        Preparation.Refused p = (Preparation.Refused) prepare(RewriteSettings.none(),
                request(content, List.of("ann@inside.test"), "R"));
        assertEquals("4.3.0", p.status());
        assertTrue(p.reason().startsWith("queue file read error"), p.reason());
    }

    @Test
    void aDamagedQueueEntryFailsWith530_DATA31(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("4QID");
        Files.writeString(file, MESSAGE);
        ContentSource content = ContentSource.of(file);
        Files.writeString(file, "Subject: cut"); // shorter than the size recorded
        assertEquals(new Preparation.Refused("5.3.0", "unreadable mail queue entry"),
                prepare(RewriteSettings.none(), request(content, List.of("ann@inside.test"), "R")));
    }

    @Test
    void aContentThatBreaksWhileBeingSentIsAContentReadError_DATA31(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("4QID");
        Files.writeString(file, MESSAGE);
        Preparation.Ready ready = (Preparation.Ready) prepare(RewriteSettings.none(),
                request(ContentSource.of(file), List.of("ann@inside.test"), "R"));
        Files.delete(file);
        // the session words it "local data error while talking to HOST" (LocalDataErrorTest)
        org.junit.jupiter.api.Assertions.assertThrows(io.postilion.transport.content.ContentReadException.class,
                () -> read(ready.content()));
    }

    @Test
    void aBodyWithoutABlankLineAfterTheHeadersGetsOne_DATA22() {
        Preparation.Ready ready = (Preparation.Ready) prepare(RewriteSettings.none(),
                request("Subject: x\r\nnot a header\r\n", List.of("a@x.test"), "R"));
        assertEquals("Return-Path: <joe@inside.test>\r\nSubject: x\r\n\r\nnot a header\r\n", read(ready.content()));
    }

    @Test
    void linesKeepTheirOwnEndingsAndALastLineWithoutOneStaysSo_DATA22() {
        Preparation.Ready ready = (Preparation.Ready) prepare(RewriteSettings.none(),
                request("Subject: x\n\nlast", List.of("a@x.test"), "R"));
        assertEquals("Return-Path: <joe@inside.test>\r\nSubject: x\n\nlast", read(ready.content()));
    }

}
