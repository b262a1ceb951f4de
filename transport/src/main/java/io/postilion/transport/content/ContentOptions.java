package io.postilion.transport.content;

/**
 * The settings that shape content on the wire, gathered so the session passes one value.
 *
 * @param lineLengthLimit {@code smtp_line_length_limit} (998; 0 = none), see DATA-3
 * @param downgrade whether to convert 8BITMIME content to 7-bit (the session decides, DATA-10)
 * @param mimeNestingLimit {@code mime_nesting_limit} (100), see DATA-13
 * @param bdatChunkSize the payload size of each BDAT chunk but the last
 */
public record ContentOptions(int lineLengthLimit, boolean downgrade, int mimeNestingLimit, int bdatChunkSize) {

    /** Validates the numbers as the stages that use them would. */
    public ContentOptions {
        if (lineLengthLimit < 0 || lineLengthLimit == 1) {
            throw new IllegalArgumentException("line length limit must be 0 or at least 2: " + lineLengthLimit);
        }
        if (mimeNestingLimit < 0) {
            throw new IllegalArgumentException("MIME nesting limit must not be negative: " + mimeNestingLimit);
        }
        if (bdatChunkSize < 1) {
            throw new IllegalArgumentException("BDAT chunk size must be positive: " + bdatChunkSize);
        }
    }

    /** Postfix's defaults, no downgrade, 64 KiB BDAT chunks. */
    public static ContentOptions defaults() {
        return new ContentOptions(WireContentEncoder.DEFAULT_LINE_LENGTH_LIMIT, false,
                MimeDowngrader.DEFAULT_NESTING_LIMIT, BdatFramer.DEFAULT_CHUNK_SIZE);
    }

    /** These options with another line length limit. */
    public ContentOptions withLineLengthLimit(int limit) {
        return new ContentOptions(limit, downgrade, mimeNestingLimit, bdatChunkSize);
    }

    /** These options with the 8BITMIME downgrade switched on or off. */
    public ContentOptions withDowngrade(boolean on) {
        return new ContentOptions(lineLengthLimit, on, mimeNestingLimit, bdatChunkSize);
    }

    /** These options with another MIME nesting limit. */
    public ContentOptions withMimeNestingLimit(int limit) {
        return new ContentOptions(lineLengthLimit, downgrade, limit, bdatChunkSize);
    }

    /** These options with another BDAT chunk size. */
    public ContentOptions withBdatChunkSize(int size) {
        return new ContentOptions(lineLengthLimit, downgrade, mimeNestingLimit, size);
    }
}
