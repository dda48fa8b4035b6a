package io.carpathia.models.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading vocab.json + merges.txt and tokenizer.json, and refusing what cannot be read or is not supported. */
class ByteLevelBpeTokenizerFilesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SAMPLES = List.of("Hello world", "  don't\n\n\tstop 123 😀 café",
            "Привет, мир! 你好", "text<|endoftext|>more", "");

    @TempDir
    Path dir;

    @Test
    void readsTokenizerJsonWithMergesAsStrings() throws IOException {
        assertSameAsVocabAndMerges(ByteLevelBpeTokenizer.fromTokenizerJson(writeGpt2TokenizerJson(false, t -> {})));
    }

    @Test
    void readsTokenizerJsonWithMergesAsPairs() throws IOException {
        assertSameAsVocabAndMerges(ByteLevelBpeTokenizer.fromTokenizerJson(writeGpt2TokenizerJson(true, t -> {})));
    }

    @Test
    void readsAModelFolderEitherWay() throws IOException {
        Files.copy(Gpt2TestFiles.vocabJson(), dir.resolve("vocab.json"));
        Files.copy(Gpt2TestFiles.mergesTxt(), dir.resolve("merges.txt"));
        assertSameAsVocabAndMerges(ByteLevelBpeTokenizer.fromDirectory(dir));
        writeGpt2TokenizerJson(true, t -> {});
        assertSameAsVocabAndMerges(ByteLevelBpeTokenizer.fromDirectory(dir));
    }

    @Test
    void addPrefixSpaceEncodesTheFirstWordLikeAnyOther() throws IOException {
        ByteLevelBpeTokenizer plain = ByteLevelBpeTokenizer.fromTokenizerJson(writeToyTokenizerJson(t -> {}));
        ByteLevelBpeTokenizer prefixed = ByteLevelBpeTokenizer.fromTokenizerJson(writeToyTokenizerJson(
                t -> ((ObjectNode) t.get("pre_tokenizer")).put("add_prefix_space", true)));
        assertArrayEquals(new int[] {259}, plain.encode("Hello")); // "Hello"
        assertArrayEquals(new int[] {260}, plain.encode(" Hello")); // "ĠHello"
        assertArrayEquals(new int[] {260}, prefixed.encode("Hello"));
        assertArrayEquals(new int[] {260}, prefixed.encode(" Hello"));
        // The space goes before each stretch of text between added tokens.
        assertArrayEquals(new int[] {260, 261, 260}, prefixed.encode("Hello<|endoftext|>Hello", true));
        assertArrayEquals(new int[] {259, 261, 259}, plain.encode("Hello<|endoftext|>Hello", true));
    }

    @Test
    void refusesMissingFiles() {
        var e = assertThrows(NoSuchFileException.class,
                () -> ByteLevelBpeTokenizer.fromFiles(dir.resolve("vocab.json"), Gpt2TestFiles.mergesTxt()));
        assertTrue(e.getMessage().contains("vocab.json") && e.getMessage().contains("not found"), e.getMessage());
        e = assertThrows(NoSuchFileException.class, () -> ByteLevelBpeTokenizer.fromDirectory(dir));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }

    @Test
    void refusesABadMergeLine() throws IOException {
        Path merges = dir.resolve("merges.txt");
        Files.writeString(merges, "#version: 0.2\nĠ t\nĠ a b\n", StandardCharsets.UTF_8);
        var e = assertThrows(TokenizerFormatException.class,
                () -> ByteLevelBpeTokenizer.fromFiles(Gpt2TestFiles.vocabJson(), merges));
        assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("Ġ a b"), e.getMessage());
    }

    @Test
    void refusesAMergeOfUnknownTokens() throws IOException {
        Path merges = dir.resolve("merges.txt");
        Files.writeString(merges, "#version: 0.2\nĠ t\nzzq xyzzy\n", StandardCharsets.UTF_8);
        var e = assertThrows(TokenizerFormatException.class,
                () -> ByteLevelBpeTokenizer.fromFiles(Gpt2TestFiles.vocabJson(), merges));
        assertTrue(e.getMessage().contains("merge rule 2") && e.getMessage().contains("\"zzq\""), e.getMessage());
    }

    @Test
    void refusesAVocabularyWithoutEveryByte() throws IOException {
        Path vocab = dir.resolve("vocab.json");
        Files.writeString(vocab, "{\"a\": 0, \"b\": 1}");
        Path merges = dir.resolve("merges.txt");
        Files.writeString(merges, "#version: 0.2\n");
        var e = assertThrows(TokenizerFormatException.class, () -> ByteLevelBpeTokenizer.fromFiles(vocab, merges));
        assertTrue(e.getMessage().contains("byte 0x00"), e.getMessage());
    }

    @Test
    void refusesBrokenOrMistypedVocabularies() throws IOException {
        Path merges = dir.resolve("merges.txt");
        Files.writeString(merges, "#version: 0.2\n");
        Path vocab = dir.resolve("vocab.json");

        Files.writeString(vocab, "{\"a\": 0,");
        var e = assertThrows(TokenizerFormatException.class, () -> ByteLevelBpeTokenizer.fromFiles(vocab, merges));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());

        Files.writeString(vocab, "{\"a\": \"zero\"}");
        e = assertThrows(TokenizerFormatException.class, () -> ByteLevelBpeTokenizer.fromFiles(vocab, merges));
        assertTrue(e.getMessage().contains("\"a\"") && e.getMessage().contains("expected an integer"), e.getMessage());

        Files.writeString(vocab, "{\"a\": 0, \"b\": 0}");
        e = assertThrows(TokenizerFormatException.class, () -> ByteLevelBpeTokenizer.fromFiles(vocab, merges));
        assertTrue(e.getMessage().contains("both have id 0"), e.getMessage());

        Files.writeString(vocab, "{\"a\": 2000000000}"); // would need 16 GB of tables
        e = assertThrows(TokenizerFormatException.class, () -> ByteLevelBpeTokenizer.fromFiles(vocab, merges));
        assertTrue(e.getMessage().contains("2000000000") && e.getMessage().contains("far beyond"), e.getMessage());

        Files.writeString(vocab, "{\"a\": -1}");
        e = assertThrows(TokenizerFormatException.class, () -> ByteLevelBpeTokenizer.fromFiles(vocab, merges));
        assertTrue(e.getMessage().contains("negative id -1"), e.getMessage());

        Files.writeString(vocab, "[1, 2]");
        e = assertThrows(TokenizerFormatException.class, () -> ByteLevelBpeTokenizer.fromFiles(vocab, merges));
        assertTrue(e.getMessage().contains("expected a JSON object"), e.getMessage());
    }

    @Test
    void refusesTokenizerJsonSettingsItDoesNotImplement() throws IOException {
        assertRefused(t -> ((ObjectNode) t.get("model")).put("type", "WordPiece"), "model type is WordPiece");
        assertRefused(t -> ((ObjectNode) t.get("model")).put("dropout", 0.1), "dropout");
        assertRefused(t -> ((ObjectNode) t.get("model")).put("continuing_subword_prefix", "##"),
                "continuing_subword_prefix");
        assertRefused(t -> t.putObject("normalizer").put("type", "NFC"), "normalizer NFC");
        assertRefused(t -> t.putObject("pre_tokenizer").put("type", "Whitespace"), "pre_tokenizer is Whitespace");
        assertRefused(t -> ((ObjectNode) t.get("pre_tokenizer")).put("use_regex", false), "use_regex");
        assertRefused(t -> ((ObjectNode) t.get("added_tokens").get(0)).put("single_word", true), "single_word");
        assertRefused(t -> ((ObjectNode) t.get("added_tokens").get(0)).put("id", 7), "added token");
        assertRefused(t -> ((ArrayNode) t.get("model").get("merges")).add(JSON.createArrayNode().add("Ġ")),
                "model.merges[5]");
    }

    private void assertRefused(Consumer<ObjectNode> edit, String expectedInMessage) throws IOException {
        Path file = writeToyTokenizerJson(edit);
        var e = assertThrows(TokenizerFormatException.class, () -> ByteLevelBpeTokenizer.fromTokenizerJson(file));
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    private static void assertSameAsVocabAndMerges(ByteLevelBpeTokenizer loaded) {
        ByteLevelBpeTokenizer reference = Gpt2TestFiles.tokenizer();
        assertEquals(reference.vocabSize(), loaded.vocabSize());
        assertEquals(reference.eosTokenId(), loaded.eosTokenId());
        for (String text : SAMPLES) {
            assertArrayEquals(reference.encode(text), loaded.encode(text), text);
            assertArrayEquals(reference.encode(text, true), loaded.encode(text, true), text);
        }
    }

    /** GPT-2's tokenizer.json as Hugging Face's tokenizers write it, built from the test vocab and merges. */
    private Path writeGpt2TokenizerJson(boolean mergesAsPairs, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = tokenizerJsonSkeleton(50256);
        ObjectNode model = (ObjectNode) root.get("model");
        model.set("vocab", JSON.readTree(Gpt2TestFiles.vocabJson().toFile()));
        ArrayNode merges = model.putArray("merges");
        for (String line : Files.readAllLines(Gpt2TestFiles.mergesTxt(), StandardCharsets.UTF_8)) {
            if (line.startsWith("#version") || line.isEmpty()) continue;
            String[] parts = line.split(" ");
            if (mergesAsPairs) merges.addArray().add(parts[0]).add(parts[1]);
            else merges.add(line);
        }
        return write(root, edit);
    }

    /**
     * A small byte-level tokenizer.json: the 256 byte characters with ids in byte order, then "He" 256, "ll" 257,
     * "llo" 258, "Hello" 259, "ĠHello" 260 by five merges, and the added token {@code <|endoftext|>} 261.
     */
    private Path writeToyTokenizerJson(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = tokenizerJsonSkeleton(261);
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), b);
        String[][] merges = {{"H", "e"}, {"l", "l"}, {"ll", "o"}, {"He", "llo"}, {"Ġ", "Hello"}};
        ArrayNode mergeArray = model.putArray("merges");
        for (String[] merge : merges) {
            vocab.put(merge[0] + merge[1], vocab.size());
            mergeArray.add(merge[0] + " " + merge[1]);
        }
        vocab.put("<|endoftext|>", 261);
        return write(root, edit);
    }

    private Path write(ObjectNode root, Consumer<ObjectNode> edit) throws IOException {
        edit.accept(root);
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    /** Everything but the vocabulary and merges, with GPT-2's settings. */
    private static ObjectNode tokenizerJsonSkeleton(int endOfTextId) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.putArray("added_tokens").addObject()
                .put("id", endOfTextId).put("content", "<|endoftext|>").put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", true).put("special", true);
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", true)
                .put("trim_offsets", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true)
                .put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").put("continuing_subword_prefix", "")
                .put("end_of_word_suffix", "").put("fuse_unk", false).put("byte_fallback", false)
                .put("ignore_merges", false);
        return root;
    }
}
