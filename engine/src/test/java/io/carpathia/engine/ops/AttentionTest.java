package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.testing.Gen;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class AttentionTest {

    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    /** Random q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv] and a mask of one of several broadcast shapes. */
    private record Problem(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal) {
        static Problem random(long[] batch, int tq, int tk, int d, int dv, int maskKind, boolean causal, long seed) {
            long[] scores = with(batch, tq, tk);
            long[] maskShape = switch (maskKind) {
                case 0 -> null;
                case 1 -> new long[] {tk};                                  // one bias per key
                case 2 -> padding(batch, tk);                               // [B, 1, 1, Tk]-style
                case 3 -> new long[] {tq, tk};                              // one [Tq, Tk] for all heads
                default -> scores;                                          // everything
            };
            return new Problem(Gen.randn(seed, with(batch, tq, d)), Gen.randn(seed + 1, with(batch, tk, d)),
                    Gen.randn(seed + 2, with(batch, tk, dv)), maskShape == null ? null : Gen.randn(seed + 3, maskShape),
                    causal);
        }

        List<Tensor> inputs() {
            List<Tensor> in = new ArrayList<>(List.of(q, k, v));
            if (mask != null) in.add(mask);
            return in;
        }

        static Tensor fused(List<Tensor> in, boolean causal) {
            return Attention.scaledDotProductAttention(in.get(0), in.get(1), in.get(2), in.size() > 3 ? in.get(3) : null,
                    causal);
        }
    }

    static long[] with(long[] batch, long a, long b) {
        long[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = a;
        s[batch.length + 1] = b;
        return s;
    }

    /** [B, 1, ..., 1, Tk]: the first batch dimension kept, the others (and Tq) broadcast. */
    static long[] padding(long[] batch, long tk) {
        long[] s = new long[batch.length + 2];
        Arrays.fill(s, 1);
        if (batch.length > 0) s[0] = batch[0];
        s[s.length - 1] = tk;
        return s;
    }

    static long[] randomBatch(Random r) {
        long[] b = new long[r.nextInt(3)];
        for (int i = 0; i < b.length; i++) b[i] = 1 + r.nextInt(3);
        return b;
    }

    /** Causal (top-left: key j > query i dropped) as an additive constant mask [Tq, Tk] of 0 and -inf. */
    static Tensor causalMask(int tq, int tk) {
        double[] m = new double[tq * tk];
        for (int i = 0; i < tq; i++) for (int j = 0; j < tk; j++) m[i * tk + j] = j > i ? NEG_INF : 0;
        return Tensor.of(DataType.DOUBLE, m, tq, tk);
    }

    /** softmax(q·kᵀ/√d + mask)·v from matmul, transpose, mul, add and softmax. */
    static Tensor composed(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal) {
        int d = (int) q.size(-1);
        Tensor scores = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(d));
        if (mask != null) scores = scores.add(mask);
        if (causal) scores = scores.add(causalMask((int) q.size(-2), (int) k.size(-2)));
        return scores.softmax(-1).matmul(v);
    }

    @Property
    void gradientOfQueryKeyValueAndMask(@ForAll @IntRange(min = 1, max = 3) int tq,
            @ForAll @IntRange(min = 1, max = 3) int tk, @ForAll @IntRange(min = 1, max = 3) int d,
            @ForAll @IntRange(min = 1, max = 3) int dv, @ForAll @IntRange(min = 0, max = 4) int maskKind,
            @ForAll boolean causal, @ForAll long seed) {
        Problem p = Problem.random(randomBatch(new Random(seed)), tq, tk, d, dv, maskKind, causal, seed);
        GradCheck.assertGradients(in -> Problem.fused(in, causal), p.inputs());
    }

    @Property
    void equalsMatmulSoftmaxMatmul(@ForAll @IntRange(min = 1, max = 5) int tq,
            @ForAll @IntRange(min = 1, max = 5) int tk, @ForAll @IntRange(min = 1, max = 4) int d,
            @ForAll @IntRange(min = 1, max = 4) int dv, @ForAll @IntRange(min = 0, max = 4) int maskKind,
            @ForAll boolean causal, @ForAll long seed) {
        Problem p = Problem.random(randomBatch(new Random(seed)), tq, tk, d, dv, maskKind, causal, seed);
        FusedVsComposed.assertSame(in -> Problem.fused(in, causal),
                in -> composed(in.get(0), in.get(1), in.get(2), in.size() > 3 ? in.get(3) : null, causal),
                p.inputs(), 1e-12);
    }

    @Test
    void valuesByHand() {
        // d = 1 (scale 1): q = 1, keys 0 and ln 3 -> scores [0, ln 3], P = [1/4, 3/4]; v = [4, 8] -> 1 + 6 = 7
        Tensor q = Tensor.of(DataType.DOUBLE, new double[] {1}, 1, 1);
        Tensor k = Tensor.of(DataType.DOUBLE, new double[] {0, Math.log(3)}, 2, 1);
        Tensor v = Tensor.of(DataType.DOUBLE, new double[] {4, 8}, 2, 1);
        Attention.Result r = Attention.attentionWithProbs(q, k, v, null, false);
        assertArrayEquals(new double[] {0.25, 0.75}, r.probs().toDoubleArray(), 1e-15);
        assertEquals(7, r.output().item(), 1e-14);
        // d = 4 scales by 1/2: q·k = 2 ln 3 -> score ln 3 again
        Tensor q4 = Tensor.of(DataType.DOUBLE, new double[] {1, 1, 1, 1}, 1, 4);
        double h = Math.log(3) / 2;
        Tensor k4 = Tensor.of(DataType.DOUBLE, new double[] {0, 0, 0, 0, h, h, h, h}, 2, 4);
        assertEquals(7, Attention.scaledDotProductAttention(q4, k4, v, null, false).item(), 1e-14);
        // an additive mask of -ln 3 on the second key evens the odds: P = [1/2, 1/2] -> 6
        Tensor mask = Tensor.of(DataType.DOUBLE, new double[] {0, -Math.log(3)}, 2);
        assertEquals(6, Attention.scaledDotProductAttention(q, k, v, mask, false).item(), 1e-14);
    }

    @Test
    void gradientsByHand() {
        // one query, keys with equal scores: P = [1/2, 1/2], out = (v0 + v1)/2, so dv = [1/2, 1/2] for dO = 1;
        // dP = dO·vᵀ = [4, 8], dS = P ⊙ (dP − P·dP) = [1/2·(4 − 6), 1/2·(8 − 6)] = [−1, 1]; dq = dS·k = 0 for k = 0
        Tensor q = Tensor.of(DataType.DOUBLE, new double[] {1}, 1, 1).requiresGrad(true);
        Tensor k = Tensor.of(DataType.DOUBLE, new double[] {0, 0}, 2, 1).requiresGrad(true);
        Tensor v = Tensor.of(DataType.DOUBLE, new double[] {4, 8}, 2, 1).requiresGrad(true);
        Attention.scaledDotProductAttention(q, k, v, null, false).sum().backward();
        assertArrayEquals(new double[] {0.5, 0.5}, Tensor.of(v.grad()).toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {0}, Tensor.of(q.grad()).toDoubleArray(), 1e-15);
        // dk = dSᵀ·q/√d = [−1, 1]·1
        assertArrayEquals(new double[] {-1, 1}, Tensor.of(k.grad()).toDoubleArray(), 1e-15);
    }

    @Test
    void causalIsTopLeftAlignedLikePyTorch() {
        // Tq = 3, Tk = 2, all scores equal: query 0 sees key 0 only, queries 1 and 2 see both keys
        Tensor q = Tensor.zeros(3, 2);
        Tensor k = Tensor.zeros(2, 2);
        Tensor v = Tensor.of(new double[] {2, 4}, 2, 1);
        Attention.Result r = Attention.attentionWithProbs(q, k, v, null, true);
        assertArrayEquals(new double[] {1, 0, 0.5, 0.5, 0.5, 0.5}, r.probs().toDoubleArray(), 0);
        assertArrayEquals(new double[] {2, 3, 3}, r.output().toDoubleArray(), 0);
        // Tq = 2, Tk = 3: query 0 sees key 0, query 1 keys 0 and 1; the last key is never seen
        Tensor r2 = Attention.attentionWithProbs(Tensor.zeros(2, 2), Tensor.zeros(3, 2), Tensor.zeros(3, 1), null, true)
                .probs();
        assertArrayEquals(new double[] {1, 0, 0, 0.5, 0.5, 0}, r2.toDoubleArray(), 0);
    }

    @Test
    void fullyMaskedRowsGiveZerosNotNaN() {
        // batch 2: the second sequence pads every key, the first pads key 1 (a [B, 1, Tk] padding mask)
        Random rnd = new Random(3);
        Tensor q = Tensor.randn(rnd, 2, 2, 3).castTo(DataType.DOUBLE).requiresGrad(true);
        Tensor k = Tensor.randn(rnd, 2, 2, 3).castTo(DataType.DOUBLE).requiresGrad(true);
        Tensor v = Tensor.randn(rnd, 2, 2, 4).castTo(DataType.DOUBLE).requiresGrad(true);
        Tensor mask = Tensor.of(DataType.DOUBLE, new double[] {0, NEG_INF, NEG_INF, NEG_INF}, 2, 1, 2);
        Attention.Result r = Attention.attentionWithProbs(q, k, v, mask, false);
        double[] p = r.probs().toDoubleArray();
        assertArrayEquals(new double[] {1, 0, 1, 0, 0, 0, 0, 0}, p, 0);
        double[] out = r.output().toDoubleArray();
        double[] vv = v.toDoubleArray();
        // the first sequence copies v[0, 0]; the second is all zeros
        assertArrayEquals(Arrays.copyOfRange(vv, 0, 4), Arrays.copyOfRange(out, 0, 4), 1e-15);
        assertArrayEquals(new double[8], Arrays.copyOfRange(out, 8, 16), 0);
        r.output().sum().backward();
        for (Tensor t : List.of(q, k, v)) {
            for (double g : Tensor.of(t.grad()).toDoubleArray()) assertFalse(Double.isNaN(g));
        }
        // the padded sequence gets no gradient at all; the padded key of the first gets none either
        double[] gq = Tensor.of(q.grad()).toDoubleArray();
        assertArrayEquals(new double[6], Arrays.copyOfRange(gq, 6, 12), 0);
        double[] gv = Tensor.of(v.grad()).toDoubleArray();
        assertArrayEquals(new double[] {2, 2, 2, 2, 0, 0, 0, 0}, Arrays.copyOfRange(gv, 0, 8), 0);
    }

    @Test
    void booleanMaskMeansMayAttendLikePyTorch() {
        Random rnd = new Random(9);
        Tensor q = Tensor.randn(rnd, 2, 3, 4);
        Tensor k = Tensor.randn(rnd, 2, 5, 4);
        Tensor v = Tensor.randn(rnd, 2, 5, 2);
        boolean[] keep = {true, true, false, true, false};
        double[] additive = new double[5];
        for (int j = 0; j < 5; j++) additive[j] = keep[j] ? 0 : NEG_INF;
        Tensor boolMask = Tensor.of(Nd4j.createFromArray(keep));
        Tensor floatMask = Tensor.of(additive, 5);
        assertArrayEquals(Attention.scaledDotProductAttention(q, k, v, floatMask, true).toDoubleArray(),
                Attention.scaledDotProductAttention(q, k, v, boolMask, true).toDoubleArray(), 0);
    }

    @Test
    void probabilitiesAreACopyOutsideTheGraph() {
        Random rnd = new Random(4);
        Tensor q = Tensor.randn(rnd, 2, 3, 4, 8).castTo(DataType.DOUBLE).requiresGrad(true);
        Tensor k = Tensor.randn(rnd, 2, 3, 6, 8).castTo(DataType.DOUBLE);
        Tensor v = Tensor.randn(rnd, 2, 3, 6, 5).castTo(DataType.DOUBLE);
        Attention.Result r = Attention.attentionWithProbs(q, k, v, null, false);
        assertArrayEquals(new long[] {2, 3, 4, 6}, r.probs().shape());
        assertNull(r.probs().gradFn());
        assertFalse(r.probs().requiresGrad());
        double[] p = r.probs().toDoubleArray();
        for (int row = 0; row < p.length / 6; row++) {
            double s = 0;
            for (int j = 0; j < 6; j++) s += p[row * 6 + j];
            assertEquals(1, s, 1e-14);
        }
        Tensor expected = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(8)).softmax(-1);
        assertArrayEquals(expected.toDoubleArray(), p, 1e-14);
        // the output is the same as without the probabilities, and still differentiable
        assertArrayEquals(Attention.scaledDotProductAttention(q, k, v, null, false).toDoubleArray(),
                r.output().toDoubleArray(), 0);
        r.output().sum().backward();
        assertTrue(q.grad() != null);
    }

    @Test
    void manyHeadsSplitAcrossThreadsMatchTheComposition() {
        // 4 × 6 heads of 32 × 32 × 16: several heads per piece of parallel work, a padding mask that grads flow to
        Random rnd = new Random(12);
        Tensor q = Tensor.randn(rnd, 4, 6, 32, 16).castTo(DataType.DOUBLE);
        Tensor k = Tensor.randn(rnd, 4, 6, 32, 16).castTo(DataType.DOUBLE);
        Tensor v = Tensor.randn(rnd, 4, 6, 32, 16).castTo(DataType.DOUBLE);
        Tensor bias = Tensor.randn(rnd, 4, 1, 1, 32).castTo(DataType.DOUBLE);
        for (boolean causal : new boolean[] {false, true}) {
            FusedVsComposed.assertSame(in -> Attention.scaledDotProductAttention(in.get(0), in.get(1), in.get(2),
                            in.get(3), causal),
                    in -> composed(in.get(0), in.get(1), in.get(2), in.get(3), causal), List.of(q, k, v, bias), 1e-12);
        }
        // float32 agrees with float64 to float precision
        Tensor out32 = Attention.scaledDotProductAttention(q.castTo(DataType.FLOAT), k.castTo(DataType.FLOAT),
                v.castTo(DataType.FLOAT), null, true);
        assertEquals(DataType.FLOAT, out32.dtype());
        assertArrayEquals(Attention.scaledDotProductAttention(q, k, v, null, true).toDoubleArray(),
                out32.toDoubleArray(), 1e-5);
    }

    /**
     * Storage [B, H, capacity, width] whose first {@code length} rows per head are random and whose other rows are
     * NaN: a cached attention that read past the length would turn its output into NaN.
     */
    static Tensor cacheStorage(int b, int h, int capacity, int length, int width, long seed, DataType dtype) {
        double[] values = Gen.randn(seed, b, h, capacity, width).toDoubleArray();
        for (int i = 0; i < values.length; i++) {
            if (i / width % capacity >= length) values[i] = Double.NaN;
        }
        return Tensor.of(dtype, values, b, h, capacity, width);
    }

    /** Query i of the last n sits at position length-n+i and sees keys 0 .. length-n+i: an additive [n, length]. */
    static Tensor bottomRightCausal(int n, int length) {
        double[] m = new double[n * length];
        for (int i = 0; i < n; i++) for (int j = 0; j < length; j++) m[i * length + j] = j > length - n + i ? NEG_INF : 0;
        return Tensor.of(DataType.DOUBLE, m, n, length);
    }

    /** [B, H, n, w] -> [B, n, H·w]: the heads side by side, as a projection makes them. */
    static Tensor sideBySide(Tensor x) {
        return x.transpose(1, 2).reshape(x.size(0), x.size(2), x.size(1) * x.size(3));
    }

    @Property(tries = 30)
    void cachedAttentionEqualsAttentionOverTheFilledRows(@ForAll @IntRange(min = 1, max = 2) int b,
            @ForAll @IntRange(min = 1, max = 3) int h, @ForAll @IntRange(min = 1, max = 4) int n,
            @ForAll @IntRange(min = 0, max = 4) int past, @ForAll @IntRange(min = 0, max = 3) int spare,
            @ForAll @IntRange(min = 1, max = 4) int d, @ForAll @IntRange(min = 1, max = 4) int dv,
            @ForAll long seed) {
        int length = past + n;
        int capacity = length + spare;
        Tensor q = Gen.randn(seed, b, h, n, d);
        Tensor keys = cacheStorage(b, h, capacity, length, d, seed + 1, DataType.DOUBLE);
        Tensor values = cacheStorage(b, h, capacity, length, dv, seed + 2, DataType.DOUBLE);
        Tensor got = Attention.cachedAttention(sideBySide(q), keys, values, length);
        Tensor want = sideBySide(composed(q, keys.narrow(2, 0, length), values.narrow(2, 0, length),
                bottomRightCausal(n, length), false));
        assertArrayEquals(want.shape(), got.shape());
        assertArrayEquals(want.toDoubleArray(), got.toDoubleArray(), 1e-12);
        // float32 storage agrees to float precision
        Tensor got32 = Attention.cachedAttention(sideBySide(q).castTo(DataType.FLOAT),
                cacheStorage(b, h, capacity, length, d, seed + 1, DataType.FLOAT),
                cacheStorage(b, h, capacity, length, dv, seed + 2, DataType.FLOAT), length);
        assertEquals(DataType.FLOAT, got32.dtype());
        assertArrayEquals(want.toDoubleArray(), got32.toDoubleArray(), 1e-5);
    }

    @Test
    void cachedAttentionByHand() {
        // d = 1, two cached positions (keys 0 and ln 3, values 4 and 8) and a spare row of NaN
        Tensor keys = Tensor.of(DataType.DOUBLE, new double[] {0, Math.log(3), Double.NaN}, 1, 1, 3, 1);
        Tensor values = Tensor.of(DataType.DOUBLE, new double[] {4, 8, Double.NaN}, 1, 1, 3, 1);
        // one new query (position 1) sees both keys: P = [1/4, 3/4] -> 1 + 6 = 7
        Tensor one = Tensor.of(DataType.DOUBLE, new double[] {1}, 1, 1, 1);
        assertArrayEquals(new double[] {7}, Attention.cachedAttention(one, keys, values, 2).toDoubleArray(), 1e-14);
        // a prompt of two queries into an empty cache is causal: query 0 sees key 0 only -> 4; query 1 -> 7
        Tensor two = Tensor.of(DataType.DOUBLE, new double[] {1, 1}, 1, 2, 1);
        assertArrayEquals(new double[] {4, 7}, Attention.cachedAttention(two, keys, values, 2).toDoubleArray(), 1e-14);
    }

    @Test
    void cachedAttentionIsInferenceOnlyAndNamesBadArguments() {
        Tensor keys = Tensor.zeros(1, 2, 4, 3);
        Tensor values = Tensor.zeros(1, 2, 4, 5);
        Tensor q = Tensor.zeros(1, 1, 6).requiresGrad(true);
        IllegalStateException grad = assertThrows(IllegalStateException.class,
                () -> Attention.cachedAttention(q, keys, values, 2));
        assertTrue(grad.getMessage().contains("GradMode.off()"), grad.getMessage());
        try (var off = io.carpathia.engine.autograd.GradMode.off()) {
            assertArrayEquals(new long[] {1, 1, 10}, Attention.cachedAttention(q, keys, values, 2).shape());
        }
        Tensor q1 = Tensor.zeros(1, 1, 6);
        ShapeException tooLong = assertThrows(ShapeException.class,
                () -> Attention.cachedAttention(q1, keys, values, 5));
        assertEquals("cachedAttention: length 5 must count the 1 new queries and fit the capacity 4 "
                + "(n <= length <= capacity), got q [1, 1, 6], keys [1, 2, 4, 3], values [1, 2, 4, 5]",
                tooLong.getMessage());
        ShapeException width = assertThrows(ShapeException.class,
                () -> Attention.cachedAttention(Tensor.zeros(1, 1, 5), keys, values, 2));
        assertTrue(width.getMessage().contains("H·d = 2·3"), width.getMessage());
        assertThrows(ShapeException.class, () -> Attention.cachedAttention(Tensor.zeros(1, 3, 6), keys, values, 2));
        assertThrows(ShapeException.class, () -> Attention.cachedAttention(q1, keys, Tensor.zeros(1, 2, 3, 5), 2));
        assertThrows(ShapeException.class, () -> Attention.cachedAttention(Tensor.zeros(2, 1, 6), keys, values, 2));
        assertThrows(ShapeException.class, () -> Attention.cachedAttention(Tensor.zeros(1, 6), keys, values, 2));
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> Attention.cachedAttention(q1.castTo(DataType.DOUBLE), keys, values, 2));
        assertEquals("cachedAttention: q, keys and values must all be FLOAT or all DOUBLE, got q DOUBLE, keys FLOAT "
                + "and values FLOAT", mixed.getMessage());
    }

    @Test
    void badShapesAreNamed() {
        Tensor q = Tensor.zeros(2, 3, 4);
        ShapeException d = assertThrows(ShapeException.class,
                () -> Attention.scaledDotProductAttention(q, Tensor.zeros(2, 5, 3), Tensor.zeros(2, 5, 4), null, false));
        assertEquals("scaledDotProductAttention: q and k must have the same last dimension d, got q [2, 3, 4] and "
                + "k [2, 5, 3]", d.getMessage());
        ShapeException t = assertThrows(ShapeException.class,
                () -> Attention.scaledDotProductAttention(q, Tensor.zeros(2, 5, 4), Tensor.zeros(2, 6, 4), null, false));
        assertTrue(t.getMessage().contains("k and v must have the same number of keys Tk"), t.getMessage());
        ShapeException b = assertThrows(ShapeException.class,
                () -> Attention.scaledDotProductAttention(q, Tensor.zeros(1, 5, 4), Tensor.zeros(1, 5, 4), null, false));
        assertTrue(b.getMessage().contains("same leading dimensions"), b.getMessage());
        ShapeException m = assertThrows(ShapeException.class, () -> Attention.scaledDotProductAttention(q,
                Tensor.zeros(2, 5, 4), Tensor.zeros(2, 5, 4), Tensor.zeros(3, 1, 5), false));
        assertEquals("scaledDotProductAttention: attnMask [3, 1, 5] does not broadcast to the scores' shape "
                + "[2, 3, 5] ([..., Tq, Tk])", m.getMessage());
        IllegalArgumentException ints = assertThrows(IllegalArgumentException.class, () -> Attention
                .scaledDotProductAttention(q, Tensor.zeros(2, 5, 4), Tensor.zeros(2, 5, 4),
                        Tensor.indices(new long[] {1, 1, 1, 1, 0}, 5), false));
        assertEquals("scaledDotProductAttention: attnMask must be FLOAT or DOUBLE (added to the scores) or BOOL "
                + "(true = attend), got LONG", ints.getMessage());
    }
}
