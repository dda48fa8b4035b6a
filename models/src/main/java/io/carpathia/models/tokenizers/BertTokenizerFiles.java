package io.carpathia.models.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import io.carpathia.models.tokenizers.BertTokenizer.Padding;
import io.carpathia.models.tokenizers.BertTokenizer.SequenceItem;
import io.carpathia.models.tokenizers.BertTokenizer.SpecialItem;
import io.carpathia.models.tokenizers.BertTokenizer.Template;
import io.carpathia.models.tokenizers.BertTokenizer.TemplateItem;
import io.carpathia.models.tokenizers.BertTokenizer.Truncation;
import io.carpathia.models.tokenizers.BertTokenizer.TruncationStrategy;
import io.carpathia.models.tokenizers.WordPieceTokenizer.AddedToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads WordPiece tokenizers: a Hugging Face {@code tokenizer.json}
 * <pre>
 * { "added_tokens": [ {"id": 0, "content": "[PAD]", "special": true, "normalized": false, ...}, ... ],
 *   "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
 *                  "strip_accents": null, "lowercase": true},
 *   "pre_tokenizer": {"type": "BertPreTokenizer"},
 *   "post_processor": {"type": "TemplateProcessing", "single": [...], "pair": [...], "special_tokens": {...}},
 *   "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
 *   "truncation": {"max_length": 128, "strategy": "LongestFirst", "direction": "Right", "stride": 0},
 *   "padding": {"strategy": {"Fixed": 128}, "direction": "Right", "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
 *   "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
 *             "max_input_chars_per_word": 100, "vocab": {"[PAD]": 0, ...}} }
 * </pre>
 * or BERT's original {@code vocab.txt} with the {@code tokenizer_config.json} that transformers writes beside it.
 * Components that would change the ids and that are not implemented are refused, naming the file and the component.
 */
final class BertTokenizerFiles {
    private BertTokenizerFiles() {}

    /** transformers writes {@code int(1e30)} as {@code model_max_length} when a checkpoint states none. */
    private static final double NO_MAX_LENGTH = 1e9;

    static BertTokenizer readTokenizerJson(Path file) throws IOException {
        return fromJson(HuggingFaceTokenizerJson.readJson(file, "Hugging Face tokenizer (tokenizer.json)"),
                file.toString());
    }

    static BertTokenizer readTokenizerJson(InputStream in, String source) throws IOException {
        return fromJson(HuggingFaceTokenizerJson.readJson(in, source), source);
    }

    // ---------------------------------------------------------------------------------------------- tokenizer.json

    private static BertTokenizer fromJson(JsonNode root, String where) {
        if (!root.isObject()) throw new TokenizerFormatException(where + ": expected a JSON object at the top level");

        JsonNode model = root.path("model");
        if (!model.isObject()) throw new TokenizerFormatException(where + ": no \"model\" object");
        String type = HuggingFaceTokenizerJson.typeOf(model);
        if (!type.equals("WordPiece")) {
            throw new TokenizerFormatException(where + ": model type is " + type
                    + ", expected WordPiece (a BERT tokenizer)");
        }
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject()) throw new TokenizerFormatException(where + ": model.vocab is not an object");
        Map<String, Integer> vocab = HuggingFaceTokenizerJson.vocabOf(vocabNode, where + " model.vocab");
        String unkToken = textOr(model, "unk_token", WordPieceTokenizer.DEFAULT_UNK_TOKEN, where + " model");
        String prefix = textOr(model, "continuing_subword_prefix", WordPieceTokenizer.DEFAULT_CONTINUATION_PREFIX,
                where + " model");
        int maxChars = intOr(model, "max_input_chars_per_word", WordPieceTokenizer.DEFAULT_MAX_INPUT_CHARS_PER_WORD,
                where + " model");

