package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.ops.Losses.Reduction;
import io.carpathia.engine.testing.Gen;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class LossesTest {

    private static final double LN2 = Math.log(2);
    private static final double LN3 = Math.log(3);
    private static final double LN1_5 = Math.log(1.5);

    @Provide
    Arbitrary<long[]> logitShapes() {
        return Gen.shapes(1, 3, 4);
    }

    /** A random cross-entropy problem: targets in [0, C), some replaced by the ignore index (at least one kept). */
    private record Problem(Tensor logits, Tensor target, long ignoreIndex, double smoothing, Reduction reduction) {
        static Problem random(long[] shape, long seed) {
            Random r = new Random(seed);
            int c = (int) shape[shape.length - 1];
            long[] rowShape = Arrays.copyOf(shape, shape.length - 1);
            long[] t = new long[(int) Shapes.numel(rowShape)];
            // the ignore index is either PyTorch's default or one of the classes
            long ignore = r.nextBoolean() ? -100 : r.nextInt(c);
            for (int i = 0; i < t.length; i++) t[i] = r.nextInt(4) == 0 ? ignore : r.nextInt(c);
            if (Arrays.stream(t).allMatch(v -> v == ignore)) {
                if (ignore == -100) t[0] = 0;
                else if (c > 1) t[0] = (ignore + 1) % c;
                else return random(shape, seed + 1); // one class and it is ignored: draw again
            }
            double eps = new double[] {0, 0.1, 0.37, 1}[r.nextInt(4)];
            Reduction red = Reduction.values()[r.nextInt(3)];
            return new Problem(Gen.randn(seed, shape).mul(2), Tensor.indices(t, rowShape), ignore, eps, red);
        }

        Tensor fused(Tensor z) {
            return Losses.crossEntropy(z, target, ignoreIndex, smoothing, reduction);
        }

        /**
         * The same loss from primitive ops: −Σ_c q[c] · logSoftmax(z)[c] per row, with the smoothed target
         * distribution q = (1 − ε)·onehot(t) + ε/C built as a constant (zero on ignored rows), then reduced.
         */
        Tensor composed(Tensor z) {
            long[] zs = z.shape();
            int c = (int) zs[zs.length - 1];
            long[] t = target.value().reshape(target.numel()).toLongVector();
            double[] q = new double[t.length * c];
            long counted = 0;
            for (int row = 0; row < t.length; row++) {
                if (t[row] == ignoreIndex) continue;
                counted++;
                for (int k = 0; k < c; k++) q[row * c + k] = smoothing / c + (k == t[row] ? 1 - smoothing : 0);
            }
            Tensor perRow = z.logSoftmax(-1).mul(Tensor.of(DataType.DOUBLE, q, zs)).sum(-1, false).neg();
            return switch (reduction) {
                case NONE -> perRow;
                case SUM -> perRow.sum();
                case MEAN -> perRow.sum().div(counted);
            };
        }
    }

    @Property(tries = 25)
    void crossEntropyGradient(@ForAll("logitShapes") long[] shape, @ForAll long seed) {
        Problem p = Problem.random(shape, seed);
        GradCheck.assertGradients(in -> p.fused(in.get(0)), List.of(p.logits()));
    }

    @Property(tries = 25)
    void crossEntropyEqualsLogSoftmaxTimesSmoothedOneHot(@ForAll("logitShapes") long[] shape, @ForAll long seed) {
        Problem p = Problem.random(shape, seed);
        FusedVsComposed.assertSame(in -> p.fused(in.get(0)), in -> p.composed(in.get(0)), List.of(p.logits()), 1e-12);
    }

    @Test
    void uniformLogitsGiveLnC() {
        // every class has probability 1/C: −log(1/C) = ln C, and smoothing mixes ln C with ln C
        Tensor z = Tensor.zeros(3, 5);
        Tensor t = Tensor.indices(new long[] {0, 4, 2}, 3);
        assertEquals(Math.log(5), z.crossEntropy(t).item(), 1e-6);
        assertEquals(Math.log(5), Losses.crossEntropy(z, t, -100, 0.3, Reduction.MEAN).item(), 1e-6);
        assertEquals(3 * Math.log(5), Losses.crossEntropy(z, t, -100, 0, Reduction.SUM).item(), 1e-5);
    }

    @Test
    void labelSmoothingByHand() {
        // z = [0, ln 2]: p = [1/3, 2/3]; target 1
        Tensor z = Tensor.of(DataType.DOUBLE, new double[] {0, LN2}, 1, 2);
        Tensor t = Tensor.indices(new long[] {1}, 1);
        assertEquals(LN1_5, z.crossEntropy(t).item(), 1e-15);
        // ε = 0.2, C = 2: (1 − ε)·(−log p[1]) + ε/C·(−log p[0] − log p[1]) = 0.8·ln 1.5 + 0.1·(ln 3 + ln 1.5)
        double expected = 0.8 * LN1_5 + 0.1 * (LN3 + LN1_5);
        assertEquals(0.47477982, expected, 1e-8);
        assertEquals(expected, Losses.crossEntropy(z, t, -100, 0.2, Reduction.MEAN).item(), 1e-15);
        // ε = 1 ignores the target entirely: the mean of −log p = (ln 3 + ln 1.5) / 2
        assertEquals((LN3 + LN1_5) / 2, Losses.crossEntropy(z, t, -100, 1, Reduction.MEAN).item(), 1e-15);
    }

    @Test
    void ignoredTargetsAreNotCountedInTheMean() {
        // rows: [0, ln 2] → target 1 (loss ln 1.5); ignored; [0, 0] → target 0 (loss ln 2)
        Tensor z = Tensor.of(DataType.DOUBLE, new double[] {0, LN2, 5, -5, 0, 0}, 3, 2).requiresGrad(true);
        Tensor t = Tensor.indices(new long[] {1, -100, 0}, 3);
        assertEquals((LN1_5 + LN2) / 2, z.crossEntropy(t).item(), 1e-15);
        assertEquals(LN1_5 + LN2, Losses.crossEntropy(z, t, -100, 0, Reduction.SUM).item(), 1e-15);
        assertArrayEquals(new double[] {LN1_5, 0, LN2},
                Losses.crossEntropy(z, t, -100, 0, Reduction.NONE).toDoubleArray(), 1e-15);
        // with smoothing the ignored row stays out of both terms and of the count:
        // ((0.9·ln 1.5 + 0.05·(ln 3 + ln 1.5)) + (0.9·ln 2 + 0.05·2·ln 2)) / 2
        double smoothed = ((0.9 * LN1_5 + 0.05 * (LN3 + LN1_5)) + (0.9 * LN2 + 0.1 * LN2)) / 2;
        assertEquals(smoothed, Losses.crossEntropy(z, t, -100, 0.1, Reduction.MEAN).item(), 1e-15);
        // gradient of the mean: (p − onehot(t)) / 2 on counted rows, 0 on the ignored one
        z.crossEntropy(t).backward();
        assertArrayEquals(new double[] {1.0 / 6, -1.0 / 6, 0, 0, -0.25, 0.25}, Tensor.of(z.grad()).toDoubleArray(), 1e-15);
    }

    @Test
    void anIgnoreIndexInsideTheClassRangeIgnoresThatClass() {
        Tensor z = Tensor.of(DataType.DOUBLE, new double[] {0, LN2, 0, 0}, 2, 2);
        Tensor t = Tensor.indices(new long[] {1, 0}, 2);
        assertEquals(LN1_5, Losses.crossEntropy(z, t, 0, 0, Reduction.MEAN).item(), 1e-15);
    }

    @Test
    void allTargetsIgnoredGiveNaNMeanLikePyTorch() {
        Tensor z = Tensor.of(DataType.DOUBLE, new double[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor t = Tensor.indices(new long[] {-100, -100}, 2);
        Tensor mean = Losses.crossEntropy(z, t, -100, 0.1, Reduction.MEAN);
        assertTrue(Double.isNaN(mean.item()));
        assertEquals(0, Losses.crossEntropy(z, t, -100, 0.1, Reduction.SUM).item(), 0);
        // nothing was counted, so nothing flows back: zeros, not NaN
        mean.backward();
        assertArrayEquals(new double[4], Tensor.of(z.grad()).toDoubleArray(), 0);
    }

    @Test
    void largeBatchesMatchTheComposition() {
        // 96 rows of 700 classes: rows split across threads; float32 logits too
        long[] t = new long[96];
        Random r = new Random(6);
        for (int i = 0; i < t.length; i++) t[i] = i % 7 == 0 ? -100 : r.nextInt(700);
        Problem p = new Problem(Tensor.randn(r, 2, 48, 700).castTo(DataType.DOUBLE), Tensor.indices(t, 2, 48), -100, 0.1,
                Reduction.MEAN);
        FusedVsComposed.assertSame(in -> p.fused(in.get(0)), in -> p.composed(in.get(0)), List.of(p.logits()), 1e-12);
        Tensor z32 = p.logits().castTo(DataType.FLOAT);
        assertEquals(DataType.FLOAT, p.fused(z32).dtype());
        assertEquals(p.fused(p.logits()).item(), p.fused(z32).item(), 1e-5);
    }

    @Test
    void badTargetsAreClearErrors() {
        Tensor z = Tensor.zeros(2, 5);
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> z.crossEntropy(Tensor.indices(new long[] {1, 5}, 2)));
        assertEquals("crossEntropy: target 5 is out of range for 5 classes (expected 0 ≤ target < 5, or the ignore "
                + "index -100)", range.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> z.crossEntropy(Tensor.indices(new long[] {-1, 0}, 2)));
        assertTrue(negative.getMessage().startsWith("crossEntropy: target -1 is out of range for 5 classes"));
        ShapeException shape = assertThrows(ShapeException.class, () -> z.crossEntropy(Tensor.indices(new long[] {1}, 1)));
        assertEquals("crossEntropy: target must have the logits' shape without the class dimension, [2] for logits "
                + "[2, 5], got [1]", shape.getMessage());
        IllegalArgumentException floats = assertThrows(IllegalArgumentException.class,
                () -> z.crossEntropy(Tensor.of(new double[] {1, 2}, 2)));
        assertEquals("crossEntropy: target must hold integer class indices (see Tensor.indices), got a FLOAT tensor",
                floats.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(z, Tensor.indices(new long[] {1, 2}, 2), -100, 1.5, Reduction.MEAN));
    }

    // ------------------------------------------------------------------------------------------------ mse

    @Property(tries = 20)
    void mseGradientForInputAndTarget(@ForAll("logitShapes") long[] shape, @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 2) int reduction) {
        Reduction red = Reduction.values()[reduction];
        GradCheck.assertGradients(in -> Losses.mseLoss(in.get(0), in.get(1), red),
                List.of(Gen.randn(seed, shape), Gen.randn(seed + 1, shape)));
    }

    @Property(tries = 15)
    void mseEqualsSquaredDifferenceReduced(@ForAll("logitShapes") long[] shape, @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 2) int reduction) {
        Reduction red = Reduction.values()[reduction];
        FusedVsComposed.assertSame(in -> Losses.mseLoss(in.get(0), in.get(1), red), in -> {
            Tensor sq = in.get(0).sub(in.get(1)).pow(2);
            return red == Reduction.NONE ? sq : red == Reduction.SUM ? sq.sum() : sq.mean();
        }, List.of(Gen.randn(seed, shape), Gen.randn(seed + 1, shape)), 1e-12);
    }

    @Test
    void mseByHand() {
        Tensor x = Tensor.of(DataType.DOUBLE, new double[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor t = Tensor.of(DataType.DOUBLE, new double[] {1, 0, 0}, 3);
        assertEquals(13.0 / 3, x.mseLoss(t).item(), 1e-15);
        assertEquals(13, Losses.mseLoss(x, t, Reduction.SUM).item(), 1e-15);
        assertArrayEquals(new double[] {0, 4, 9}, Losses.mseLoss(x, t, Reduction.NONE).toDoubleArray(), 0);
        x.mseLoss(t).backward();
        // 2(x − t)/n
        assertArrayEquals(new double[] {0, 4.0 / 3, 2}, Tensor.of(x.grad()).toDoubleArray(), 1e-15);
        ShapeException e = assertThrows(ShapeException.class, () -> x.mseLoss(Tensor.zeros(1, 3)));
        assertEquals("mseLoss: input [3] and target [1, 3] must have the same shape", e.getMessage());
    }

    @Test
    void mseOfManyElementsSumsInDouble() {
        // 200 000 float32 elements split across threads; every difference is 1, so the sum is exact
        Tensor x = Tensor.full(3, 200_000);
        Tensor t = Tensor.full(2, 200_000);
        assertEquals(200_000, Losses.mseLoss(x, t, Reduction.SUM).item(), 0);
        assertEquals(1, x.mseLoss(t).item(), 0);
    }
}
