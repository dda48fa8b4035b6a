package io.carpathia.test.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.Scope;
import io.carpathia.models.bert.BertCheckpoint;
import io.carpathia.models.bert.BertModel;
import io.carpathia.weights.hf.BertConfig;
import io.carpathia.weights.safetensors.SafetensorsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The imported all-MiniLM-L6-v2 saved as a Hugging Face folder and loaded back computes exactly the same. */
class BertCheckpointRoundTripTest {

    @Test
    void savedAndReloadedModelGivesIdenticalOutputs(@TempDir Path tmp) throws Exception {
        BertModel imported = MiniLm.model();
        Path dir = tmp.resolve("minilm");
        BertCheckpoint.save(imported, dir);
        assertEquals(imported.config(), BertConfig.read(dir.resolve("config.json")));
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
            // HF BertModel names, no prefix
            assertEquals(imported.namedParameters().keySet(), java.util.Set.copyOf(r.names()));
        }
        BertModel loaded = BertCheckpoint.loadModel(dir);
        Random rng = new Random(7);
        OnnxRuntimeParityTest.Batch in = OnnxRuntimeParityTest.randomBatch(rng, 3, 40, true);
        int b = in.ids().length;
        int t = in.ids()[0].length;
        try (var off = GradMode.off(); var scope = Scope.open()) {
            Tensor ids = Tensor.indices(MiniLmReferenceTest.flatLongs(OnnxRuntimeParityTest.toInts(in.ids())), b, t);
            Tensor types = Tensor.indices(MiniLmReferenceTest.flatLongs(OnnxRuntimeParityTest.toInts(in.types())), b, t);
            Tensor mask = Tensor.indices(MiniLmReferenceTest.flatLongs(OnnxRuntimeParityTest.toInts(in.mask())), b, t);
            BertModel.Output a = imported.forward(ids, types, mask);
            BertModel.Output c = loaded.forward(ids, types, mask);
            assertArrayEquals(a.lastHiddenState().toFloatArray(), c.lastHiddenState().toFloatArray());
            assertArrayEquals(a.poolerOutput().toFloatArray(), c.poolerOutput().toFloatArray());
        }
        // saving again over the folder replaces it and leaves no temporary folders behind
        BertCheckpoint.save(loaded, dir);
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count());
        }
    }
}
