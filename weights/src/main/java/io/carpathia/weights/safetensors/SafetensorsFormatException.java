package io.carpathia.weights.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file (or a sharded checkpoint's index) breaks the format. The message names the file, the tensor when
 * one is at fault, what was found and what the format requires; {@link #rule()} says which rule was broken.
 *
 * <p>It is an {@link IOException}: the file on disk is what is wrong, as with any other unreadable file.
 */
public class SafetensorsFormatException extends IOException {

    /** The rules of the format, one per way a file can break it. */
    public enum Rule {
        FILE_TOO_SHORT("a file starts with an 8-byte header length"),
        HEADER_TOO_LARGE("the header is at most 100,000,000 bytes"),
        HEADER_PAST_EOF("the header lies within the file"),
        HEADER_NOT_UTF8("the header is UTF-8 text"),
        HEADER_NOT_JSON("the header is one JSON object"),
        HEADER_SCHEMA("each header entry is {\"dtype\": string, \"shape\": [integers >= 0],"
                + " \"data_offsets\": [begin, end]}, and \"__metadata__\" an object"),
        METADATA_NOT_STRING("\"__metadata__\" maps strings to strings"),
        UNKNOWN_DTYPE("dtype is one of BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64,"
                + " I64, U64"),
        DUPLICATE_NAME("tensor names are unique"),
        SIZE_OVERFLOW("shape x dtype size fits in 63 bits"),
        SIZE_MISMATCH("the byte range holds exactly shape x dtype size bytes"),
        OFFSETS_REVERSED("data_offsets are [begin, end] with begin <= end"),
        OFFSETS_NOT_FROM_ZERO("the first tensor's data starts at offset 0"),
        OFFSETS_HOLE("tensors' data are contiguous, with no bytes between them"),
        OFFSETS_OVERLAP("tensors' data do not overlap"),
        DATA_NOT_AT_EOF("the last tensor's data ends exactly at the end of the file"),
        INDEX_INVALID("a sharded checkpoint's index is {\"metadata\": {...}, \"weight_map\": {tensor: shard file}}"
                + " naming files of its own folder that hold those tensors");

        private final String requirement;

        Rule(String requirement) {
            this.requirement = requirement;
        }

        /** The rule in words, as the messages quote it. */
        public String requirement() {
            return requirement;
        }
    }

    private final transient Path file;
    private final String tensor;
    private final Rule rule;

    public SafetensorsFormatException(Path file, String tensor, Rule rule, String found) {
        this(file, tensor, rule, found, null);
    }

    public SafetensorsFormatException(Path file, String tensor, Rule rule, String found, Throwable cause) {
        super(message(file, tensor, rule, found), cause);
        this.file = file;
        this.tensor = tensor;
        this.rule = rule;
    }

    private static String message(Path file, String tensor, Rule rule, String found) {
        StringBuilder m = new StringBuilder();
        m.append(file == null ? "<safetensors>" : file.toString()).append(": ");
        if (tensor != null) m.append("tensor '").append(Strings.abbreviate(tensor, 200)).append("': ");
        m.append(found).append(" (expected: ").append(rule.requirement()).append(')');
        return m.toString();
    }

    /** The file at fault (the index file for an index problem). */
    public Path file() {
        return file;
    }

    /** The tensor at fault, or null when the problem is not one tensor's. */
    public String tensor() {
        return tensor;
    }

    public Rule rule() {
        return rule;
    }
}
