package io.carpathia.weights.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.weights.safetensors.SafetensorsWriter;
import io.carpathia.weights.safetensors.ShardedSafetensorsReader;
import io.carpathia.weights.safetensors.TensorSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class HfCheckpointTest {
    @TempDir
    Path dir;

    private Path copyFixture(String fixture, String... files) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(fixture));
        for (String f : files) {
            try (InputStream in = getClass().getClassLoader().getResourceAsStream("fixtures/" + fixture + "/" + f)) {
                Files.copy(in, folder.resolve(f));
            }
        }
        return folder;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void gpt2TinyFolder() throws IOException {
        Path folder = copyFixture("gpt2-tiny", "config.json", "model.safetensors");
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder)) {
            assertEquals(HfCheckpoint.WeightsLayout.SINGLE_FILE, ckpt.weightsLayout());
            assertEquals(Optional.of("gpt2"), ckpt.modelType());
            Gpt2Config c = ckpt.gpt2Config();
            assertEquals(1000, c.vocabSize());
            assertEquals(64, c.nPositions());
            assertEquals(48, c.nEmbd());
            assertEquals(3, c.nLayer());
            assertEquals(4, c.nHead());
            assertNull(c.nInner());
            assertEquals(192, c.innerSize());
            assertEquals(12, c.headSize());
            assertEquals("gelu_new", c.activationFunction());
            assertEquals(1e-5, c.layerNormEpsilon());
            assertEquals(0.0, c.residPdrop());
            assertTrue(c.tieWordEmbeddings());
            assertEquals(999, c.bosTokenId());
            INDArray wte = ckpt.weights().read("transformer.wte.weight");
            assertArrayEquals(new long[] {1000, 48}, wte.shape());
            assertEquals(List.of(folder.resolve("model.safetensors")), ckpt.weightFiles());
            assertEquals(TokenizerFiles.Kind.NONE, ckpt.tokenizer().kind());
        }
    }

    @Test
    void vitTinyFolder() throws IOException {
        Path folder = copyFixture("vit-tiny", "config.json", "model.safetensors");
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder)) {
            VitConfig c = ckpt.vitConfig();
            assertEquals(48, c.hiddenSize());
            assertEquals(2, c.numHiddenLayers());
            assertEquals(4, c.numAttentionHeads());
            assertEquals(192, c.intermediateSize());
            assertEquals(32, c.imageSize());
            assertEquals(8, c.patchSize());
            assertEquals(16, c.numPatches());
            assertEquals(1e-6, c.layerNormEps(), "the fixture's value, not HF's default 1e-12");
            assertEquals(10, c.numLabels());
            assertEquals("LABEL_3", c.id2label().get(3));
            assertEquals("gelu", c.hiddenAct());
            assertTrue(c.qkvBias());
            // cls, positions, patch projection (2); 16 per layer; final layer norm (2); classifier (2)
            assertEquals(2 + 2 + 2 * 16 + 2 + 2, ckpt.weights().names().size());
            ConfigException wrong = assertThrows(ConfigException.class, ckpt::gpt2Config);
            assertEquals("model_type", wrong.field());
            assertTrue(wrong.getMessage().contains("\"vit\""), wrong.getMessage());
        }
    }

    @Test
    void missingFieldsTakeHuggingFacesDefaults() throws ConfigException {
        Gpt2Config g = Gpt2Config.defaults();
        assertEquals(new Gpt2Config(50257, 1024, 768, 12, 12, null, "gelu_new", 0.1, 0.1, 0.1, 1e-5, 0.02, true,
                false, false, true, true, 50256, 50256), g);
        BertConfig b = BertConfig.defaults();
        assertEquals(new BertConfig(30522, 768, 12, 12, 3072, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12, 0, "absolute",
                false, true, null, true, Map.of(0, "LABEL_0", 1, "LABEL_1")), b);
        VitConfig v = VitConfig.defaults();
        assertEquals(new VitConfig(768, 12, 12, 3072, "gelu", 0.0, 0.0, 0.02, 1e-12, 224, 16, 3, true, 16,
                Map.of(0, "LABEL_0", 1, "LABEL_1")), v);
        // A partial config: given fields win, the rest default, unknown fields are ignored.
        BertConfig mini = BertConfig.fromJson(json("{\"hidden_size\": 384, \"num_hidden_layers\": 6,"
                + " \"num_attention_heads\": 12, \"intermediate_size\": 1536, \"some_future_field\": [1, 2],"
                + " \"num_labels\": 3, \"classifier_dropout\": 0.2, \"pad_token_id\": null}"), null);
        assertEquals(384, mini.hiddenSize());
        assertEquals(32, mini.headSize());
        assertEquals(30522, mini.vocabSize());
        assertEquals(3, mini.numLabels());
        assertEquals(0.2, mini.classifierDropout());
        assertNull(mini.padTokenId());
    }

    @Test
    void gpt2AcceptsHuggingFacesAliases() throws ConfigException {
        Gpt2Config c = Gpt2Config.fromJson(json("{\"hidden_size\": 64, \"num_attention_heads\": 2,"
                + " \"num_hidden_layers\": 1, \"max_position_embeddings\": 32, \"n_inner\": 100}"), null);
        assertEquals(64, c.nEmbd());
        assertEquals(2, c.nHead());
        assertEquals(1, c.nLayer());
        assertEquals(32, c.nPositions());
        assertEquals(100, c.innerSize());
    }

    @Test
    void errorsNameTheFieldAndTheFile() throws IOException {
        Path file = dir.resolve("config.json");
        String[][] cases = {
            {"{\"n_embd\": \"768\"}", "n_embd", "expected an integer, found a string \"768\""},
            {"{\"n_embd\": 768.5}", "n_embd", "expected an integer"},
            {"{\"n_head\": 0}", "n_head", "expected an integer > 0, found 0"},
            {"{\"n_embd\": 100, \"n_head\": 3}", "n_embd", "divisible by n_head (3)"},
            {"{\"resid_pdrop\": 1.5}", "resid_pdrop", "probability in [0, 1)"},
            {"{\"layer_norm_epsilon\": -1}", "layer_norm_epsilon", "number > 0"},
            {"{\"scale_attn_weights\": \"yes\"}", "scale_attn_weights", "expected true or false"},
            {"{\"activation_function\": null}", "activation_function", "found null"},
            {"{\"model_type\": \"bert\"}", "model_type", "expected \"gpt2\""},
            {"{\"n_inner\": -5}", "n_inner", "null or an integer > 0"},
        };
        for (String[] c : cases) {
            Files.writeString(file, c[0]);
            ConfigException e = assertThrows(ConfigException.class, () -> Gpt2Config.read(file), c[0]);
            assertEquals(c[1], e.field(), e.getMessage());
            assertEquals(file, e.file());
            assertTrue(e.getMessage().startsWith(file + ": field '" + c[1] + "': "), e.getMessage());
            assertTrue(e.getMessage().contains(c[2]), e.getMessage());
        }
        Files.writeString(file, "{\"hidden_size\": 10, \"num_attention_heads\": 3}");
        assertEquals("hidden_size", assertThrows(ConfigException.class, () -> BertConfig.read(file)).field());
        Files.writeString(file, "{\"position_embedding_type\": \"rotary\"}");
        assertTrue(assertThrows(ConfigException.class, () -> BertConfig.read(file)).getMessage()
                .contains("absolute, relative_key, relative_key_query"));
        Files.writeString(file, "{\"id2label\": {\"zero\": \"a\"}}");
        assertEquals("id2label", assertThrows(ConfigException.class, () -> VitConfig.read(file)).field());
        Files.writeString(file, "{\"image_size\": [224, 160]}");
        assertEquals("image_size", assertThrows(ConfigException.class, () -> VitConfig.read(file)).field());
        Files.writeString(file, "{\"n_embd\": 1,}");
        ConfigException notJson = assertThrows(ConfigException.class, () -> Gpt2Config.read(file));
        assertNull(notJson.field());
        assertTrue(notJson.getMessage().contains("not valid JSON") && notJson.getMessage().contains("line 1"),
                notJson.getMessage());
        Files.writeString(file, "{\"n_embd\": 1, \"n_embd\": 2}");
        assertTrue(assertThrows(ConfigException.class, () -> Gpt2Config.read(file)).getMessage().contains("n_embd"));
        Files.writeString(file, "[1]");
        assertThrows(ConfigException.class, () -> Gpt2Config.read(file));
    }

    @Test
    void findsTokenizerFilesAndShardedWeights() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("ckpt"));
        Files.writeString(folder.resolve("config.json"), "{\"model_type\": \"bert\", \"hidden_size\": 8,"
                + " \"num_attention_heads\": 2}");
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < 3; i++) {
            w.add("layer." + i + ".weight", io.carpathia.weights.safetensors.Dtype.F32, new long[] {4},
                    new byte[16]);
        }
        w.writeSharded(folder, 20);
        Files.writeString(folder.resolve("vocab.txt"), "[PAD]\n");
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder)) {
            assertEquals(HfCheckpoint.WeightsLayout.SHARDED, ckpt.weightsLayout());
            TensorSource weights = ckpt.weights();
            assertInstanceOf(ShardedSafetensorsReader.class, weights);
            assertEquals(3, weights.names().size());
            assertEquals(3, ckpt.weightFiles().size());
            assertEquals(TokenizerFiles.Kind.WORDPIECE_VOCAB, ckpt.tokenizer().kind());
            assertEquals(8, ckpt.bertConfig().hiddenSize());
        }
        Files.writeString(folder.resolve("vocab.json"), "{}");
        assertEquals(TokenizerFiles.Kind.WORDPIECE_VOCAB, TokenizerFiles.find(folder).kind(),
                "vocab.json without merges.txt is not a BPE tokenizer");
        Files.writeString(folder.resolve("merges.txt"), "#version: 0.2\n");
        assertEquals(TokenizerFiles.Kind.BPE_VOCAB_AND_MERGES, TokenizerFiles.find(folder).kind());
        Files.writeString(folder.resolve("tokenizer.json"), "{}");
        assertEquals(TokenizerFiles.Kind.TOKENIZER_JSON, TokenizerFiles.find(folder).kind());
    }

    @Test
    void aFolderWithoutWeightsOrConfigSaysSo() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("empty"));
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder)) {
            assertEquals(HfCheckpoint.WeightsLayout.NONE, ckpt.weightsLayout());
            NoSuchFileException e = assertThrows(NoSuchFileException.class, ckpt::weights);
            assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
            ConfigException c = assertThrows(ConfigException.class, ckpt::config);
            assertTrue(c.getMessage().contains("no config.json"), c.getMessage());
        }
        assertThrows(NoSuchFileException.class, () -> HfCheckpoint.open(dir.resolve("absent")));
        Path file = Files.writeString(dir.resolve("file.txt"), "x");
        assertThrows(IllegalArgumentException.class, () -> HfCheckpoint.open(file));
    }

    private static com.fasterxml.jackson.databind.JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
