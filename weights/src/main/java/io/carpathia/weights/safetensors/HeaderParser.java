package io.carpathia.weights.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream;
import io.carpathia.weights.safetensors.SafetensorsFormatException.Rule;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a safetensors header with Jackson's streaming parser and checks every rule of the format, in the order the
 * reference implementation checks them: UTF-8, JSON, schema and dtypes, then offsets and sizes tensor by tensor in
 * data order, then that the data ends at the end of the file.
 *
 * <p>The streaming parser keeps only what the header declares (names, dtypes, shapes, offsets, metadata strings), so
 * memory stays within a small multiple of the header's length whatever the input; no number read from the file is
 * ever used as an allocation size.
 */
final class HeaderParser {
    private HeaderParser() {}

    static final String METADATA_KEY = "__metadata__";

    /**
     * Field names are not canonicalized (a hostile header of colliding names would otherwise trip Jackson's symbol
     * table guard with an IllegalStateException), and the length limits on names and strings are lifted to the header
     * limit: the format itself puts no bound on a tensor name or a metadata value.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxNestingDepth(128) // serde_json's recursion limit
                    .build())
            .build();

    static SafetensorsHeader parse(Path file, ByteBuffer json, long headerLength, long fileSize) throws IOException {
        if (startsWithByteOrderMark(json)) {
            throw new SafetensorsFormatException(file, null, Rule.HEADER_NOT_JSON,
                    "the header starts with a UTF-8 byte-order mark, which JSON does not allow");
        }
        // A strict decoder: malformed or overlong sequences and encoded surrogates are errors, never replaced.
        Reader text = new InputStreamReader(new ByteBufferBackedInputStream(json), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(text)) {
            JsonToken root = p.nextToken();
            if (root == null) {
                throw new SafetensorsFormatException(file, null, Rule.HEADER_NOT_JSON, "the header is empty");
            }
            if (root != JsonToken.START_OBJECT) {
                throw new SafetensorsFormatException(file, null, Rule.HEADER_SCHEMA,
                        "the header is a JSON " + describe(root) + ", not an object");
            }
            Set<String> seen = new HashSet<>();
            boolean sawMetadata = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = checkedString(file, null, p.currentName());
                p.nextToken();
                if (key.equals(METADATA_KEY)) {
                    if (sawMetadata) {
                        throw new SafetensorsFormatException(file, null, Rule.HEADER_SCHEMA,
                                "\"" + METADATA_KEY + "\" appears twice");
                    }
                    sawMetadata = true;
                    readMetadata(file, p, metadata);
                } else {
                    if (!seen.add(key)) {
                        throw new SafetensorsFormatException(file, key, Rule.DUPLICATE_NAME,
                                "the name appears twice in the header");
                    }
                    tensors.add(readTensor(file, p, key));
                }
            }
            if (p.nextToken() != null) {
                throw new SafetensorsFormatException(file, null, Rule.HEADER_NOT_JSON,
                        "more JSON follows the header object");
            }
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(file, null, Rule.HEADER_NOT_UTF8,
                    "the header has a byte sequence that is not valid UTF-8", e);
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(file, null, Rule.HEADER_NOT_JSON,
                    "the header is not valid JSON: " + Strings.abbreviate(e.getOriginalMessage(), 300)
                            + " (at character " + e.getLocation().getCharOffset() + " of the header)", e);
        }
        List<TensorInfo> inDataOrder = validateLayout(file, tensors, fileSize - 8 - headerLength);
        return new SafetensorsHeader(file, inDataOrder, metadata, headerLength, fileSize);
    }

    private static boolean startsWithByteOrderMark(ByteBuffer json) {
        return json.remaining() >= 3 && (json.get(0) & 0xFF) == 0xEF && (json.get(1) & 0xFF) == 0xBB
                && (json.get(2) & 0xFF) == 0xBF;
    }

    /** {@code "__metadata__": {"key": "value", ...}} (or null, as the reference accepts). */
    private static void readMetadata(Path file, JsonParser p, Map<String, String> out) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) return;
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new SafetensorsFormatException(file, null, Rule.HEADER_SCHEMA,
                    "\"" + METADATA_KEY + "\" is a JSON " + describe(p.currentToken()) + ", not an object");
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = checkedString(file, null, p.currentName());
            JsonToken value = p.nextToken();
            if (value != JsonToken.VALUE_STRING) {
                throw new SafetensorsFormatException(file, null, Rule.METADATA_NOT_STRING,
                        "metadata key '" + Strings.abbreviate(key, 200) + "' holds a JSON " + describe(value));
            }
            if (out.containsKey(key)) {
                throw new SafetensorsFormatException(file, null, Rule.HEADER_SCHEMA,
                        "metadata key '" + Strings.abbreviate(key, 200) + "' appears twice");
            }
            out.put(key, checkedString(file, null, p.getText()));
        }
    }

    /** {@code "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}; other fields are ignored. */
    private static TensorInfo readTensor(Path file, JsonParser p, String name) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new SafetensorsFormatException(file, name, Rule.HEADER_SCHEMA,
                    "the entry is a JSON " + describe(p.currentToken()) + ", not an object");
        }
        String dtypeName = null;
        long[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "dtype" -> {
                    if (dtypeName != null) throw twice(file, name, field);
                    if (value != JsonToken.VALUE_STRING) throw wrongType(file, name, field, "a string", value);
                    dtypeName = checkedString(file, name, p.getText());
                }
                case "shape" -> {
                    if (shape != null) throw twice(file, name, field);
                    shape = readIntegers(file, p, name, field, Rule.SIZE_OVERFLOW);
                }
                case "data_offsets" -> {
                    if (offsets != null) throw twice(file, name, field);
                    offsets = readIntegers(file, p, name, field, Rule.DATA_NOT_AT_EOF);
                    if (offsets.length != 2) {
                        throw new SafetensorsFormatException(file, name, Rule.HEADER_SCHEMA,
                                "data_offsets has " + offsets.length + " numbers, not 2");
                    }
                }
                default -> p.skipChildren(); // the reference ignores unknown fields too
            }
        }
        if (dtypeName == null) throw missing(file, name, "dtype");
        if (shape == null) throw missing(file, name, "shape");
        if (offsets == null) throw missing(file, name, "data_offsets");
        Dtype dtype = Dtype.parse(dtypeName);
        if (dtype == null) {
            throw new SafetensorsFormatException(file, name, Rule.UNKNOWN_DTYPE,
                    "dtype \"" + Strings.abbreviate(dtypeName, 40) + "\"");
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    /**
     * A JSON array of integers >= 0. A value beyond 2^63 - 1 breaks {@code tooLarge}: for a dimension the size
     * overflows, for an offset the data would lie past the end of any file.
     */
    private static long[] readIntegers(Path file, JsonParser p, String name, String field, Rule tooLarge)
            throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw wrongType(file, name, field, "an array of integers", p.currentToken());
        }
        long[] values = new long[4];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw new SafetensorsFormatException(file, name, Rule.HEADER_SCHEMA,
                        field + " holds a JSON " + describe(t) + " where an integer >= 0 belongs");
            }
            long v;
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                BigInteger big = p.getBigIntegerValue();
                if (big.signum() > 0) {
                    throw new SafetensorsFormatException(file, name, tooLarge,
                            field + " holds " + Strings.abbreviate(big.toString(), 40) + ", beyond 2^63 - 1");
                }
                v = -1; // below Long.MIN_VALUE: refused as negative just below
            } else {
                v = p.getLongValue();
            }
            if (v < 0) {
                throw new SafetensorsFormatException(file, name, Rule.HEADER_SCHEMA,
                        field + " holds " + Strings.abbreviate(p.getText(), 40) + "; values are integers >= 0");
            }
            if (n == values.length) values = Arrays.copyOf(values, n * 2);
            values[n++] = v;
        }
        return Arrays.copyOf(values, n);
    }

    /**
     * Sorts the tensors by their byte ranges and checks that the ranges tile the data section exactly: the first
     * starts at 0, each starts where the one before ended, each holds shape x dtype size bytes, and the last ends at
     * the end of the file. Empty tensors ([k, k]) may share an offset with their neighbour, as in the reference.
     */
    private static List<TensorInfo> validateLayout(Path file, List<TensorInfo> tensors, long dataLength)
            throws SafetensorsFormatException {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expectedBegin = 0;
        for (TensorInfo t : sorted) {
            String range = "data_offsets [" + t.begin() + ", " + t.end() + "]";
            if (t.begin() > t.end()) {
                throw new SafetensorsFormatException(file, t.name(), Rule.OFFSETS_REVERSED, range);
            }
            if (t.begin() != expectedBegin) {
                if (expectedBegin == 0) {
                    throw new SafetensorsFormatException(file, t.name(), Rule.OFFSETS_NOT_FROM_ZERO,
                            range + " but no tensor's data starts at 0");
                }
                throw new SafetensorsFormatException(file, t.name(),
                        t.begin() > expectedBegin ? Rule.OFFSETS_HOLE : Rule.OFFSETS_OVERLAP,
                        range + " but the previous tensor's data ends at " + expectedBegin);
            }
            long expectedBytes = byteSize(file, t);
            if (t.end() - t.begin() != expectedBytes) {
                throw new SafetensorsFormatException(file, t.name(), Rule.SIZE_MISMATCH,
                        "shape " + Strings.abbreviate(t.shapeString(), 100) + " of " + t.dtype() + " ("
                                + t.dtype().byteSize() + " bytes each) needs " + expectedBytes + " bytes but " + range
                                + " holds " + (t.end() - t.begin()));
            }
            expectedBegin = t.end();
        }
        if (expectedBegin != dataLength) {
            String last = sorted.isEmpty() ? null : sorted.get(sorted.size() - 1).name();
            throw new SafetensorsFormatException(file, last, Rule.DATA_NOT_AT_EOF,
                    "the tensors' data ends " + expectedBegin + " bytes after the header but " + dataLength
                            + " bytes follow the header in the file");
        }
        return sorted;
    }

    /** shape product x dtype size, or SIZE_OVERFLOW past 2^63 - 1. */
    private static long byteSize(Path file, TensorInfo t) throws SafetensorsFormatException {
        try {
            long n = t.dtype().byteSize();
            for (long d : t.shape()) n = Math.multiplyExact(n, d);
            return n;
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(file, t.name(), Rule.SIZE_OVERFLOW,
                    "shape " + Strings.abbreviate(t.shapeString(), 100) + " of " + t.dtype()
                            + " has more than 2^63 - 1 bytes");
        }
    }

    /** Jackson passes lone surrogate escapes ("\ud800") through; the reference's JSON parser refuses them. */
    private static String checkedString(Path file, String tensor, String s) throws SafetensorsFormatException {
        int at = Strings.unpairedSurrogate(s);
        if (at >= 0) {
            throw new SafetensorsFormatException(file, tensor, Rule.HEADER_NOT_JSON,
                    "a string has an unpaired surrogate escape at character " + at + " (no Unicode text has one)");
        }
        return s;
    }

    private static SafetensorsFormatException twice(Path file, String name, String field) {
        return new SafetensorsFormatException(file, name, Rule.HEADER_SCHEMA, "field '" + field + "' appears twice");
    }

    private static SafetensorsFormatException missing(Path file, String name, String field) {
        return new SafetensorsFormatException(file, name, Rule.HEADER_SCHEMA, "field '" + field + "' is missing");
    }

    private static SafetensorsFormatException wrongType(Path file, String name, String field, String expected,
            JsonToken found) {
        return new SafetensorsFormatException(file, name, Rule.HEADER_SCHEMA,
                field + " is a JSON " + describe(found) + ", not " + expected);
    }

    private static String describe(JsonToken t) {
        if (t == null) return "end of input";
        return switch (t) {
            case START_OBJECT -> "object";
            case START_ARRAY -> "array";
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT -> "integer";
            case VALUE_NUMBER_FLOAT -> "number with a fraction or exponent";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }
}
