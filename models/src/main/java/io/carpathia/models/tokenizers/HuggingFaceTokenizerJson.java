package io.carpathia.models.tokenizers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.models.tokenizers.ByteLevelBpeTokenizer.AddedToken;
import io.carpathia.models.tokenizers.ByteLevelBpeTokenizer.Merge;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} holding a byte-level BPE tokenizer:
 * <pre>
 * { "added_tokens": [ {"id": 50256, "content": "&lt;|endoftext|&gt;", "special": true, "lstrip": false, ...} ],
 *   "normalizer": null,
 *   "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true, ...},
 *   "decoder": {"type": "ByteLevel", ...},
 *   "model": {"type": "BPE", "dropout": null, "vocab": {"!": 0, ...},
 *             "merges": ["Ġ t", ...]  or, since tokenizers 0.20,  [["Ġ", "t"], ...] } }
 * </pre>
 * Settings that would change the ids and that {@link ByteLevelBpeTokenizer} does not implement are refused, naming
 * the setting; {@code post_processor} (templates such as RoBERTa's {@code <s> ... </s>}) and {@code truncation} /
 * {@code padding} are ignored, as with {@code add_special_tokens=False}.
 */
final class HuggingFaceTokenizerJson {
    private HuggingFaceTokenizerJson() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    static ByteLevelBpeTokenizer read(Path file) throws IOException {
        JsonNode root = readJson(file, "Hugging Face tokenizer (tokenizer.json)");
        if (!root.isObject()) throw new TokenizerFormatException(file + ": expected a JSON object at the top level");
        String where = file.toString();

        JsonNode model = root.path("model");
        if (!model.isObject()) throw new TokenizerFormatException(where + ": no \"model\" object");
        String type = model.path("type").asText("BPE"); // files from before tokenizers 0.9 have no type tag
        if (!type.equals("BPE")) {
            throw new TokenizerFormatException(where + ": model type is " + type
                    + ", expected BPE (a byte-level BPE tokenizer such as GPT-2's)");
        }
        if (model.hasNonNull("dropout") && model.get("dropout").asDouble() != 0.0) {
            throw new TokenizerFormatException(where + ": model.dropout is " + model.get("dropout")
                    + "; BPE dropout (random merges for training-time augmentation) is not supported, expected null");
        }
        requireEmptyOrNull(model, "continuing_subword_prefix", where);
        requireEmptyOrNull(model, "end_of_word_suffix", where);
        if (model.path("byte_fallback").asBoolean(false)) {
            throw new TokenizerFormatException(where + ": model.byte_fallback is true; byte fallback (SentencePiece "
                    + "style <0x..> tokens) is not supported by a byte-level BPE tokenizer");
        }
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);

        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject()) throw new TokenizerFormatException(where + ": model.vocab is not an object");
        Map<String, Integer> vocab = vocabOf(vocabNode, where + " model.vocab");
        List<Merge> merges = mergesOf(model.path("merges"), where);

        if (root.hasNonNull("normalizer")) {
            throw new TokenizerFormatException(where + ": normalizer " + typeOf(root.get("normalizer"))
                    + " is not supported; a byte-level BPE tokenizer such as GPT-2's has normalizer null");
        }
        JsonNode preTokenizer = root.path("pre_tokenizer");
        if (!typeOf(preTokenizer).equals("ByteLevel")) {
            throw new TokenizerFormatException(where + ": pre_tokenizer is " + typeOf(preTokenizer)
                    + ", expected ByteLevel (GPT-2's pattern and byte alphabet)");
        }
        if (!preTokenizer.path("use_regex").asBoolean(true)) {
            throw new TokenizerFormatException(where + ": pre_tokenizer.use_regex is false; only GPT-2's "
                    + "pre-tokenisation pattern is supported");
        }
        boolean addPrefixSpace = preTokenizer.path("add_prefix_space").asBoolean(false);
        JsonNode decoder = root.path("decoder");
        if (!decoder.isMissingNode() && !decoder.isNull() && !typeOf(decoder).equals("ByteLevel")) {
            throw new TokenizerFormatException(where + ": decoder is " + typeOf(decoder) + ", expected ByteLevel");
        }

        List<AddedToken> added = addedTokensOf(root.path("added_tokens"), where);
        return new ByteLevelBpeTokenizer(vocab, merges, added, addPrefixSpace, ignoreMerges, where);
    }

    static JsonNode readJson(Path file, String what) throws IOException {
        requireFile(file, what);
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** A JSON document from a stream (a class-path resource, say); {@code source} names it in error messages. */
    static JsonNode readJson(InputStream in, String source) throws IOException {
        try {
            return JSON.readTree(in);
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    static void requireFile(Path file, String what) throws NoSuchFileException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, what + " not found");
    }

    /** A JSON object of token -> id. */
    static Map<String, Integer> vocabOf(JsonNode object, String where) {
        Map<String, Integer> vocab = new LinkedHashMap<>(object.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode id = entry.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                throw new TokenizerFormatException(String.format("%s: token %s has id %s, expected an integer",
                        where, ByteLevelBpeTokenizer.quote(entry.getKey()), id));
            }
            vocab.put(entry.getKey(), id.intValue());
        }
        return vocab;
    }

    /** Merges as {@code "a b"} strings or, in files from tokenizers 0.20 on, as {@code ["a", "b"]} pairs. */
    private static List<Merge> mergesOf(JsonNode array, String where) {
        if (array.isMissingNode() || array.isNull()) return List.of();
        if (!array.isArray()) throw new TokenizerFormatException(where + ": model.merges is not an array");
        List<Merge> merges = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode merge = array.get(i);
            if (merge.isTextual()) {
                String[] parts = merge.asText().split(" ", -1);
                if (parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty()) {
                    merges.add(new Merge(parts[0], parts[1]));
                    continue;
                }
            } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
                merges.add(new Merge(merge.get(0).asText(), merge.get(1).asText()));
                continue;
            }
            throw new TokenizerFormatException(String.format(
                    "%s: model.merges[%d] is %s, expected \"left right\" or [\"left\", \"right\"]", where, i, merge));
        }
        return merges;
    }

    private static List<AddedToken> addedTokensOf(JsonNode array, String where) {
        return addedTokens(array, where, (token, content, id) -> new AddedToken(content, id,
                token.path("special").asBoolean(false), token.path("lstrip").asBoolean(false),
                token.path("rstrip").asBoolean(false)));
    }

    /** Makes one tokenizer's added token from its JSON object, its checked content and id. */
    @FunctionalInterface
    interface AddedTokenOf<T> {
        T make(JsonNode token, String content, int id);
    }

    /**
     * The {@code added_tokens} array of a tokenizer.json (missing or null: none), each entry checked for an integer
     * id and a content string; {@code single_word} tokens are refused. {@code make} reads the flags its tokenizer
     * uses. Shared by the byte-level BPE and WordPiece loaders.
     */
    static <T> List<T> addedTokens(JsonNode array, String where, AddedTokenOf<T> make) {
        if (array.isMissingNode() || array.isNull()) return List.of();
        if (!array.isArray()) throw new TokenizerFormatException(where + ": added_tokens is not an array");
        List<T> tokens = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode token = array.get(i);
            if (!token.path("id").isIntegralNumber() || !token.path("id").canConvertToInt()
                    || !token.path("content").isTextual()) {
                throw new TokenizerFormatException(String.format(
                        "%s: added_tokens[%d] is %s, expected an object with an integer \"id\" and a \"content\" "
                                + "string", where, i, token));
            }
            String content = token.get("content").asText();
            if (token.path("single_word").asBoolean(false)) {
                throw new TokenizerFormatException(String.format(
                        "%s: added token %s has single_word true, which is not supported", where,
                        ByteLevelBpeTokenizer.quote(content)));
            }
            tokens.add(make.make(token, content, token.get("id").intValue()));
        }
        return tokens;
    }

    private static void requireEmptyOrNull(JsonNode model, String field, String where) {
        JsonNode value = model.path(field);
        if (!value.isMissingNode() && !value.isNull() && !value.asText().isEmpty()) {
            throw new TokenizerFormatException(String.format(
                    "%s: model.%s is %s; it is not supported by a byte-level BPE tokenizer, expected \"\" or null",
                    where, field, value));
        }
    }

    static String typeOf(JsonNode component) {
        if (component.isMissingNode() || component.isNull()) return "null";
        return component.path("type").asText("(no type)");
    }
}
