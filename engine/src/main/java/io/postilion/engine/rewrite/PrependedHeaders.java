package io.postilion.engine.rewrite;

import io.postilion.transport.protocol.AddressQuoting;
import java.util.ArrayList;
import java.util.List;

/**
 * The headers the master.cf flags R, O and D put before the message (DATA-22), in that order:
 * {@code Return-Path: <SENDER>}, {@code X-Original-To: ORIGINAL_RECIPIENT} and
 * {@code Delivered-To: RECIPIENT}, each address first rewritten with smtp_generic_maps and quoted
 * RFC 822 style (8-bit characters pass as they are).
 */
public final class PrependedHeaders {

    private PrependedHeaders() {
    }

    /**
     * @param originalRecipient the recipient before any rewriting; empty means the same as {@code recipient}
     * @throws TableLookupException when the generic table fails
     */
    public static List<String> lines(boolean returnPath, boolean originalTo, boolean deliveredTo, String sender,
            String originalRecipient, String recipient, GenericMapping mapping) {
        List<String> out = new ArrayList<>(3);
        if (returnPath) {
            out.add("Return-Path: <" + AddressQuoting.quote(mapping.apply(sender)) + ">");
        }
        if (originalTo) {
            String orig = originalRecipient.isEmpty() ? recipient : originalRecipient;
            out.add("X-Original-To: " + AddressQuoting.quote(mapping.apply(orig)));
        }
        if (deliveredTo) {
            out.add("Delivered-To: " + AddressQuoting.quote(mapping.apply(recipient)));
        }
        return out;
    }
}
