package io.carpathia.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** MultiHeadAttention against attention written out in plain loops, with causal and padding masks. */
class MultiHeadAttentionTest {

    /** y = x·Wᵀ + b over the last dimension. x: [rows, in], W: [out, in]. */
    private static double[] linear(double[] x, int rows, int in, double[] w, double[] b, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) s += x[r * in + i] * w[o * in + i];
                y[r * out + o] = s;
            }
        }
        return y;
    }

    /** The whole layer by hand: projections, per-head softmax(q·kᵀ/√hs) with masked keys left out, ·v, output. */
    private static double[] reference(MultiHeadAttention mha, double[] x, int batch, int t, double[] keep) {
        int e = mha.embedDim;
        int nh = mha.numHeads;
        int hs = mha.headDim;
        double[] q = linear(x, batch * t, e, mha.qProj().weight().toDoubleArray(), mha.qProj().bias().toDoubleArray(), e);
        double[] k = linear(x, batch * t, e, mha.kProj().weight().toDoubleArray(), mha.kProj().bias().toDoubleArray(), e);
        double[] v = linear(x, batch * t, e, mha.vProj().weight().toDoubleArray(), mha.vProj().bias().toDoubleArray(), e);
        double[] y = new double[batch * t * e];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < nh; h++) {
                for (int i = 0; i < t; i++) {
                    double[] p = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        boolean visible = (!mha.causal || j <= i) && (keep == null || keep[b * t + j] == 1);
                        if (!visible) {
                            p[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double s = 0;
                        for (int d = 0; d < hs; d++) s += q[(b * t + i) * e + h * hs + d] * k[(b * t + j) * e + h * hs + d];
                        p[j] = s / Math.sqrt(hs);
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int d = 0; d < hs; d++) {
                        double acc = 0;
                        for (int j = 0; j < t; j++) acc += p[j] / sum * v[(b * t + j) * e + h * hs + d];
                        y[(b * t + i) * e + h * hs + d] = acc;
                    }
                }
            }
        }
        return linear(y, batch * t, e, mha.outProj().weight().toDoubleArray(), mha.outProj().bias().toDoubleArray(), e);
    }

    @Test
    void parametersHaveThePytorchNames() {
        MultiHeadAttention mha = new MultiHeadAttention(8, 2, true, 0, false, new Random(0));
        assertEquals(List.of("q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias", "v_proj.weight",
                "v_proj.bias", "out_proj.weight", "out_proj.bias"), List.copyOf(mha.namedParameters().keySet()));
        assertEquals(4 * (64 + 8), mha.parameterCount());
        assertEquals(List.of("q_proj.weight", "k_proj.weight", "v_proj.weight", "out_proj.weight"),
                List.copyOf(new MultiHeadAttention(8, 2, false, 0, false, new Random(0)).namedParameters().keySet()));
    }

    @Test
    void selfAttentionMatchesTheLoopsWithAndWithoutMasks() {
        int batch = 2;
        int t = 5;
        int e = 8;
        double[] x = Tensor.randn(new Random(1), batch, t, e).toDoubleArray();
        double[] keep = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
        for (boolean causal : new boolean[] {false, true}) {
            MultiHeadAttention mha = new MultiHeadAttention(e, 2, true, 0, causal, new Random(2));
            Tensor xt = Tensor.of(x, batch, t, e);
            assertArrayEquals(reference(mha, x, batch, t, null), mha.forward(xt).toDoubleArray(), 1e-5,
                    "causal " + causal);
            Tensor mask = Tensor.indices(new long[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, batch, t);
            assertArrayEquals(reference(mha, x, batch, t, keep), mha.forward(xt, mask).toDoubleArray(), 1e-5,
                    "causal " + causal + " with padding");
        }
    }

    @Test
    void causalOutputsIgnoreLaterTokensAndPaddedKeysAreIgnored() {
        MultiHeadAttention causal = new MultiHeadAttention(4, 2, true, 0, true, new Random(3));
        double[] x = Tensor.randn(new Random(4), 1, 4, 4).toDoubleArray();
        double[] changed = x.clone();
        for (int d = 0; d < 4; d++) changed[3 * 4 + d] += 1; // token 3 changes
        double[] y1 = causal.forward(Tensor.of(x, 1, 4, 4)).toDoubleArray();
        double[] y2 = causal.forward(Tensor.of(changed, 1, 4, 4)).toDoubleArray();
        assertArrayEquals(java.util.Arrays.copyOf(y1, 12), java.util.Arrays.copyOf(y2, 12), 1e-6);

        // with token 3 marked as padding in a bidirectional layer, changing it affects only its own output row
        MultiHeadAttention bidirectional = new MultiHeadAttention(4, 2, true, 0, false, new Random(3));
        Tensor mask = Tensor.of(new double[] {1, 1, 1, 0}, 1, 4);
        y1 = bidirectional.forward(Tensor.of(x, 1, 4, 4), mask).toDoubleArray();
        y2 = bidirectional.forward(Tensor.of(changed, 1, 4, 4), mask).toDoubleArray();
        assertArrayEquals(java.util.Arrays.copyOf(y1, 12), java.util.Arrays.copyOf(y2, 12), 1e-6);
    }

    @Test
    void crossAttentionTakesKeysOfAnotherLength() {
        MultiHeadAttention mha = new MultiHeadAttention(6, 3, true, 0, false, new Random(5));
        Tensor query = Tensor.randn(new Random(6), 2, 3, 6);
        Tensor memory = Tensor.randn(new Random(7), 2, 7, 6);
        assertArrayEquals(new long[] {2, 3, 6}, mha.forward(query, memory, memory, null).shape());
        ShapeException e = assertThrows(ShapeException.class,
                () -> mha.forward(query, memory, Tensor.randn(new Random(8), 2, 6, 6), null));
        assertTrue(e.getMessage().contains("MultiHeadAttention"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> mha.forward(query, Tensor.ones(2, 4)));
        assertTrue(e.getMessage().contains("padding mask must be [B, Tk] = [2, 3], got [2, 4]"), e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> mha.forward(query, Tensor.full(0.5, 2, 3)));
        assertTrue(bad.getMessage().contains("expected 1 (attend) or 0 (padding)"), bad.getMessage());
    }

    @Test
    void theComposedPathUsedForDropoutEqualsTheFusedOne() {
        MultiHeadAttention mha = new MultiHeadAttention(8, 2, true, 0, true, new Random(9));
        Tensor q = Tensor.randn(new Random(10), 2, 2, 5, 4);
        Tensor k = Tensor.randn(new Random(11), 2, 2, 5, 4);
        Tensor v = Tensor.randn(new Random(12), 2, 2, 5, 4);
        Tensor fused = io.carpathia.engine.ops.Attention.scaledDotProductAttention(q, k, v, null, true);
        // dropout is 0, so the composed path's dropout is the identity
        assertArrayEquals(fused.toDoubleArray(), mha.attendWithDropout(q, k, v, null, false).output().toDoubleArray(),
                1e-5);
        // and gives the same probabilities
        Tensor padding = Tensor.randn(new Random(13), 2, 1, 1, 5);
        var fusedWithProbs = io.carpathia.engine.ops.Attention.attentionWithProbs(q, k, v, padding, true);
        var composed = mha.attendWithDropout(q, k, v, padding, true);
        assertArrayEquals(fusedWithProbs.output().toDoubleArray(), composed.output().toDoubleArray(), 1e-5);
        assertArrayEquals(fusedWithProbs.probs().toDoubleArray(), composed.probs().toDoubleArray(), 1e-6);
    }

    @Test
    void attentionMapsOfEveryHead() {
        MultiHeadAttention mha = new MultiHeadAttention(8, 2, true, 0, true, new Random(22));
        Tensor x = Tensor.randn(new Random(23), 2, 4, 8);
        Tensor mask = Tensor.of(new double[] {1, 1, 1, 1, 1, 0, 1, 1}, 2, 4);
        var result = mha.forwardWithProbs(x, x, x, mask);
        assertArrayEquals(mha.forward(x, mask).toDoubleArray(), result.output().toDoubleArray(), 0);
        Tensor probs = result.probs();
        assertArrayEquals(new long[] {2, 2, 4, 4}, probs.shape());
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < 4; i++) {
                    double sum = 0;
                    for (int j = 0; j < 4; j++) {
                        double p = probs.get(b, h, i, j);
                        sum += p;
                        if (j > i) assertEquals(0, p, 0, "causal: key after the query");
                        if (b == 1 && j == 1) assertEquals(0, p, 1e-30, "padded key");
                    }
                    assertEquals(1, sum, 1e-5);
                }
            }
        }
    }

    @Test
    void aQueryWhoseKeysAreAllPaddingAttendsUniformlyOnBothPaths() {
        Tensor x = Tensor.randn(new Random(24), 1, 3, 4);
        Tensor allPadding = Tensor.zeros(1, 3);
        for (double dropout : new double[] {0, 0.5}) {
            MultiHeadAttention mha = new MultiHeadAttention(4, 1, true, dropout, false, new Random(25));
            var r = mha.forwardWithProbs(x, x, x, allPadding);
            for (double p : r.probs().toDoubleArray()) assertEquals(1 / 3.0, p, 1e-6, "dropout " + dropout);
            for (double y : r.output().toDoubleArray()) assertTrue(Double.isFinite(y));
        }
    }

    @Test
    void dropoutActsOnlyWhileTraining() {
        MultiHeadAttention mha = new MultiHeadAttention(8, 2, true, 0.5, false, new Random(13));
        Tensor x = Tensor.randn(new Random(14), 1, 6, 8);
        double[] a = mha.forward(x).toDoubleArray();
        double[] b = mha.forward(x).toDoubleArray();
        assertTrue(!java.util.Arrays.equals(a, b), "training: two different dropout masks");
        mha.eval();
        assertArrayEquals(mha.forward(x).toDoubleArray(), mha.forward(x).toDoubleArray(), 0);
    }

    @Test
    void gradientWithRespectToTheInputInFloat64() {
        DataType saved = Tensor.defaultDtype();
        Tensor.setDefaultDtype(DataType.DOUBLE);
        try {
            for (boolean causal : new boolean[] {false, true}) {
                MultiHeadAttention mha = new MultiHeadAttention(4, 2, true, 0, causal, new Random(15));
                Tensor mask = Tensor.of(new double[] {1, 1, 0, 1, 1, 1}, 2, 3);
                GradCheck.assertGradients(in -> mha.forward(in.get(0), mask), List.of(Tensor.randn(new Random(16), 2, 3, 4)));
                // cross-attention: gradients reach query, key and value
                GradCheck.assertGradients(in -> mha.forward(in.get(0), in.get(1), in.get(2), null),
                        List.of(Tensor.randn(new Random(17), 2, 2, 4), Tensor.randn(new Random(18), 2, 3, 4),
                                Tensor.randn(new Random(19), 2, 3, 4)));
            }
        } finally {
            Tensor.setDefaultDtype(saved);
        }
    }

    @Test
    void hooksSeeTheProjections() {
        MultiHeadAttention mha = new MultiHeadAttention(4, 2, true, 0, false, new Random(20));
        List<long[]> shapes = new java.util.ArrayList<>();
        mha.qProj().registerForwardHook((m, in, out) -> shapes.add(out.shape()));
        mha.forward(Tensor.randn(new Random(21), 3, 5, 4));
        assertEquals(1, shapes.size());
        assertArrayEquals(new long[] {3, 5, 4}, shapes.get(0));
    }
}
