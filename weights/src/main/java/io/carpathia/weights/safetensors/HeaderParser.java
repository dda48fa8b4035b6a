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
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
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
        checkSyntax(file, json.duplicate());
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(utf8(json.duplicate()))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new SafetensorsFormatException(file, null, Rule.HEADER_SCHEMA,
                        "the header is a JSON " + describe(p.currentToken()) + ", not an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) { // keys are unique: the first pass checked
                String key = p.currentName();
                p.nextToken();
                if (key.equals(METADATA_KEY)) {
                    readMetadata(file, p, metadata);
                } else {
                    tensors.add(readTensor(file, p, key));
                }
            }
        } catch (CharacterCodingException | JsonProcessingException e) {
            throw new IllegalStateException("internal: the header passed the syntax check but failed to parse", e);
        }
        List<TensorInfo> inDataOrder = validateLayout(file, tensors, fileSize - 8 - headerLength);
        return new SafetensorsHeader(file, inDataOrder, metadata, headerLength, fileSize);
    }

    /**
     * First pass, over the whole header before any field is interpreted: it must be UTF-8 text holding exactly one
     * JSON value, with no lone surrogate escapes and no key twice in any object. Syntax comes before schema, as in the
     * reference (its parser reads the whole value before looking at fields), so a file broken both ways is reported as
     * not JSON.
     *
     * <p>Duplicate keys are refused everywhere: JSON leaves their meaning open and the reference's parser silently
     * keeps the last one, which would let two readers see different tensors in one file.
     */
    private static void checkSyntax(Path file, ByteBuffer json) throws IOException {
        SafetensorsFormatException duplicate = null; // reported only if the syntax is sound
        try (JsonParser p = JSON.createParser(utf8(json))) {
            if (p.nextToken() == null) {
                throw new SafetensorsFormatException(file, null, Rule.HEADER_NOT_JSON, "the header is empty");
            }
            Deque<Set<String>> keysOfOpenObjects = new ArrayDeque<>();
            String topLevelKey = null; // the tensor (or "__metadata__") whose value is being read
            do {
                JsonToken t = p.currentToken();
                if (t == JsonToken.START_OBJECT) keysOfOpenObjects.push(new HashSet<>());
                if (t == JsonToken.END_OBJECT) keysOfOpenObjects.pop();
                if (t == JsonToken.FIELD_NAME || t == JsonToken.VALUE_STRING) checkedString(file, p);
                if (t == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    if (keysOfOpenObjects.size() == 1) topLevelKey = key;
                    if (!keysOfOpenObjects.peek().add(key) && duplicate == null) {
                        duplicate = duplicateKey(file, key, keysOfOpenObjects.size(), topLevelKey);
                    }
                }
            } while (p.getParsingContext().getParent() != null && p.nextToken() != null);
            if (p.nextToken() != null) {
                throw new SafetensorsFormatException(file, null, Rule.HEADER_NOT_JSON,
                        "more JSON follows the header's value");
            }
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(file, null, Rule.HEADER_NOT_UTF8,
                    "the header has a byte sequence that is not valid UTF-8", e);
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(file, null, Rule.HEADER_NOT_JSON,
                    "the header is not valid JSON: " + Strings.abbreviate(e.getOriginalMessage(), 300)
                            + " (at character " + e.getLocation().getCharOffset() + " of the header)", e);
        }
        if (duplicate != null) throw duplicate;
    }

    private static SafetensorsFormatException duplicateKey(Path file, String key, int depth, String topLevelKey) {
        if (depth == 1 && !key.equals(METADATA_KEY)) {
            return new SafetensorsFormatException(file, key, Rule.DUPLICATE_NAME, "the name appears twice in the header");
        }
        String where = depth == 1 ? "the header" : "the value of '" + Strings.abbreviate(topLevelKey, 200) + "'";
        return new SafetensorsFormatException(file, depth == 1 || topLevelKey.equals(METADATA_KEY) ? null : topLevelKey,
                Rule.HEADER_SCHEMA, "key '" + Strings.abbreviate(key, 200) + "' appears twice in " + where);
    }

    /**
     * The header as text, decoded strictly: malformed or overlong sequences and encoded surrogates are errors, never
     * replaced. Decoding ourselves also keeps Jackson from guessing UTF-16 or UTF-32 from NUL bytes.
     */
    private static Reader utf8(ByteBuffer json) {
        return new InputStreamReader(new ByteBufferBackedInputStream(json), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
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
            String key = p.currentName();
            JsonToken value = p.nextToken();
            if (value != JsonToken.VALUE_STRING) {
                throw new SafetensorsFormatException(file, null, Rule.METADATA_NOT_STRING,
                        "metadata key '" + Strings.abbreviate(key, 200) + "' holds a JSON " + describe(value));
            }
            out.put(key, p.getText());
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
                    if (value != JsonToken.VALUE_STRING) throw wrongType(file, name, field, "a string", value);
                    dtypeName = p.getText();
                }
                case "shape" -> {
                    shape = readIntegers(file, p, name, field, Rule.SIZE_OVERFLOW);
                }
                case "data_offsets" -> {
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

    /** shape product x dtype size, or SIZE_OVERFLOW past 2^63 - 1 (multiplied in the reference's order). */
    private static long byteSize(Path file, TensorInfo t) throws SafetensorsFormatException {
        try {
            long elements = 1;
            for (long d : t.shape()) elements = Math.multiplyExact(elements, d);
            return Math.multiplyExact(elements, t.dtype().byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(file, t.name(), Rule.SIZE_OVERFLOW,
                    "shape " + Strings.abbreviate(t.shapeString(), 100) + " of " + t.dtype()
                            + " has more than 2^63 - 1 bytes");
        }
    }

    /**
     * Jackson passes lone surrogate escapes ("\\ud800") through; the reference's JSON parser refuses them anywhere,
     * since no Unicode text has one.
     */
    private static void checkedString(Path file, JsonParser p) throws IOException {
        char[] text = p.getTextCharacters();
        int start = p.getTextOffset();
        int end = start + p.getTextLength();
        for (int i = start; i < end; i++) {
            char c = text[i];
            boolean paired = Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text[i + 1]);
            if (paired) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new SafetensorsFormatException(file, null, Rule.HEADER_NOT_JSON,
                        "a string has an unpaired surrogate escape (\\u" + Integer.toHexString(c)
                                + "), which no Unicode text has");
            }
        }
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
