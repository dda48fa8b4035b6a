package io.carpathia.test.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.models.tokenizers.BertBatch;
import io.carpathia.models.tokenizers.BertEncoding;
import io.carpathia.models.tokenizers.BertTokenizer;
import io.carpathia.models.tokenizers.BertTokenizer.Padding;
import io.carpathia.models.tokenizers.BertTokenizer.Truncation;
import io.carpathia.models.tokenizers.BertTokenizer.TruncationStrategy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WordPiece tokenizer on all-MiniLM-L6-v2's real {@code tokenizer.json} (from the langchain4j Maven artifact)
 * against Hugging Face tokenizers' own ids: the 12 sentences and the padded batch of
 * {@code fixtures/minilm-reference/reference.json} (tokenizers 0.21), and the tricky texts, pairs and batch of
 * {@code fixtures/minilm-tokenizer/cases.json} (tokenizers 0.22.2). Ids must match exactly.
 */
class MiniLmTokenizerTest {
    private static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    static BertTokenizer tokenizer;
    static JsonNode reference;
    static JsonNode cases;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = resource(TOKENIZER_RESOURCE)) {
            tokenizer = BertTokenizer.fromTokenizerJson(in, "classpath:" + TOKENIZER_RESOURCE);
        }
        try (InputStream in = resource("/fixtures/minilm-reference/reference.json")) {
            reference = JSON.readTree(in);
        }
        try (InputStream in = resource("/fixtures/minilm-tokenizer/cases.json")) {
            cases = JSON.readTree(in);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = MiniLmTokenizerTest.class.getResourceAsStream(name);
        assertNotNull(in, () -> name + " is not on the test class path");
        return in;
    }

    @Test
    void readsTheFileSettings() {
        assertEquals(30522, tokenizer.vocabSize());
        assertEquals(Truncation.longestFirst(128), tokenizer.truncation().orElseThrow());
        assertEquals(Padding.fixed(128), tokenizer.configuredPadding().orElseThrow());
        assertEquals(0, tokenizer.padTokenId());
        assertEquals(100, tokenizer.wordPiece().unkTokenId());
        assertEquals(2, tokenizer.specialTokenCount(false));
        assertEquals(3, tokenizer.specialTokenCount(true));
    }

    @Test
    void referenceSentencesGiveHuggingFaceIds() {
        JsonNode sentences = reference.get("sentences");
        assertEquals(12, sentences.size());
        for (JsonNode sentence : sentences) {
            String text = sentence.get("text").asText();
            BertEncoding encoding = tokenizer.encode(text);
            assertArrayEquals(ints(sentence.get("input_ids")), encoding.inputIds(), () -> "input_ids of " + text);
            assertEquals(strings(sentence.get("tokens")), encoding.tokens(), () -> "tokens of " + text);
            assertArrayEquals(ints(sentence.get("attention_mask")), encoding.attentionMask(), () -> "mask of " + text);
            assertArrayEquals(ints(sentence.get("token_type_ids")), encoding.tokenTypeIds(), () -> "types of " + text);
            assertEquals(0, encoding.truncatedTokens(), () -> text);
        }
    }

    @Test
    void referencePaddedBatchGivesHuggingFaceInputs() {
        JsonNode batch = reference.get("padded_batch");
        List<String> texts = new ArrayList<>();
        for (JsonNode index : batch.get("sentence_indices")) {
            texts.add(reference.get("sentences").get(index.asInt()).get("text").asText());
        }
        BertBatch encoded = tokenizer.encodeBatch(texts);
        assertEquals(batch.get("shape").get(0).asInt(), encoded.batchSize());
        assertEquals(batch.get("shape").get(1).asInt(), encoded.sequenceLength());
        assertArrayEquals(intRows(batch.get("input_ids")), encoded.inputIds());
        assertArrayEquals(intRows(batch.get("attention_mask")), encoded.attentionMask());
        assertArrayEquals(intRows(batch.get("token_type_ids")), encoded.tokenTypeIds());
        assertArrayEquals(new int[] {5, 57, 21, 8}, encoded.lengths());
    }

    @Test
    void trickyTextsGiveHuggingFaceIdsTokensAndDecodings() {
        JsonNode singles = cases.get("singles");
        assertEquals(39, singles.size());
        for (JsonNode single : singles) {
            String text = single.get("text").asText();
            BertEncoding encoding = tokenizer.encode(text);
            int[] expected = ints(single.get("ids"));
            assertArrayEquals(expected, encoding.inputIds(), () -> "ids of " + JSON.valueToTree(text));
            assertEquals(strings(single.get("tokens")), encoding.tokens(), () -> "tokens of " + JSON.valueToTree(text));
            assertEquals(single.get("truncatedTokens").asInt(), encoding.truncatedTokens(), () -> "cut from " + text);
            assertEquals(single.get("decoded").asText(), tokenizer.decode(expected, false), () -> "decode of " + text);
            assertEquals(single.get("decodedSkippingSpecial").asText(), tokenizer.decode(expected, true),
                    () -> "decode without special tokens of " + text);
        }
    }

    @Test
    void pairsGiveHuggingFaceIdsAndTokenTypesUnderEveryTruncationStrategy() {
        for (JsonNode pair : cases.get("pairs")) {
            TruncationStrategy strategy = switch (pair.get("strategy").asText()) {
                case "LongestFirst" -> TruncationStrategy.LONGEST_FIRST;
                case "OnlyFirst" -> TruncationStrategy.ONLY_FIRST;
                case "OnlySecond" -> TruncationStrategy.ONLY_SECOND;
                default -> throw new AssertionError(pair);
            };
            BertTokenizer truncating = tokenizer.withTruncation(new Truncation(pair.get("maxLength").asInt(), strategy));
            BertEncoding encoding = truncating.encodePair(pair.get("first").asText(), pair.get("second").asText());
            assertArrayEquals(ints(pair.get("ids")), encoding.inputIds(), () -> "ids of " + pair);
            assertArrayEquals(ints(pair.get("typeIds")), encoding.tokenTypeIds(), () -> "types of " + pair);
            assertEquals(strings(pair.get("tokens")), encoding.tokens(), () -> "tokens of " + pair);
        }
    }

    @Test
    void batchOfTrickyTextsGivesHuggingFacePadding() {
        JsonNode batch = cases.get("batch");
        BertBatch encoded = tokenizer.encodeBatch(strings(batch.get("texts")));
        assertArrayEquals(intRows(batch.get("ids")), encoded.inputIds());
        assertArrayEquals(intRows(batch.get("attentionMask")), encoded.attentionMask());
        assertArrayEquals(intRows(batch.get("typeIds")), encoded.tokenTypeIds());
    }

    @Test
    void loadsTheSameTokenizerFromAModelFolder(@TempDir Path folder) throws IOException {
        try (InputStream in = resource(TOKENIZER_RESOURCE)) {
            Files.copy(in, folder.resolve("tokenizer.json"));
        }
        BertTokenizer fromFolder = BertTokenizer.fromDirectory(folder);
        for (JsonNode sentence : reference.get("sentences")) {
            String text = sentence.get("text").asText();
            assertEquals(tokenizer.encode(text), fromFolder.encode(text), text);
        }
    }

    private static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) values[i] = array.get(i).asInt();
        return values;
    }

    private static int[][] intRows(JsonNode rows) {
        int[][] values = new int[rows.size()][];
        for (int i = 0; i < values.length; i++) values[i] = ints(rows.get(i));
        return values;
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        for (JsonNode value : array) values.add(value.asText());
        return values;
    }
}
