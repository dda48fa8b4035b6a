package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.testing.Gen;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class SoftmaxTest {

    @Provide
    Arbitrary<long[]> shapes() {
        return Gen.shapes(0, 4, 4);
    }

    /** A dimension of the shape, negative half the time (a scalar takes 0 or -1). */
    private static int someDim(long[] shape, long seed) {
        int rank = Math.max(shape.length, 1);
        Random r = new Random(seed);
        int d = r.nextInt(rank);
        return r.nextBoolean() ? d - rank : d;
    }

    @Property(tries = 25)
    void softmaxGradientOnAnyDim(@ForAll("shapes") long[] shape, @ForAll long seed) {
        int dim = someDim(shape, seed);
        GradCheck.assertGradients(in -> in.get(0).softmax(dim), List.of(Gen.randn(seed, shape).mul(3)));
    }

    @Property(tries = 25)
    void logSoftmaxGradientOnAnyDim(@ForAll("shapes") long[] shape, @ForAll long seed) {
        int dim = someDim(shape, seed);
        GradCheck.assertGradients(in -> in.get(0).logSoftmax(dim), List.of(Gen.randn(seed, shape).mul(3)));
    }

    @Property(tries = 20)
    void softmaxEqualsExpOverSumOfExp(@ForAll("shapes") long[] shape, @ForAll long seed) {
        // sum(dim) takes only dim 0 on a scalar
        int dim = shape.length == 0 ? 0 : someDim(shape, seed);
        Tensor x = Gen.randn(seed, shape);
        FusedVsComposed.assertSame(in -> in.get(0).softmax(dim),
                in -> in.get(0).exp().div(in.get(0).exp().sum(dim, true)), List.of(x), 1e-12);
    }

    @Property(tries = 20)
    void logSoftmaxEqualsXMinusLogSumExp(@ForAll("shapes") long[] shape, @ForAll long seed) {
        // sum(dim) takes only dim 0 on a scalar
        int dim = shape.length == 0 ? 0 : someDim(shape, seed);
        Tensor x = Gen.randn(seed, shape);
        FusedVsComposed.assertSame(in -> in.get(0).logSoftmax(dim),
                in -> in.get(0).sub(in.get(0).exp().sum(dim, true).log()), List.of(x), 1e-12);
    }

    @Test
    void valuesByHand() {
        // softmax([1, 2, 3]) = e^i / (e + e² + e³)
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        double[] expected = {Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z};
        assertArrayEquals(new double[] {0.09003057317038046, 0.24472847105479764, 0.6652409557748218}, expected, 1e-15);
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 3);
        assertArrayEquals(expected, x.softmax(0).toDoubleArray(), 1e-7);
        assertArrayEquals(new double[] {1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)},
                x.logSoftmax(-1).toDoubleArray(), 1e-6);
        // along dim 0 of [2, 2]: each column separately
        Tensor m = Tensor.of(new double[] {0, 5, Math.log(3), 5}, 2, 2);
        assertArrayEquals(new double[] {0.25, 0.5, 0.75, 0.5}, m.softmax(0).toDoubleArray(), 1e-7);
        // a scalar is a lane of one: softmax 1, log-softmax 0
        assertEquals(1, Tensor.scalar(7).softmax(0).item(), 0);
        assertEquals(0, Tensor.scalar(7).logSoftmax(-1).item(), 0);
    }

    @Test
    void largeAndInfiniteLogitsAreStable() {
        Tensor big = Tensor.of(new double[] {1000, 1001, -1000}, 3);
        double e = Math.exp(-1);
        assertArrayEquals(new double[] {e / (1 + e), 1 / (1 + e), 0}, big.softmax(0).toDoubleArray(), 1e-7);
        assertArrayEquals(new double[] {-1 - Math.log1p(e), -Math.log1p(e), -2001 - Math.log1p(e)},
                big.logSoftmax(0).toDoubleArray(), 1e-4);
        Tensor masked = Tensor.of(new double[] {0, Double.NEGATIVE_INFINITY, 0}, 3);
        assertArrayEquals(new double[] {0.5, 0, 0.5}, masked.softmax(0).toDoubleArray(), 0);
        assertEquals(Double.NEGATIVE_INFINITY, masked.logSoftmax(0).toDoubleArray()[1]);
        // a lane of -inf only has no distribution: NaN, as in PyTorch
        Tensor none = Tensor.full(Double.NEGATIVE_INFINITY, 2);
        for (double v : none.softmax(0).toDoubleArray()) assertTrue(Double.isNaN(v));
    }

    @Test
    void wideLanesAndManyRowsMatchTheComposition() {
        // dim 0 of [3, 9000]: n·inner exceeds one block, so the lanes are loaded in strips;
        // [300, 257] on the last dim and [40, 37, 30] on dim 1: rows split across threads
        Random r = new Random(11);
        for (long[] shape : new long[][] {{3, 9000}, {300, 257}, {40, 37, 30}}) {
            for (int dim : new int[] {0, 1, -1}) {
                Tensor x = Tensor.randn(r, shape).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
                FusedVsComposed.assertSame(in -> in.get(0).softmax(dim),
                        in -> in.get(0).exp().div(in.get(0).exp().sum(dim, true)), List.of(x), 1e-12);
                FusedVsComposed.assertSame(in -> in.get(0).logSoftmax(dim),
                        in -> in.get(0).sub(in.get(0).exp().sum(dim, true).log()), List.of(x), 1e-12);
            }
        }
    }

    @Test
    void float32RowsSumToOne() {
        Tensor x = Tensor.randn(new Random(2), 4, 50).mul(10);
        double[] p = x.softmax(1).toDoubleArray();
        for (int row = 0; row < 4; row++) {
            double s = 0;
            for (int j = 0; j < 50; j++) s += p[row * 50 + j];
            assertEquals(1, s, 1e-6);
        }
    }

    @Test
    void badDimensionIsNamed() {
        ShapeException e = assertThrows(ShapeException.class, () -> Tensor.zeros(2, 3).softmax(2));
        assertEquals("softmax: dimension 2 is out of range for a tensor of rank 2", e.getMessage());
        ShapeException l = assertThrows(ShapeException.class, () -> Tensor.zeros(2, 3).logSoftmax(-3));
        assertEquals("logSoftmax: dimension -3 is out of range for a tensor of rank 2", l.getMessage());
    }
}
