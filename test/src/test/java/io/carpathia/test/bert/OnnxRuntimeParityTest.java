package io.carpathia.test.bert;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.Scope;
import io.carpathia.models.bert.BertModel;
import io.carpathia.models.bert.SentenceEmbedder;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Carpathia's BertModel on the weights imported from all-minilm-l6-v2.onnx against ONNX Runtime running that same
 * file, on fresh random inputs: varied lengths, right-padded batches, sentence pairs with token types. Hidden states
 * are compared only where the attention mask is 1 (padded rows are ill-conditioned; see the fixture's README).
 */
class OnnxRuntimeParityTest {
    private static OrtEnvironment env;
    private static OrtSession session;
    private static BertModel model;
    private static double worstHidden;
    private static double worstPooled;
    private static double worstEmbedding;

    @BeforeContainer
    static void open() throws OrtException {
        env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(MiniLm.onnxBytes(), options);
        }
        model = MiniLm.model();
    }

    @AfterContainer
    static void close() throws OrtException {
        if (session != null) session.close();
        System.out.printf("onnxruntime parity: max |diff| hidden (mask = 1) %.2e, pooled %.2e, embedding %.2e%n",
                worstHidden, worstPooled, worstEmbedding);
    }

    /** A random batch: [CLS] ids... [SEP] (and a second segment of type 1 when paired), right-padded with 0. */
    record Batch(long[][] ids, long[][] types, long[][] mask, int[] lengths) {}

    static Batch randomBatch(Random r, int b, int maxLen, boolean pairs) {
        int[] lengths = new int[b];
        int t = 0;
        for (int i = 0; i < b; i++) {
            lengths[i] = 2 + r.nextInt(maxLen - 1);
            t = Math.max(t, lengths[i]);
        }
        long[][] ids = new long[b][t];
        long[][] types = new long[b][t];
        long[][] mask = new long[b][t];
        for (int i = 0; i < b; i++) {
            int n = lengths[i];
            int second = pairs && n >= 5 ? 2 + r.nextInt(n - 3) : n; // where segment B starts
            for (int j = 0; j < n; j++) {
                ids[i][j] = j == 0 ? 101 : j == n - 1 || j == second - 1 ? 102 : 999 + r.nextInt(30522 - 999);
                types[i][j] = j >= second ? 1 : 0;
                mask[i][j] = 1;
            }
        }
        return new Batch(ids, types, mask, lengths);
    }

    @Property(tries = 12)
    void matchesOnnxRuntime(@ForAll long seed, @ForAll @IntRange(min = 1, max = 6) int batch) throws OrtException {
        Random r = new Random(seed);
        Batch in = randomBatch(r, batch, r.nextBoolean() ? 16 : 128, r.nextBoolean());
        int b = in.ids.length;
        int t = in.ids[0].length;
        int h = 384;
        float[][][] ortHidden;
        float[][] ortPooled;
        try (OnnxTensor ids = OnnxTensor.createTensor(env, in.ids);
             OnnxTensor mask = OnnxTensor.createTensor(env, in.mask);
             OnnxTensor types = OnnxTensor.createTensor(env, in.types);
             OrtSession.Result out = session.run(Map.of("input_ids", ids, "attention_mask", mask,
                     "token_type_ids", types))) {
            ortHidden = (float[][][]) out.get(0).getValue();
            ortPooled = (float[][]) out.get(1).getValue();
        }
        double[] ours;
        double[] oursPooled;
        try (var off = GradMode.off(); var scope = Scope.open()) {
            BertModel.Output out = model.forward(Tensor.indices(MiniLmReferenceTest.flatLongs(toInts(in.ids)), b, t),
                    Tensor.indices(MiniLmReferenceTest.flatLongs(toInts(in.types)), b, t),
                    Tensor.indices(MiniLmReferenceTest.flatLongs(toInts(in.mask)), b, t));
            ours = out.lastHiddenState().toDoubleArray();
            oursPooled = out.poolerOutput().toDoubleArray();
        }
        String what = "seed " + seed + ", batch " + b + " x " + t;
        int tokens = 0;
        for (int n : in.lengths) tokens += n;
        double[] expected = new double[tokens * h];
        double[] actual = new double[tokens * h];
        int k = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < in.lengths[i]; j++) {
                for (int c = 0; c < h; c++, k++) {
                    expected[k] = ortHidden[i][j][c];
                    actual[k] = ours[(i * t + j) * h + c];
                }
            }
        }
        worstHidden = Math.max(worstHidden, Close.assertWithin(what + ": last_hidden_state", expected, actual, 1e-4));
        double[] pooled = new double[b * h];
        for (int i = 0; i < b; i++) for (int c = 0; c < h; c++) pooled[i * h + c] = ortPooled[i][c];
        worstPooled = Math.max(worstPooled, Close.assertWithin(what + ": pooler_output", pooled, oursPooled, 1e-4));

        // sentence embeddings: ORT's hidden states pooled here against Carpathia's SentenceEmbedder end to end
        float[] ortFlat = new float[b * t * h];
        for (int i = 0; i < b; i++) for (int j = 0; j < t; j++) System.arraycopy(ortHidden[i][j], 0, ortFlat, (i * t + j) * h, h);
        int[][] mask = toInts(in.mask);
        float[][] ortEmb = SentenceEmbedder.meanPoolNormalize(ortFlat, b, t, h, mask);
        float[][] ourEmb = new SentenceEmbedder(model).embed(toInts(in.ids), toInts(in.types), mask);
        for (int i = 0; i < b; i++) {
            worstEmbedding = Math.max(worstEmbedding, Close.assertWithin(what + ": sentence_embedding " + i,
                    Close.doubles(ortEmb[i]), Close.doubles(ourEmb[i]), 1e-5));
        }
    }

    static int[][] toInts(long[][] v) {
        int[][] out = new int[v.length][];
        for (int i = 0; i < v.length; i++) {
            out[i] = new int[v[i].length];
            for (int j = 0; j < v[i].length; j++) out[i][j] = (int) v[i][j];
        }
        return out;
    }
}
