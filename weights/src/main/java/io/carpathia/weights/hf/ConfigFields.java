package io.carpathia.weights.hf;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Typed reads of a config.json's fields: a missing field (or JSON null where HF allows None) takes Hugging Face's
 * default, a field of the wrong type or out of range is a {@link ConfigException} naming the file and the field,
 * and fields nobody asks for are ignored.
 */
final class ConfigFields {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final JsonNode root;
    private final Path file;

    ConfigFields(JsonNode root, Path file) throws ConfigException {
        if (root == null || !root.isObject()) {
            throw new ConfigException(file, null, "the config is not a JSON object");
        }
        this.root = root;
        this.file = file;
    }

    /** Parses a JSON file into a tree; not JSON, or not an object, is a ConfigException. */
    static JsonNode readJson(Path file) throws IOException {
        try {
            JsonNode root = JSON.readTree(Files.readAllBytes(file));
            if (root == null || !root.isObject()) throw new ConfigException(file, null, "not a JSON object");
            return root;
        } catch (JsonProcessingException e) {
            throw new ConfigException(file, null, "not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        }
    }

    /** A config's parser: the typed config of a JSON tree, {@code source} naming the file in errors. */
    interface Parser<T> {
        T parse(JsonNode json, Path source) throws ConfigException;
    }

    /** What {@code parser} makes of an empty config: Hugging Face's defaults. */
    static <T> T defaults(Parser<T> parser) {
        try {
            return parser.parse(JsonNodeFactory.instance.objectNode(), null);
        } catch (ConfigException e) {
            throw new IllegalStateException("internal: the defaults are invalid", e);
        }
    }

    /** A config of another model (model_type given and different) is refused; a missing model_type is accepted. */
    void checkModelType(String expected) throws ConfigException {
        String modelType = string("model_type", expected);
        if (modelType != null && !modelType.equals(expected)) {
            throw bad("model_type", "expected \"" + expected + "\", found \"" + modelType + "\"");
        }
    }

    /** Attention splits the width into heads: {@code width} must be a multiple of {@code heads}. */
    void checkDivisible(String widthField, int width, String headsField, int heads) throws ConfigException {
        if (width % heads != 0) {
            throw bad(widthField, widthField + " (" + width + ") must be divisible by " + headsField + " (" + heads
                    + ")");
        }
    }

    boolean has(String field) {
        JsonNode v = root.get(field);
        return v != null && !v.isNull();
    }

    /** The first of {@code fields} present (HF accepts aliases such as hidden_size for n_embd), or the first name. */
    String firstPresent(String... fields) {
        for (String f : fields) if (has(f)) return f;
        return fields[0];
    }

    int positiveInt(String field, int dflt) throws ConfigException {
        int v = integer(field, dflt);
        if (v <= 0) throw bad(field, "expected an integer > 0, found " + v);
        return v;
    }

    int integer(String field, int dflt) throws ConfigException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw bad(field, "expected an integer, found " + found(v));
        return v.intValue();
    }

    /** An integer that HF allows to be None (null or missing gives {@code dflt}, which may be null). */
    Integer optionalInt(String field, Integer dflt) throws ConfigException {
        JsonNode v = root.get(field);
        if (v == null) return dflt;
        if (v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw bad(field, "expected an integer or null, found " + found(v));
        }
        return v.intValue();
    }

    double number(String field, double dflt) throws ConfigException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw bad(field, "expected a number, found " + found(v));
        return v.doubleValue();
    }

    double positiveNumber(String field, double dflt) throws ConfigException {
        double v = number(field, dflt);
        if (!(v > 0) || Double.isInfinite(v)) throw bad(field, "expected a number > 0, found " + v);
        return v;
    }

    /** A dropout probability in [0, 1). */
    double probability(String field, double dflt) throws ConfigException {
        double v = number(field, dflt);
        if (!(v >= 0 && v < 1)) throw bad(field, "expected a probability in [0, 1), found " + v);
        return v;
    }

    /** Null (or missing with a null default) stays null, as HF's Optional[float] fields do. */
    Double optionalProbability(String field) throws ConfigException {
        if (!has(field)) return null;
        return probability(field, 0);
    }

    boolean bool(String field, boolean dflt) throws ConfigException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw bad(field, "expected true or false, found " + found(v));
        return v.booleanValue();
    }

    String string(String field, String dflt) throws ConfigException {
        JsonNode v = root.get(field);
        if (v == null) return dflt;
        if (v.isNull()) return null;
        if (!v.isTextual()) throw bad(field, "expected a string, found " + found(v));
        return v.textValue();
    }

    /** A string that must be one of {@code allowed}. */
    String choice(String field, String dflt, String... allowed) throws ConfigException {
        String v = string(field, dflt);
        for (String a : allowed) if (a.equals(v)) return v;
        throw bad(field, "expected one of " + String.join(", ", allowed) + ", found " + (v == null ? "null"
                : "\"" + v + "\""));
    }

    /**
     * {@code id2label} ({"0": "cat", ...}) as a sorted map; absent gives HF's default of {@code defaultLabels} labels
     * named LABEL_i.
     */
    Map<Integer, String> id2label(int defaultLabels) throws ConfigException {
        Map<Integer, String> labels = new TreeMap<>();
        JsonNode v = root.get("id2label");
        if (v == null || v.isNull()) {
            int n = has("num_labels") ? integer("num_labels", defaultLabels) : defaultLabels;
            if (n < 0) throw bad("num_labels", "expected an integer >= 0, found " + n);
            for (int i = 0; i < n; i++) labels.put(i, "LABEL_" + i);
            return labels;
        }
        if (!v.isObject()) throw bad("id2label", "expected an object {\"0\": \"label\", ...}, found " + found(v));
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw bad("id2label", "key \"" + e.getKey() + "\" is not an integer id");
            }
            if (!e.getValue().isTextual()) {
                throw bad("id2label", "the label of id " + id + " is " + found(e.getValue()) + ", not a string");
            }
            labels.put(id, e.getValue().textValue());
        }
        return labels;
    }

    ConfigException bad(String field, String problem) {
        return new ConfigException(file, field, problem);
    }

    private static String found(JsonNode v) {
        String text = v.toString();
        if (text.length() > 60) text = text.substring(0, 60) + "...";
        String kind = v.isTextual() ? "a string" : v.isBoolean() ? "a boolean" : v.isNumber() ? "the number"
                : v.isArray() ? "an array" : v.isObject() ? "an object" : v.isNull() ? "null" : "the value";
        return kind + " " + text;
    }
}
