package io.carpathia.models.tokenizers;

import static io.carpathia.models.tokenizers.WordPieceTestVocab.ids;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carpathia.models.tokenizers.BertTokenizer.Padding;
import io.carpathia.models.tokenizers.BertTokenizer.Truncation;
import io.carpathia.models.tokenizers.BertTokenizer.TruncationStrategy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading from vocab.txt (+ tokenizer_config.json) and from tokenizer.json, and refusing what is not supported. */
class BertTokenizerFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    // ---------------------------------------------------------------------------------------------- vocab.txt

    private Path writeVocabTxt(String lineEnd) throws IOException {
        Path vocab = dir.resolve("vocab.txt");
        Files.writeString(vocab, String.join(lineEnd, WordPieceTestVocab.TOKENS) + lineEnd, StandardCharsets.UTF_8);
        return vocab;
    }

    @Test
    void vocabTxtAloneIsUncasedBertWithClsSep() throws IOException {
        BertTokenizer bert = BertTokenizer.fromVocabTxt(writeVocabTxt("\n"));
        assertEquals(WordPieceTestVocab.TOKENS.size(), bert.vocabSize());
        assertArrayEquals(ids("[CLS]", "cafe", "hello", "[MASK]", "[SEP]"), bert.encode("Café HELLO [MASK]").inputIds());
        assertArrayEquals(ids("[CLS]", "a", "[SEP]", "b", "[SEP]"), bert.encodePair("a", "b").inputIds());
        assertEquals(0, bert.padTokenId());
        assertTrue(bert.truncation().isEmpty());
        assertTrue(bert.configuredPadding().isEmpty());
        assertEquals("hello", bert.decode(ids("[CLS]", "hello", "[SEP]"), true));
    }

    @Test
    void vocabTxtLinesLoseTheirLineEndsAndTrailingWhiteSpace() throws IOException {
        BertTokenizer crlf = BertTokenizer.fromVocabTxt(writeVocabTxt("\r\n"));
        assertArrayEquals(ids("[CLS]", "hello", "[SEP]"), crlf.encode("hello").inputIds());
        Path padded = dir.resolve("padded.txt");
        Files.writeString(padded, "[UNK]\n[CLS]\n[SEP]\nhello  \nworld\t", StandardCharsets.UTF_8);
        BertTokenizer trimmed = BertTokenizer.fromVocabTxt(padded);
        assertArrayEquals(new int[] {1, 3, 4, 2}, trimmed.encode("hello world").inputIds());
        assertEquals(5, trimmed.vocabSize());
        assertThrows(IllegalStateException.class, trimmed::padTokenId); // no [PAD] line
    }

    @Test
    void tokenizerConfigSetsCaseAccentsChineseCharsMaxLengthAndSpecialTokens() throws IOException {
        Path vocab = writeVocabTxt("\n");
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, """
                {"do_lower_case": false, "tokenize_chinese_chars": false, "model_max_length": 5,
                 "unk_token": {"content": "[UNK]", "__type": "AddedToken"}, "cls_token": "[CLS]"}""");
        BertTokenizer cased = BertTokenizer.fromVocabTxt(vocab, config);
        assertArrayEquals(ids("[CLS]", "café", "Hello", "[UNK]", "[SEP]"), cased.encode("café Hello 北京").inputIds());
        assertEquals(Truncation.longestFirst(5), cased.truncation().orElseThrow());
        assertEquals(2, cased.encode("a b c d e f").inputIds().length - 3);

        Files.writeString(config, """
                {"do_lower_case": true, "strip_accents": false, "model_max_length": 1000000000000000019884624838656}""");
        BertTokenizer keepAccents = BertTokenizer.fromVocabTxt(vocab, config);
        assertArrayEquals(ids("[CLS]", "café", "[SEP]"), keepAccents.encode("CAFÉ").inputIds());
        assertTrue(keepAccents.truncation().isEmpty()); // transformers' "no maximum"
    }

    @Test
    void addedTokensDecoderOfTokenizerConfigIsRead() throws IOException {
        Path vocab = writeVocabTxt("\n");
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, """
                {"added_tokens_decoder": {"70": {"content": "mask", "special": true, "normalized": false}}}""");
        BertTokenizer bert = BertTokenizer.fromVocabTxt(vocab, config);
        assertTrue(bert.wordPiece().isSpecial(70));
        assertEquals("hello", bert.decode(ids("hello", "mask"), true));
    }

    @Test
    void vocabTxtWithoutClsOrUnkIsRefused() throws IOException {
        Path vocab = dir.resolve("vocab.txt");
        Files.writeString(vocab, "[UNK]\nhello\n");
        var e = assertThrows(TokenizerFormatException.class, () -> BertTokenizer.fromVocabTxt(vocab));
        assertTrue(e.getMessage().contains("[CLS]") && e.getMessage().contains("vocab.txt"), e.getMessage());
        Files.writeString(vocab, "[CLS]\n[SEP]\nhello\n");
        e = assertThrows(TokenizerFormatException.class, () -> BertTokenizer.fromVocabTxt(vocab));
        assertTrue(e.getMessage().contains("[UNK]"), e.getMessage());
        Files.writeString(vocab, "");
        assertThrows(TokenizerFormatException.class, () -> BertTokenizer.fromVocabTxt(vocab));
    }

    // ---------------------------------------------------------------------------------------------- tokenizer.json

    /** A tokenizer.json for the test vocabulary, as Hugging Face writes one for BERT. */
    private static ObjectNode tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < 5; id++) {
            added.addObject().put("id", id).put("content", WordPieceTestVocab.TOKENS.get(id)).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true)
                .put("handle_chinese_chars", true).putNull("strip_accents").put("lowercase", true);
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "BertProcessing");
        post.putArray("sep").add("[SEP]").add(3);
        post.putArray("cls").add("[CLS]").add(2);
        root.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece").put("unk_token", "[UNK]").put("continuing_subword_prefix", "##")
                .put("max_input_chars_per_word", 100);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < WordPieceTestVocab.TOKENS.size(); id++) vocab.put(WordPieceTestVocab.TOKENS.get(id), id);
        return root;
    }

    private Path write(ObjectNode root) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    private BertTokenizer load(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = tokenizerJson();
        edit.accept(root);
        return BertTokenizer.fromTokenizerJson(write(root));
    }

    @Test
    void tokenizerJsonWithBertProcessing() throws IOException {
        BertTokenizer bert = load(root -> {});
        assertArrayEquals(ids("[CLS]", "cafe", "[MASK]", "[SEP]", "b", "[SEP]"), bert.encodePair("Café[MASK]", "b").inputIds());
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1}, bert.encodePair("Café[MASK]", "b").tokenTypeIds());
        assertTrue(bert.truncation().isEmpty());
    }

    @Test
    void tokenizerJsonFromAStreamNamesItsSource() throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(tokenizerJson());
        BertTokenizer bert = BertTokenizer.fromTokenizerJson(new ByteArrayInputStream(bytes), "jar:tokenizer.json");
        assertArrayEquals(ids("[CLS]", "hello", "[SEP]"), bert.encode("hello").inputIds());
        var e = assertThrows(TokenizerFormatException.class, () -> BertTokenizer.fromTokenizerJson(
                new ByteArrayInputStream("{\"model\": ".getBytes(StandardCharsets.UTF_8)), "jar:broken.json"));
        assertTrue(e.getMessage().startsWith("jar:broken.json: not valid JSON"), e.getMessage());
    }

    @Test
    void templateProcessingWithTruncationAndPadding() throws IOException {
        BertTokenizer bert = load(root -> {
            ObjectNode post = root.putObject("post_processor");
            post.put("type", "TemplateProcessing");
            ArrayNode single = post.putArray("single");
            single.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
            single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            single.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
            ArrayNode pair = post.putArray("pair");
            pair.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
            pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
            pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
            pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 1);
            ObjectNode specials = post.putObject("special_tokens");
            // A special token may stand for several ids: here [CLS] is written twice.
            ObjectNode cls = specials.putObject("[CLS]");
            cls.put("id", "[CLS]");
            cls.putArray("ids").add(2).add(2);
            cls.putArray("tokens").add("[CLS]").add("[CLS]");
            ObjectNode sep = specials.putObject("[SEP]");
            sep.put("id", "[SEP]");
            sep.putArray("ids").add(3);
            sep.putArray("tokens").add("[SEP]");
            root.putObject("truncation").put("direction", "Right").put("max_length", 6).put("strategy", "OnlyFirst")
                    .put("stride", 0);
            ObjectNode padding = root.putObject("padding");
            padding.put("strategy", "BatchLongest").put("direction", "Right").put("pad_to_multiple_of", 8)
                    .put("pad_id", 0).put("pad_type_id", 1).put("pad_token", "[PAD]");
        });
        assertEquals(3, bert.specialTokenCount(false));
        assertEquals(4, bert.specialTokenCount(true));
        assertEquals(new Truncation(6, TruncationStrategy.ONLY_FIRST), bert.truncation().orElseThrow());
        assertEquals(Padding.longest().toMultipleOf(8), bert.configuredPadding().orElseThrow());
        BertEncoding one = bert.encode("a b c d");
        assertArrayEquals(ids("[CLS]", "[CLS]", "a", "b", "c", "[SEP]"), one.inputIds());
        assertEquals(1, one.truncatedTokens());
        BertBatch batch = bert.encodeBatch(List.of("a"), bert.configuredPadding().orElseThrow());
        assertEquals(8, batch.sequenceLength());
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 1}, batch.tokenTypeIds()[0]); // pad_type_id 1
    }

    @Test
    void noPostProcessorAddsNoSpecialTokensAndNoNormalizerKeepsTheText() throws IOException {
        BertTokenizer plain = load(root -> {
            root.putNull("post_processor");
            root.putNull("normalizer");
            root.putObject("padding").put("strategy", "BatchLongest");
        });
        BertEncoding pair = plain.encodePair("Hello", "hello");
        assertArrayEquals(ids("Hello", "hello"), pair.inputIds());
        assertArrayEquals(new int[] {0, 1}, pair.tokenTypeIds());
        assertEquals(0, plain.padTokenId()); // from the vocabulary when the padding section names no id
        assertEquals(Padding.longest(), plain.configuredPadding().orElseThrow());
    }

    @Test
    void modelSettingsAreRead() throws IOException {
        BertTokenizer short3 = load(root -> ((ObjectNode) root.get("model")).put("max_input_chars_per_word", 3));
        assertArrayEquals(ids("[CLS]", "aa", "##a", "[UNK]", "[SEP]"), short3.encode("aaa aaaa").inputIds());
        BertTokenizer cased = load(root -> ((ObjectNode) root.get("normalizer")).put("lowercase", false));
        assertArrayEquals(ids("[CLS]", "Hello", "café", "[SEP]"), cased.encode("Hello café").inputIds());
        BertTokenizer strip = load(root -> ((ObjectNode) root.get("normalizer")).put("lowercase", false)
                .put("strip_accents", true));
        assertArrayEquals(ids("[CLS]", "Hello", "cafe", "[SEP]"), strip.encode("Hello café").inputIds());
    }

    @Test
    void aFolderWithTokenizerJsonPrefersItToVocabTxt() throws IOException {
        writeVocabTxt("\n");
        assertTrue(BertTokenizer.fromDirectory(dir).truncation().isEmpty());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 7}");
        assertEquals(7, BertTokenizer.fromDirectory(dir).truncation().orElseThrow().maxLength());
        write(tokenizerJson());
        assertTrue(BertTokenizer.fromDirectory(dir).truncation().isEmpty()); // tokenizer.json has truncation null
        assertEquals(WordPieceTestVocab.TOKENS.size(), WordPieceTokenizer.fromDirectory(dir).vocabSize());
    }

    @Test
    void aFolderWithNoTokenizerSaysWhatIsMissing() {
        var e = assertThrows(NoSuchFileException.class, () -> BertTokenizer.fromDirectory(dir));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("vocab.txt"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> BertTokenizer.fromTokenizerJson(dir.resolve("tokenizer.json")));
        assertThrows(NoSuchFileException.class, () -> BertTokenizer.fromVocabTxt(dir.resolve("vocab.txt")));
    }

    @Test
    void unsupportedComponentsAreRefusedNamingFileAndComponent() throws IOException {
        assertRefused(root -> ((ObjectNode) root.get("model")).put("type", "BPE"), "model type is BPE");
        assertRefused(root -> root.putObject("normalizer").put("type", "Sequence"), "normalizer Sequence");
        assertRefused(root -> root.putObject("pre_tokenizer").put("type", "Whitespace"), "pre_tokenizer is Whitespace");
        assertRefused(root -> root.putNull("pre_tokenizer"), "pre_tokenizer is null");
        assertRefused(root -> root.putObject("post_processor").put("type", "RobertaProcessing"),
                "post_processor RobertaProcessing");
        assertRefused(root -> root.putObject("decoder").put("type", "ByteLevel"), "decoder ByteLevel");
        assertRefused(root -> root.putObject("truncation").put("max_length", 8).put("direction", "Left"),
                "truncation.direction is Left");
        assertRefused(root -> root.putObject("truncation").put("max_length", 8).put("strategy", "Sideways"),
                "truncation.strategy is Sideways");
        assertRefused(root -> root.putObject("padding").put("strategy", "BatchLongest").put("direction", "Left"),
                "padding.direction is Left");
        assertRefused(root -> root.putObject("padding").put("strategy", "Everything"), "padding.strategy");
        assertRefused(root -> ((ObjectNode) root.get("added_tokens").get(4)).put("single_word", true), "single_word");
        assertRefused(root -> ((ObjectNode) root.get("model")).put("unk_token", "<unk>"), "<unk>");
        assertRefused(root -> ((ObjectNode) root.get("model")).put("max_input_chars_per_word", "many"),
                "model.max_input_chars_per_word");
        assertRefused(root -> ((ObjectNode) root.get("normalizer")).put("lowercase", "yes"), "normalizer.lowercase");
        assertRefused(root -> ((ObjectNode) root.get("decoder")).put("prefix", "@@"), "decoder.prefix");
        assertRefused(root -> ((ObjectNode) root.get("model")).put("vocab", "none"), "model.vocab");
        assertRefused(root -> root.putObject("post_processor").put("type", "TemplateProcessing")
                .putArray("single").addObject().putObject("SpecialToken").put("id", "<s>"), "<s>");
    }

    private void assertRefused(Consumer<ObjectNode> edit, String expected) {
        var e = assertThrows(TokenizerFormatException.class, () -> load(edit));
        assertTrue(e.getMessage().contains(expected), () -> "expected \"" + expected + "\" in: " + e.getMessage());
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }
}
