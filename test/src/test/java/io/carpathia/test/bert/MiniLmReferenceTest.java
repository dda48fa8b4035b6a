package io.carpathia.test.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.Scope;
import io.carpathia.models.bert.BertModel;
import io.carpathia.models.bert.SentenceEmbedder;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * all-MiniLM-L6-v2 on the imported ONNX weights against fixtures/minilm-reference (ONNX Runtime 1.22 outputs for the
 * Hugging Face tokenizer's ids; see its README.md): every sentence alone, the padded batch, the cosines.
 */
class MiniLmReferenceTest {
    private static JsonNode ref;
    private static BertModel model;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = MiniLmReferenceTest.class.getResourceAsStream("/fixtures/minilm-reference/reference.json")) {
            ref = new ObjectMapper().readTree(in);
        }
        model = MiniLm.model();
    }

    @Test
    void everySentenceAloneMatches() {
        double worstHidden = 0;
        double worstPooled = 0;
        double worstEmbedding = 0;
        SentenceEmbedder embedder = new SentenceEmbedder(model);
        for (JsonNode s : ref.get("sentences")) {
            int[] ids = ints(s.get("input_ids"));
            int t = ids.length;
            String what = "sentence " + s.get("index").asInt();
            try (var off = GradMode.off(); var scope = Scope.open()) {
                BertModel.Output out = model.forward(Tensor.indices(longs(ids), 1, t), Tensor.indices(new long[t], 1, t),
                        Tensor.indices(longs(ints(s.get("attention_mask"))), 1, t));
                worstHidden = Math.max(worstHidden, Close.assertWithin(what + " last_hidden_state",
                        flat(s.get("last_hidden_state")), out.lastHiddenState().toDoubleArray(), 1e-4));
                worstPooled = Math.max(worstPooled, Close.assertWithin(what + " pooler_output",
                        flat(s.get("pooler_output")), out.poolerOutput().toDoubleArray(), 1e-4));
            }
            float[] e = embedder.embed(new int[][] {ids}, null)[0];
            worstEmbedding = Math.max(worstEmbedding, Close.assertWithin(what + " sentence_embedding",
                    flat(s.get("sentence_embedding")), Close.doubles(e), 1e-5));
        }
        System.out.printf("minilm reference, single sentences: max |diff| hidden %.2e, pooled %.2e, embedding %.2e%n",
                worstHidden, worstPooled, worstEmbedding);
    }

    @Test
    void paddedBatchMatchesWhereTheMaskIsOne() {
        JsonNode batch = ref.get("padded_batch");
        int[][] ids = rows(batch.get("input_ids"));
        int[][] mask = rows(batch.get("attention_mask"));
        int[][] types = rows(batch.get("token_type_ids"));
        int b = ids.length;
        int t = ids[0].length;
        int h = 384;
        double worstHidden = 0;
        try (var off = GradMode.off(); var scope = Scope.open()) {
            BertModel.Output out = model.forward(Tensor.indices(flatLongs(ids), b, t),
                    Tensor.indices(flatLongs(types), b, t), Tensor.indices(flatLongs(mask), b, t));
            double[] hidden = out.lastHiddenState().toDoubleArray();
            double[] expected = flat(batch.get("last_hidden_state"));
            List<Double> e = new ArrayList<>();
            List<Double> a = new ArrayList<>();
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    if (mask[i][j] == 0) continue;
                    for (int k = 0; k < h; k++) {
                        e.add(expected[(i * t + j) * h + k]);
                        a.add(hidden[(i * t + j) * h + k]);
                    }
                }
            }
            worstHidden = Close.assertWithin("padded batch last_hidden_state (mask = 1)",
                    e.stream().mapToDouble(Double::doubleValue).toArray(),
                    a.stream().mapToDouble(Double::doubleValue).toArray(), 1e-4);
            Close.assertWithin("padded batch pooler_output", flat(batch.get("pooler_output")),
                    out.poolerOutput().toDoubleArray(), 1e-4);
        }
        float[][] emb = new SentenceEmbedder(model).embed(ids, types, mask);
        double[] flatEmb = new double[b * h];
        for (int i = 0; i < b; i++) for (int k = 0; k < h; k++) flatEmb[i * h + k] = emb[i][k];
        double worstEmbedding = Close.assertWithin("padded batch sentence_embedding",
                flat(batch.get("sentence_embedding")), flatEmb, 1e-5);
        System.out.printf("minilm reference, padded batch: max |diff| hidden %.2e, embedding %.2e%n", worstHidden,
                worstEmbedding);
    }

    @Test
    void cosinesMatch() {
        JsonNode sentences = ref.get("sentences");
        int[][] ids = new int[sentences.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = ints(sentences.get(i).get("input_ids"));
        float[][] emb = new SentenceEmbedder(model).embed(ids, null);
        for (JsonNode c : ref.get("cosine_similarities")) {
            double cos = SentenceEmbedder.cosine(emb[c.get("a").asInt()], emb[c.get("b").asInt()]);
            assertEquals(c.get("cosine").asDouble(), cos, 1e-4, c.get("text_a") + " vs " + c.get("text_b"));
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    static int[][] rows(JsonNode array) {
        int[][] out = new int[array.size()][];
        for (int i = 0; i < out.length; i++) out[i] = ints(array.get(i));
        return out;
    }

    static long[] longs(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    static long[] flatLongs(int[][] rows) {
        List<Long> out = new ArrayList<>();
        for (int[] r : rows) for (int v : r) out.add((long) v);
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** A nested JSON array of numbers, flattened in row-major order. */
    static double[] flat(JsonNode node) {
        List<Double> out = new ArrayList<>();
        collect(node, out);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void collect(JsonNode node, List<Double> out) {
        if (node.isArray()) {
            for (JsonNode n : node) collect(n, out);
        } else {
            out.add(node.asDouble());
        }
    }
}