        BertNormalizer normalizer = normalizerOf(root.path("normalizer"), where);
        JsonNode preTokenizer = root.path("pre_tokenizer");
        if (!HuggingFaceTokenizerJson.typeOf(preTokenizer).equals("BertPreTokenizer")) {
            throw new TokenizerFormatException(where + ": pre_tokenizer is "
                    + HuggingFaceTokenizerJson.typeOf(preTokenizer)
                    + ", expected BertPreTokenizer (split at white space and punctuation)");
        }
        boolean cleanup = decoderCleanupOf(root.path("decoder"), prefix, where);
        List<AddedToken> added = addedTokensOf(root.path("added_tokens"), where);

        WordPieceTokenizer wordPiece = new WordPieceTokenizer(vocab, null, unkToken, prefix, maxChars, normalizer,
                added, cleanup, where);
        Template template = templateOf(root.path("post_processor"), wordPiece, where);
        Truncation truncation = truncationOf(root.path("truncation"), where);

        JsonNode padding = root.path("padding");
        Padding configuredPadding = paddingOf(padding, where);
        String padToken = configuredPadding != null
                ? textOr(padding, "pad_token", "[PAD]", where + " padding")
                : "[PAD]";
        int padId = configuredPadding != null
                ? intOr(padding, "pad_id", wordPiece.tokenId(padToken).orElse(-1), where + " padding")
                : wordPiece.tokenId(padToken).orElse(-1);
        int padTypeId = configuredPadding != null ? intOr(padding, "pad_type_id", 0, where + " padding") : 0;
        if (padId >= wordPiece.vocabSize()) {
            throw new TokenizerFormatException(String.format(
                    "%s: padding.pad_id is %d, beyond the vocabulary (ids 0..%d)", where, padId,
                    wordPiece.vocabSize() - 1));
        }
        return new BertTokenizer(wordPiece, template, truncation, configuredPadding, padToken, padId, padTypeId);
    }

    private static BertNormalizer normalizerOf(JsonNode node, String where) {
        if (node.isMissingNode() || node.isNull()) return null;
        String type = HuggingFaceTokenizerJson.typeOf(node);
        if (!type.equals("BertNormalizer")) {
            throw new TokenizerFormatException(where + ": normalizer " + type
                    + " is not supported, expected BertNormalizer or null");
        }
        JsonNode strip = node.path("strip_accents");
        Boolean stripAccents = strip.isMissingNode() || strip.isNull() ? null
                : booleanOf(node, "strip_accents", where + " normalizer");
        return BertNormalizer.of(booleanOr(node, "clean_text", true, where + " normalizer"),
                booleanOr(node, "handle_chinese_chars", true, where + " normalizer"), stripAccents,
                booleanOr(node, "lowercase", true, where + " normalizer"));
    }

    private static boolean decoderCleanupOf(JsonNode node, String modelPrefix, String where) {
        if (node.isMissingNode() || node.isNull()) return true;
        String type = HuggingFaceTokenizerJson.typeOf(node);
        if (!type.equals("WordPiece")) {
            throw new TokenizerFormatException(where + ": decoder " + type + " is not supported, expected WordPiece");
        }
        String prefix = textOr(node, "prefix", WordPieceTokenizer.DEFAULT_CONTINUATION_PREFIX, where + " decoder");
        if (!prefix.equals(modelPrefix)) {
            throw new TokenizerFormatException(String.format(
                    "%s: decoder.prefix is %s but the model's continuing_subword_prefix is %s; expected the same",
                    where, ByteLevelBpeTokenizer.quote(prefix), ByteLevelBpeTokenizer.quote(modelPrefix)));
        }
        return booleanOr(node, "cleanup", true, where + " decoder");
    }

    private static List<AddedToken> addedTokensOf(JsonNode array, String where) {
        // lstrip / rstrip would let a token swallow the white space beside it, which the BERT pre-tokenizer drops
        // anyway: they cannot change the ids, so they are accepted and ignored
        return HuggingFaceTokenizerJson.addedTokens(array, where, (token, content, id) -> {
            boolean special = token.path("special").asBoolean(false);
            return new AddedToken(content, id, special, token.path("normalized").asBoolean(!special));
        });
    }

    /** TemplateProcessing, BertProcessing, or none (no special tokens added). */
    private static Template templateOf(JsonNode node, WordPieceTokenizer wordPiece, String where) {
        if (node.isMissingNode() || node.isNull()) return Template.none();
        String type = HuggingFaceTokenizerJson.typeOf(node);
        switch (type) {
            case "BertProcessing" -> {
                String[] sep = namedIdOf(node.path("sep"), where + " post_processor.sep");
                String[] cls = namedIdOf(node.path("cls"), where + " post_processor.cls");
                return Template.bert(cls[0], requireId(wordPiece, cls, where),
                        sep[0], requireId(wordPiece, sep, where));
            }
            case "TemplateProcessing" -> {
                Map<String, SpecialItem> specials = specialTokensOf(node.path("special_tokens"), wordPiece, where);
                List<TemplateItem> single =
                        templateItemsOf(node.path("single"), specials, where + " post_processor.single");
                List<TemplateItem> pair =
                        templateItemsOf(node.path("pair"), specials, where + " post_processor.pair");
                requireSequences(single, 1, where + " post_processor.single");
                requireSequences(pair, 2, where + " post_processor.pair");
                return new Template(single, pair);
            }
            default -> throw new TokenizerFormatException(where + ": post_processor " + type
                    + " is not supported, expected TemplateProcessing, BertProcessing or null");
        }
    }

    /** BertProcessing's {@code ["[SEP]", 102]}. */
    private static String[] namedIdOf(JsonNode pair, String where) {
        if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual() || !pair.get(1).canConvertToInt()) {
            throw new TokenizerFormatException(where + " is " + pair + ", expected [\"token\", id]");
        }
        return new String[] {pair.get(0).asText(), Integer.toString(pair.get(1).intValue())};
    }

    private static int requireId(WordPieceTokenizer wordPiece, String[] namedId, String where) {
        int id = Integer.parseInt(namedId[1]);
        if (id < 0 || id >= wordPiece.vocabSize()) {
            throw new TokenizerFormatException(String.format(
                    "%s: post_processor token %s has id %d, beyond the vocabulary (ids 0..%d)", where,
                    ByteLevelBpeTokenizer.quote(namedId[0]), id, wordPiece.vocabSize() - 1));
        }
        return id;
    }

    private static Map<String, SpecialItem> specialTokensOf(JsonNode node, WordPieceTokenizer wordPiece, String where) {
        Map<String, SpecialItem> specials = new HashMap<>();
        if (node.isMissingNode() || node.isNull()) return specials;
        if (!node.isObject()) {
            throw new TokenizerFormatException(where + ": post_processor.special_tokens is not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String at = where + " post_processor.special_tokens." + entry.getKey();
            JsonNode ids = entry.getValue().path("ids");
            JsonNode tokens = entry.getValue().path("tokens");
            if (!ids.isArray() || !tokens.isArray() || ids.size() != tokens.size() || ids.isEmpty()) {
                throw new TokenizerFormatException(at + " is " + entry.getValue()
                        + ", expected {\"ids\": [...], \"tokens\": [...]} of equal, non-zero length");
            }
            int[] idArray = new int[ids.size()];
            String[] tokenArray = new String[ids.size()];
            for (int k = 0; k < ids.size(); k++) {
                if (!ids.get(k).isIntegralNumber() || !ids.get(k).canConvertToInt() || !tokens.get(k).isTextual()) {
                    throw new TokenizerFormatException(at + " is " + entry.getValue() + ", expected integer ids and "
                            + "string tokens");
                }
                idArray[k] = ids.get(k).intValue();
                tokenArray[k] = tokens.get(k).asText();
                if (idArray[k] < 0 || idArray[k] >= wordPiece.vocabSize()) {
                    throw new TokenizerFormatException(String.format("%s: id %d is beyond the vocabulary (ids 0..%d)",
                            at, idArray[k], wordPiece.vocabSize() - 1));
                }
            }
            specials.put(entry.getKey(), new SpecialItem(entry.getKey(), idArray, tokenArray, 0));
        }
        return specials;
    }

    /** {@code [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, ...]}. */
    private static List<TemplateItem> templateItemsOf(JsonNode array, Map<String, SpecialItem> specials, String where) {
        if (!array.isArray()) throw new TokenizerFormatException(where + " is missing or not an array");
        List<TemplateItem> items = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode item = array.get(i);
            JsonNode special = item.path("SpecialToken");
            JsonNode sequence = item.path("Sequence");
            int typeId = (special.isObject() ? special : sequence).path("type_id").asInt(0);
            if (special.isObject()) {
                String name = special.path("id").asText();
                SpecialItem known = specials.get(name);
                if (known == null) {
                    throw new TokenizerFormatException(String.format(
                            "%s[%d]: special token %s is not listed in post_processor.special_tokens", where, i,
                            ByteLevelBpeTokenizer.quote(name)));
                }
                items.add(new SpecialItem(name, known.ids(), known.tokens(), typeId));
            } else if (sequence.isObject() && (sequence.path("id").asText().equals("A")
                    || sequence.path("id").asText().equals("B"))) {
                items.add(new SequenceItem(sequence.path("id").asText().equals("A") ? 0 : 1, typeId));
            } else {
                throw new TokenizerFormatException(String.format(
                        "%s[%d] is %s, expected {\"SpecialToken\": {...}} or {\"Sequence\": {\"id\": \"A\" or \"B\"}}",
                        where, i, item));
            }
        }
        return items;
    }

    /** A single template must place A once; a pair template A and B once each. */
    private static void requireSequences(List<TemplateItem> items, int count, String where) {
        int a = 0;
        int b = 0;
        for (TemplateItem item : items) {
            if (item instanceof SequenceItem sequence) {
                if (sequence.sequence() == 0) a++;
                else b++;
            }
        }
        if (a != 1 || b != count - 1) {
            throw new TokenizerFormatException(String.format("%s places sequence A %d times and B %d times, expected "
                    + "A once%s", where, a, b, count == 2 ? " and B once" : " and no B"));
        }
    }

    private static Truncation truncationOf(JsonNode node, String where) {
        if (node.isMissingNode() || node.isNull()) return null;
        String at = where + " truncation";
        String direction = textOr(node, "direction", "Right", at);
        if (!direction.equals("Right")) {
            throw new TokenizerFormatException(at + ".direction is " + direction + "; only Right is supported");
        }
        String strategy = textOr(node, "strategy", "LongestFirst", at);
        TruncationStrategy parsed = switch (strategy) {
            case "LongestFirst" -> TruncationStrategy.LONGEST_FIRST;
            case "OnlyFirst" -> TruncationStrategy.ONLY_FIRST;
            case "OnlySecond" -> TruncationStrategy.ONLY_SECOND;
            default -> throw new TokenizerFormatException(at + ".strategy is " + strategy
                    + ", expected LongestFirst, OnlyFirst or OnlySecond");
        };
        // stride only shapes the overflowing windows, which are not produced here: it cannot change the encoding.
        int maxLength = intOr(node, "max_length", -1, at);
        if (maxLength < 0) throw new TokenizerFormatException(at + ".max_length is missing or negative");
        return new Truncation(maxLength, parsed);
    }

    private static Padding paddingOf(JsonNode node, String where) {
        if (node.isMissingNode() || node.isNull()) return null;
        String at = where + " padding";
        String direction = textOr(node, "direction", "Right", at);
        if (!direction.equals("Right")) {
            throw new TokenizerFormatException(at + ".direction is " + direction + "; only Right is supported");
        }
        JsonNode strategy = node.path("strategy");
        Padding padding;
        if (strategy.isTextual() && strategy.asText().equals("BatchLongest")) {
            padding = Padding.longest();
        } else if (strategy.isObject() && strategy.path("Fixed").canConvertToInt()
                && strategy.path("Fixed").asInt() > 0) {
            padding = Padding.fixed(strategy.path("Fixed").asInt());
        } else {
            throw new TokenizerFormatException(at + ".strategy is " + strategy
                    + ", expected \"BatchLongest\" or {\"Fixed\": length}");
        }
        JsonNode multiple = node.path("pad_to_multiple_of");
        if (!multiple.isMissingNode() && !multiple.isNull()) {
            if (!multiple.canConvertToInt() || multiple.asInt() < 0) {
                throw new TokenizerFormatException(at + ".pad_to_multiple_of is " + multiple
                        + ", expected null or a non-negative integer");
            }
            padding = padding.toMultipleOf(multiple.asInt());
        }
        return padding;
    }

    // ---------------------------------------------------------------------------------------------- vocab.txt

    /**
     * {@code vocab.txt}: one token a line, the line number (from 0) is its id, trailing white space trimmed, as
     * Hugging Face reads it. Settings from {@code tokenizer_config.json} when given, else BERT's uncased defaults.
     */
    static BertTokenizer readVocabTxt(Path vocabTxt, Path tokenizerConfigJson) throws IOException {
        HuggingFaceTokenizerJson.requireFile(vocabTxt, "WordPiece vocabulary (vocab.txt)");
        String where = vocabTxt.toString();
        String text = Files.readString(vocabTxt, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>();
        int from = 0;
        while (from < text.length()) {
            int newline = text.indexOf('\n', from);
            int end = newline < 0 ? text.length() : newline;
            lines.add(trimEnd(text.substring(from, end)));
            from = end + 1;
        }
        if (lines.isEmpty()) throw new TokenizerFormatException(where + ": the vocabulary is empty");
        Map<String, Integer> vocab = new LinkedHashMap<>(lines.size() * 2);
        for (int id = 0; id < lines.size(); id++) vocab.put(lines.get(id), id); // a repeated token keeps its last id

        JsonNode config = null;
        if (tokenizerConfigJson != null) {
            config = HuggingFaceTokenizerJson.readJson(tokenizerConfigJson,
                    "tokenizer settings (tokenizer_config.json)");
            if (!config.isObject()) {
                throw new TokenizerFormatException(tokenizerConfigJson + ": expected a JSON object at the top level");
            }
            where = vocabTxt + " + " + tokenizerConfigJson;
        }
        String at = tokenizerConfigJson + "";
        boolean lowercase = config == null || booleanOr(config, "do_lower_case", true, at);
        JsonNode strip = config == null ? null : config.path("strip_accents");
        Boolean stripAccents = strip == null || strip.isMissingNode() || strip.isNull() ? null
                : booleanOf(config, "strip_accents", at);
        boolean chinese = config == null || booleanOr(config, "tokenize_chinese_chars", true, at);
        BertNormalizer normalizer = BertNormalizer.of(true, chinese, stripAccents, lowercase);

        String unk = specialTokenOf(config, "unk_token", "[UNK]", at);
        String sep = specialTokenOf(config, "sep_token", "[SEP]", at);
        String pad = specialTokenOf(config, "pad_token", "[PAD]", at);
        String cls = specialTokenOf(config, "cls_token", "[CLS]", at);
        String mask = specialTokenOf(config, "mask_token", "[MASK]", at);
        List<AddedToken> added = new ArrayList<>();
        for (String special : List.of(pad, unk, cls, sep, mask)) {
            Integer id = vocab.get(special);
            if (id != null && added.stream().noneMatch(t -> t.content().equals(special))) {
                added.add(AddedToken.special(special, id));
            }
        }
        JsonNode decoderTable = config == null ? null : config.path("added_tokens_decoder");
        if (decoderTable != null && decoderTable.isObject()) added = addedTokensDecoderOf(decoderTable, added, at);

        WordPieceTokenizer wordPiece = new WordPieceTokenizer(vocab, lines.toArray(new String[0]), unk,
                WordPieceTokenizer.DEFAULT_CONTINUATION_PREFIX, WordPieceTokenizer.DEFAULT_MAX_INPUT_CHARS_PER_WORD,
                normalizer, added, true, where);
        Integer clsId = vocab.get(cls);
        Integer sepId = vocab.get(sep);
        if (clsId == null || sepId == null) {
            throw new TokenizerFormatException(String.format("%s: the vocabulary has no %s token, which BERT puts "
                    + "around every text", where, ByteLevelBpeTokenizer.quote(clsId == null ? cls : sep)));
        }
        Truncation truncation = null;
        if (config != null && config.path("model_max_length").isNumber()) {
            double maxLength = config.path("model_max_length").asDouble();
            if (maxLength < NO_MAX_LENGTH) truncation = Truncation.longestFirst((int) maxLength);
        }
        return new BertTokenizer(wordPiece, Template.bert(cls, clsId, sep, sepId), truncation, null, pad,
                vocab.getOrDefault(pad, -1), 0);
    }

    /** transformers' {@code "added_tokens_decoder": {"0": {"content": "[PAD]", "special": true, ...}, ...}}. */
    private static List<AddedToken> addedTokensDecoderOf(JsonNode table, List<AddedToken> defaults, String where) {
        Map<String, AddedToken> byContent = new LinkedHashMap<>();
        for (AddedToken token : defaults) byContent.put(token.content(), token);
        for (Iterator<Map.Entry<String, JsonNode>> it = table.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode token = entry.getValue();
            int id;
            try {
                id = Integer.parseInt(entry.getKey());
            } catch (NumberFormatException e) {
                throw new TokenizerFormatException(where + ": added_tokens_decoder key " + entry.getKey()
                        + " is not a token id");
            }
            if (!token.path("content").isTextual()) {
                throw new TokenizerFormatException(where + ": added_tokens_decoder." + entry.getKey() + " is " + token
                        + ", expected an object with a \"content\" string");
            }
            if (token.path("single_word").asBoolean(false)) {
                throw new TokenizerFormatException(String.format("%s: added token %s has single_word true, which is "
                        + "not supported", where, ByteLevelBpeTokenizer.quote(token.get("content").asText())));
            }
            boolean special = token.path("special").asBoolean(false);
            String content = token.get("content").asText();
            byContent.put(content, new AddedToken(content, id, special, token.path("normalized").asBoolean(!special)));
        }
        return new ArrayList<>(byContent.values());
    }

    /** A special token setting: a string, or an AddedToken object with a {@code content}. */
    private static String specialTokenOf(JsonNode config, String field, String fallback, String where) {
        if (config == null) return fallback;
        JsonNode value = config.path(field);
        if (value.isMissingNode() || value.isNull()) return fallback;
        if (value.isTextual()) return value.asText();
        if (value.isObject() && value.path("content").isTextual()) return value.get("content").asText();
        throw new TokenizerFormatException(String.format("%s: %s is %s, expected a string or {\"content\": ...}",
                where, field, value));
    }

    /** Rust's {@code str::trim_end}: trailing Unicode White_Space, which includes a CR left by CRLF line ends. */
    private static String trimEnd(String line) {
        int end = line.length();
        while (end > 0 && BertNormalizer.isWhitespace(line.charAt(end - 1))) end--;
        return line.substring(0, end);
    }

    // ---------------------------------------------------------------------------------------------- JSON fields

    private static String textOr(JsonNode node, String field, String fallback, String where) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) return fallback;
        if (!value.isTextual()) {
            throw new TokenizerFormatException(where + "." + field + " is " + value + ", expected a string");
        }
        return value.asText();
    }

    private static int intOr(JsonNode node, String field, int fallback, String where) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) return fallback;
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new TokenizerFormatException(where + "." + field + " is " + value + ", expected an integer");
        }
        return value.intValue();
    }

    private static boolean booleanOr(JsonNode node, String field, boolean fallback, String where) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) return fallback;
        return booleanOf(node, field, where);
    }

    private static boolean booleanOf(JsonNode node, String field, String where) {
        JsonNode value = node.path(field);
        if (!value.isBoolean()) {
            throw new TokenizerFormatException(where + "." + field + " is " + value + ", expected true or false");
        }
        return value.booleanValue();
    }
}
