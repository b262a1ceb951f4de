package io.postilion.fleet;

import io.postilion.engine.delivery.DeliveryReport;
import io.postilion.engine.relay.RecipientEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The result topic's record value: one recipient's result as a flat JSON object (version 1), for
 * applications in any language. Its fields are the delivery contract's typed facts, written out
 * once here; nothing in the relay reads them back.
 *
 * <pre>
 * {"v":1,"queueId":"...","envId":"...","index":0,"recipient":"a@b","outcome":"sent","final":true,
 *  "dsnStatus":"2.0.0","action":"relayed","diagnostic":"...","remoteMta":"...","relay":"host[addr]:port",
 *  "delay":0.52,"delays":{"queued":0.01,"handedOver":0.0,"setup":0.3,"transmission":0.21},
 *  "recordedAt":"2026-12-07T19:00:00Z"}
 * </pre>
 * outcome is the log's status= word (sent, deferred, bounced, SOFTBOUNCE, ...); delays are in
 * seconds; remoteMta is empty when this MTA decided the result itself.
 */
public final class ResultJson {

    private ResultJson() {
    }

    public static byte[] encode(RecipientEvent e) {
        StringBuilder b = new StringBuilder(384);
        b.append("{\"v\":1,\"queueId\":");
        str(b, e.queueId());
        b.append(",\"envId\":");
        str(b, e.envId());
        b.append(",\"index\":").append(e.index()).append(",\"recipient\":");
        str(b, e.address());
        b.append(",\"outcome\":");
        str(b, e.outcome().code());
        b.append(",\"final\":").append(e.isFinal()).append(",\"dsnStatus\":");
        str(b, e.status().text());
        b.append(",\"action\":");
        str(b, e.result().action().word());
        b.append(",\"diagnostic\":");
        str(b, e.result().reason());
        b.append(",\"remoteMta\":");
        str(b, e.result().verdict().fromServer() ? e.result().verdict().remoteMta() : "");
        b.append(",\"relay\":");
        str(b, e.result().relay());
        DeliveryReport.Timings t = e.delays();
        b.append(",\"delay\":").append(seconds(t.total()));
        b.append(",\"delays\":{\"queued\":").append(seconds(t.queued())).append(",\"handedOver\":").append(seconds(t.handedOver()))
                .append(",\"setup\":").append(seconds(t.setup())).append(",\"transmission\":").append(seconds(t.transmission()))
                .append("},\"recordedAt\":");
        str(b, e.recordedAt().toString());
        return b.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String seconds(Duration d) {
        return java.math.BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
    }

    private static void str(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
