package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.testing.Gen;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * float32 tensors take their own kernels (float arithmetic on the arrays' values; vectorised exponentials). Each op
 * here runs forward and backward in float32 and in float64 on the same values: the float32 results must be the
 * float64 ones to float32 precision. Shapes reach past a chunk (4,096 values) and past the size at which kernels
 * split across threads, so every path of the loops runs.
 */
class Float32PathTest {

    /** Relative tolerance: a few float32 roundings (6e-8 each) of the op and its backward. */
    private static final double RTOL = 2e-6;

    @Provide
    Arbitrary<long[]> shapes() {
        return Arbitraries.oneOf(Gen.shapes(1, 4, 5), Gen.shapes(1, 3, 48), Arbitraries.of(new long[] {70_000}));
    }

    @Property(tries = 15)
    void elementwiseArithmetic(@ForAll("shapes") long[] shape, @ForAll long seed) {
        long[] small = rowOf(shape); // broadcasts against shape
        check(in -> in.get(0).add(in.get(1)), seed, shape, shape);
        check(in -> in.get(0).sub(in.get(1)), seed, shape, small);
        check(in -> in.get(0).mul(in.get(1)), seed, small, shape);
        check(in -> in.get(0).div(in.get(1).abs().add(0.5)), seed, shape, small);
        check(in -> in.get(0).mul(3).add(-2).neg(), seed, shape);
    }

    @Property(tries = 15)
    void activations(@ForAll("shapes") long[] shape, @ForAll long seed) {
        check(in -> in.get(0).mul(4).exp(), seed, shape);
        check(in -> in.get(0).mul(4).sigmoid(), seed, shape);
        check(in -> in.get(0).mul(4).tanh(), seed, shape);
        check(in -> in.get(0).relu(), seed, shape);
        // float32 GELU takes erf to 1.5e-7 absolute (Abramowitz and Stegun 7.1.26): |x|·1.5e-7 in the value
        checkWithin(5e-6, in -> Activations.gelu(in.get(0).mul(3)), seed, shape);
        // x·4 is exact in float32, so both runs see the same input. Deep in the negative tail float32 carries e^(−2u)'s
        // argument to 2^-24·|2u| (up to 5e-6 relatively at GELU values near 1e-25): compared absolutely there
        checkWithin(1e-15, in -> Activations.geluTanh(in.get(0).mul(4)), seed, shape);
    }

    @Property(tries = 15)
    void rowOps(@ForAll("shapes") long[] shape, @ForAll long seed) {
        int dim = new Random(seed).nextInt(shape.length);
        check(in -> in.get(0).mul(5).softmax(dim), seed, shape);
        if (shape[dim] <= 64) {
            // log-softmax's backward, g − e^y·Σg, carries y's float32 rounding times |Σg|, which grows with the lane
            check(in -> in.get(0).mul(2).logSoftmax(dim), seed, shape);
        }
        check(in -> in.get(0).mul(5).softmax(-1), seed, shape);
        long c = shape[shape.length - 1];
        // x itself, not a float32-rounded transform of it: with two or three values per row the statistics are
        // ill-conditioned (x1 ≈ x2 leaves only eps), and a rounding of the input alone would move the result
        check(in -> Normalization.layerNorm(in.get(0), in.get(1), in.get(2), 1e-5), seed, shape,
                new long[] {c}, new long[] {c});
    }

    @Property(tries = 15)
    void crossEntropyAndAttention(@ForAll("shapes") long[] shape, @ForAll long seed) {
        long c = shape[shape.length - 1];
        long rows = Shapes.numel(shape) / c;
        Random r = new Random(seed);
        long[] targets = new long[(int) rows];
        for (int i = 0; i < targets.length; i++) targets[i] = r.nextInt((int) c);
        Tensor t = Tensor.indices(targets, rows);
        check(in -> Losses.crossEntropy(in.get(0).mul(4).reshape(rows, c), t), seed, shape);
        long tq = 1 + r.nextInt(40);
        long d = 1 + r.nextInt(16);
        check(in -> Attention.scaledDotProductAttention(in.get(0), in.get(1), in.get(2), null, true), seed,
                new long[] {2, tq, d}, new long[] {2, tq, d}, new long[] {2, tq, d});
    }

    @Property(tries = 10)
    void activationsWithoutAGraph(@ForAll("shapes") long[] shape, @ForAll long seed) {
        // inference takes its own paths (GELU's tanh form keeps nothing for a backward)
        Tensor x32 = Gen.randn(seed, shape).castTo(DataType.FLOAT);
        Tensor x64 = x32.castTo(DataType.DOUBLE);
        try (GradMode off = GradMode.off()) {
            // absolutely 1e-15 deep in the negative tail, as in activations(): there float32 reaches 0 (as PyTorch's
            // float32 GELU does, where tanh rounds to -1) while float64 still has a value near 1e-43
            assertClose(Activations.geluTanh(x64.mul(4)).toDoubleArray(),
                    Activations.geluTanh(x32.mul(4)).toDoubleArray(), 1e-15, "geluTanh");
            assertClose(x64.mul(4).exp().toDoubleArray(), x32.mul(4).exp().toDoubleArray(), 0, "exp");
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** The last dimension of a shape as a shape of its own (a bias-like operand). */
    private static long[] rowOf(long[] shape) {
        return new long[] {shape[shape.length - 1]};
    }

    private static void check(Function<List<Tensor>, Tensor> f, long seed, long[]... shapes) {
        checkWithin(0, f, seed, shapes);
    }

    /** As {@link #check}, allowing also an absolute difference of {@code atol}. */
    private static void checkWithin(double atol, Function<List<Tensor>, Tensor> f, long seed, long[]... shapes) {
        List<Tensor> f32 = new ArrayList<>();
        List<Tensor> f64 = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            Tensor x = Gen.randn(seed + i, shapes[i]).castTo(DataType.FLOAT);
            f32.add(x.requiresGrad(true));
            f64.add(x.castTo(DataType.DOUBLE).requiresGrad(true));
        }
        Tensor y32 = f.apply(f32);
        Tensor y64 = f.apply(f64);
        assertEquals(DataType.FLOAT, y32.dtype());
        Tensor g = Gen.randn(seed ^ 0x5DEECE66DL, y32.shape()).castTo(DataType.FLOAT);
        y32.backward(g);
        y64.backward(g.castTo(DataType.DOUBLE));
        assertClose(y64.toDoubleArray(), y32.toDoubleArray(), atol, "values");
        // backwards that use the rounded float32 output (tanh: 1 − t², softmax: y·(g − Σ g·y)) lose up to a float32
        // rounding of the upstream gradient times the op's input scale (≤ 5 here), where the derivative cancels
        double gradAtol = atol + 5 * 1.2e-7 * maxAbs(g.toDoubleArray());
        for (int i = 0; i < shapes.length; i++) {
            assertClose(Tensor.of(f64.get(i).grad()).toDoubleArray(), Tensor.of(f32.get(i).grad()).toDoubleArray(),
                    gradAtol, "gradient of input " + i);
        }
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    /**
     * Elementwise |a − b| ≤ RTOL·(|b| + the mean magnitude of b) + atol: relative, with room where values cancel.
     */
    private static void assertClose(double[] expected, double[] actual, double atol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double mean = 0;
        for (double v : expected) mean += Math.abs(v);
        mean /= Math.max(1, expected.length);
        for (int i = 0; i < expected.length; i++) {
            double tol = RTOL * (Math.abs(expected[i]) + mean) + atol;
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                throw new AssertionError(what + " [" + i + "]: float32 gave " + actual[i] + ", float64 " + expected[i]
                        + " (tolerance " + tol + ")");
            }
        }
    }
}
