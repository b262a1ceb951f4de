package io.postilion.engine.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** postilion queue prints Postfix's mailq layout (postqueue -p with long queue ids), checked line by line. */
class QueueListingTest {

    @Test
    void theListingIsMailqsLayoutLineByLine() {
        List<QueueEntry> entries = List.of(
                new QueueEntry("0660FA948D7059", "active", Instant.parse("2026-12-07T03:28:52Z"), "app@client.test", 1234,
                        List.of(new QueueEntry.Pending("user1@example.test", ""))),
                new QueueEntry("0660FA948D7060", "deferred", Instant.parse("2026-12-17T13:05:09Z"), "", 2048,
                        List.of(new QueueEntry.Pending("a@example.test", "connect to mx.example.test[192.0.2.1]:25: Connection refused"),
                                new QueueEntry.Pending("b@example.test", "connect to mx.example.test[192.0.2.1]:25: Connection refused"),
                                new QueueEntry.Pending("c@other.test", "host mx.other.test[192.0.2.9] said: 452 4.2.2 full"))));
        String[] lines = QueueListing.mailq(entries, ZoneOffset.UTC).split("\n", -1);
        String[] expected = {
            "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------",
            "0660FA948D7059*       1234 Mon Dec  7 03:28:52 app@client.test",
            "                                               user1@example.test",
            "",
            "0660FA948D7060        2048 Thu Dec 17 13:05:09 MAILER-DAEMON",
            "                (connect to mx.example.test[192.0.2.1]:25: Connection refused)",
            "                                               a@example.test",
            "                                               b@example.test",
            "                          (host mx.other.test[192.0.2.9] said: 452 4.2.2 full)",
            "                                               c@other.test",
            "",
            "-- 3 Kbytes in 2 Requests.",
            ""};
        assertEquals(List.of(expected), List.of(lines));
        assertEquals("Mail queue is empty\n", QueueListing.mailq(List.of(), ZoneOffset.UTC));
    }

    @Test
    void theJsonListingHasOneObjectPerMessage() {
        String json = QueueListing.json(List.of(new QueueEntry("0660FA948D7060", "deferred",
                Instant.ofEpochSecond(1796613909), "a\"b@x.test", 10,
                List.of(new QueueEntry.Pending("c@y.test", "452 full")))));
        assertEquals("{\"queue_name\": \"deferred\", \"queue_id\": \"0660FA948D7060\", \"arrival_time\": 1796613909, "
                + "\"message_size\": 10, \"sender\": \"a\\\"b@x.test\", \"recipients\": [{\"address\": \"c@y.test\", "
                + "\"delay_reason\": \"452 full\"}]}\n", json);
    }
}
