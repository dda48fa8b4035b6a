package io.carpathia.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.models.cli.CarpathiaCli.UserError;
import io.carpathia.weights.hf.BertConfig;
import io.carpathia.weights.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Loading and saving Hugging Face folders: the name styles of real checkpoints, and strict errors. */
class BertCheckpointTest {

    /** A folder with {@code model}'s weights under names rewritten by {@code rename}, plus {@code extra} tensors. */
    static Path folder(Path dir, BertModel model, java.util.function.UnaryOperator<String> rename,
                       Map<String, org.nd4j.linalg.api.ndarray.INDArray> extra) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), BertCheckpoint.configJson(model.config(), "BertForPreTraining"));
        SafetensorsWriter w = new SafetensorsWriter();
        model.namedParameters().forEach((name, p) -> w.add(rename.apply(name), p.value()));
        extra.forEach(w::add);
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    private static float[] run(BertModel m) {
        try (var off = GradMode.off()) {
            Tensor ids = Tensor.indices(new long[] {1, 4, 7, 2, 1, 9, 2, 0}, 2, 4);
            Tensor mask = Tensor.indices(new long[] {1, 1, 1, 1, 1, 1, 1, 0}, 2, 4);
            return m.forward(ids, null, mask).lastHiddenState().toFloatArray();
        }
    }

    @Test
    void readsTheOldStyleOfBertBaseUncased(@TempDir Path tmp) throws Exception {
        BertModel original = new BertModel(BertNamesTest.small(2), new Random(4));
        original.eval();
        // bert. prefix, LayerNorm.gamma/beta, position_ids buffer and pre-training heads, as bert-base-uncased has
        Path dir = folder(tmp.resolve("old"), original,
                n -> "bert." + n.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"),
                Map.of("bert.embeddings.position_ids", Nd4j.arange(16).castTo(DataType.LONG).reshape(1, 16),
                        "cls.predictions.bias", Nd4j.zeros(DataType.FLOAT, 30)));
        BertModel loaded = BertCheckpoint.loadModel(dir);
        assertArrayEquals(run(original), run(loaded));
    }

    @Test
    void missingUnexpectedAndMisshapenTensorsAreAllNamed(@TempDir Path tmp) throws Exception {
        BertModel original = new BertModel(BertNamesTest.small(2), new Random(5));
        Path dir = folder(tmp.resolve("bad"), original,
                n -> n.equals("pooler.dense.bias") ? "pooler.dense.extra" : n,
                Map.of("encoder.layer.0.attention.self.query.weight_typo", Nd4j.zeros(DataType.FLOAT, 12, 12)));
        UserError e = assertThrows(UserError.class, () -> BertCheckpoint.loadModel(dir));
        assertTrue(e.getMessage().contains("missing tensors [pooler.dense.bias]"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected tensors [") && e.getMessage().contains("pooler.dense.extra")
                && e.getMessage().contains("query.weight_typo"), e.getMessage());

        BertModel wider = new BertModel(new BertConfig(30, 12, 2, 3, 24, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12, 0,
                "absolute", false, true, null, true, BertNamesTest.small(2).id2label()), new Random(0));
        Path shapes = folder(tmp.resolve("shapes"), wider, n -> n, Map.of());
        // the config says intermediate 20, the weights 24
        Files.writeString(shapes.resolve("config.json"), BertCheckpoint.configJson(BertNamesTest.small(2), "BertModel"));
        UserError s = assertThrows(UserError.class, () -> BertCheckpoint.loadModel(shapes));
        assertTrue(s.getMessage().contains("tensor encoder.layer.0.intermediate.dense.weight has shape [24, 12] but "
                + "the config implies [20, 12]"), s.getMessage());

        UserError none = assertThrows(UserError.class, () -> BertCheckpoint.loadModel(tmp.resolve("absent")));
        assertTrue(none.getMessage().startsWith("no such model folder: "), none.getMessage());
    }

    @Test
    void classifierRoundTripAndFineTuningFromABareEncoder(@TempDir Path tmp) throws Exception {
        BertForSequenceClassification cls = new BertForSequenceClassification(BertNamesTest.small(3), new Random(6));
        cls.eval();
        Path dir = tmp.resolve("cls");
        BertCheckpoint.save(cls, dir);
        BertForSequenceClassification back = BertCheckpoint.loadForSequenceClassification(dir, null, new Random(0));
        assertEquals(3, back.config().numLabels());
        Tensor ids = Tensor.indices(new long[] {1, 4, 2}, 1, 3);
        try (var off = GradMode.off()) {
            assertArrayEquals(cls.forward(ids).toFloatArray(), back.forward(ids).toFloatArray());
        }
        // a bare encoder folder: the classifier is new, the encoder is loaded
        BertModel encoder = new BertModel(BertNamesTest.small(2), new Random(7));
        Path bare = tmp.resolve("bare");
        BertCheckpoint.save(encoder, bare);
        UserError strict = assertThrows(UserError.class,
                () -> BertCheckpoint.loadForSequenceClassification(bare, null, new Random(0)));
        assertTrue(strict.getMessage().contains("missing tensors [classifier.weight, classifier.bias]"),
                strict.getMessage());
        BertForSequenceClassification tuned = BertCheckpoint.loadForSequenceClassification(bare, 4, new Random(0));
        assertEquals(4, tuned.config().numLabels());
        assertArrayEquals(encoder.namedParameters().get("pooler.dense.weight").toFloatArray(),
                tuned.namedParameters().get("bert.pooler.dense.weight").toFloatArray());
    }
}
