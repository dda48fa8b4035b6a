package io.carpathia.weights.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.JsonFactory;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A second, deliberately plain statement of the format's rules, for differential fuzzing: the whole file in memory,
 * a strict UTF-8 decode into a String, Jackson's tree model (duplicate keys refused), and arbitrary-precision sizes.
 * It answers whether a file is valid and, if so, what it holds; the reader must agree on every input.
 */
final class ReferenceModel {
    private ReferenceModel() {}

    record Tensor(String name, Dtype dtype, long[] shape, long begin, long end) {}

    /** A valid file's content, or null for an invalid one (with the reason, for failure messages). */
    record Verdict(List<Tensor> tensors, Map<String, String> metadata, long dataStart, String invalidBecause) {
        boolean valid() {
            return invalidBecause == null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxNestingDepth(128) // the reader's documented limit (serde_json's)
                    .build())
            .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    private static final BigInteger MAX = BigInteger.valueOf(Long.MAX_VALUE);

    static Verdict judge(byte[] file) {
        if (file.length < 8) return invalid("shorter than 8 bytes");
        long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 0 || n > 100_000_000L) return invalid("header length too large");
        if (8 + n > file.length) return invalid("header past EOF");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(file, 8, (int) n)).toString();
        } catch (CharacterCodingException e) {
            return invalid("not UTF-8");
        }
        if (text.startsWith("\uFEFF")) return invalid("BOM");
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (Exception e) {
            return invalid("not JSON: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) return invalid("empty");
        if (hasLoneSurrogate(root)) return invalid("lone surrogate");
        if (!root.isObject()) return invalid("root not an object");

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Tensor> tensors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (e.getKey().equals("__metadata__")) {
                if (v.isNull()) continue;
                if (!v.isObject()) return invalid("metadata not an object");
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) return invalid("metadata value not a string");
                    metadata.put(kv.getKey(), kv.getValue().textValue());
                }
                continue;
            }
            if (!v.isObject()) return invalid("entry not an object");
            JsonNode dtype = v.get("dtype");
            JsonNode shape = v.get("shape");
            JsonNode offsets = v.get("data_offsets");
            if (dtype == null || shape == null || offsets == null) return invalid("missing field");
            if (!dtype.isTextual()) return invalid("dtype not a string");
            if (!shape.isArray() || !offsets.isArray() || offsets.size() != 2) return invalid("bad arrays");
            Dtype d = Dtype.parse(dtype.textValue());
            BigInteger elements = BigInteger.ONE;
            long[] dims = new long[shape.size()];
            for (int i = 0; i < dims.length; i++) {
                JsonNode x = shape.get(i);
                if (!x.isIntegralNumber() || x.bigIntegerValue().signum() < 0) return invalid("bad dim");
                if (x.bigIntegerValue().compareTo(MAX) > 0) return invalid("dim beyond 2^63 - 1");
                dims[i] = x.longValue();
                elements = elements.multiply(x.bigIntegerValue());
                if (elements.compareTo(MAX) > 0) return invalid("element count overflows");
            }
            long[] be = new long[2];
            for (int i = 0; i < 2; i++) {
                JsonNode x = offsets.get(i);
                if (!x.isIntegralNumber() || x.bigIntegerValue().signum() < 0) return invalid("bad offset");
                if (x.bigIntegerValue().compareTo(MAX) > 0) return invalid("offset beyond 2^63 - 1");
                be[i] = x.longValue();
            }
            if (d == null) return invalid("unknown dtype");
            if (elements.multiply(BigInteger.valueOf(d.byteSize())).compareTo(MAX) > 0) {
                return invalid("byte size overflows");
            }
            tensors.add(new Tensor(e.getKey(), d, dims, be[0], be[1]));
        }
        List<Tensor> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(Tensor::begin).thenComparingLong(Tensor::end));
        long at = 0;
        for (Tensor t : sorted) {
            if (t.begin() != at || t.end() < t.begin()) return invalid("offsets of " + t.name());
            long elements = 1;
            for (long dim : t.shape()) elements *= dim;
            if (t.end() - t.begin() != elements * t.dtype().byteSize()) return invalid("size of " + t.name());
            at = t.end();
        }
        if (at != file.length - 8 - n) return invalid("data does not end at EOF");
        return new Verdict(sorted, metadata, 8 + n, null);
    }

    private static boolean hasLoneSurrogate(JsonNode node) {
        if (node.isTextual()) return Strings.unpairedSurrogate(node.textValue()) >= 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (Strings.unpairedSurrogate(e.getKey()) >= 0 || hasLoneSurrogate(e.getValue())) return true;
        }
        if (node.isArray()) for (JsonNode x : node) if (hasLoneSurrogate(x)) return true;
        return false;
    }

    private static Verdict invalid(String why) {
        return new Verdict(null, null, 0, why);
    }
}
