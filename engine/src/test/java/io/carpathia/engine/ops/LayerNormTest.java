package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.ArrayPool;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.testing.Gen;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class LayerNormTest {

    @Provide
    Arbitrary<long[]> shapes() {
        return Gen.shapes(1, 4, 4);
    }

    /** The inputs x, weight, bias (each of the last two present or not), and the op reading them by position. */
    private record Case(List<Tensor> inputs, boolean hasWeight, boolean hasBias) {
        Tensor weight(List<Tensor> in) {
            return hasWeight ? in.get(1) : null;
        }

        Tensor bias(List<Tensor> in) {
            return hasBias ? in.get(hasWeight ? 2 : 1) : null;
        }
    }

    private static Case someCase(long[] shape, long seed, int affine) {
        long c = shape[shape.length - 1];
        List<Tensor> in = new ArrayList<>();
        in.add(Gen.randn(seed, shape).mul(2).add(0.5));
        boolean w = (affine & 1) != 0;
        boolean b = (affine & 2) != 0;
        if (w) in.add(Gen.randn(seed + 1, c));
        if (b) in.add(Gen.randn(seed + 2, c));
        return new Case(in, w, b);
    }

    /** The same normalisation from primitive ops: mean, sub, pow, mean, add, sqrt, div, mul, add. */
    private static Tensor composed(Tensor x, Tensor w, Tensor b, double eps) {
        Tensor centred = x.sub(x.mean(-1, true));
        Tensor variance = centred.pow(2).mean(-1, true);
        Tensor y = centred.div(variance.add(eps).sqrt());
        if (w != null) y = y.mul(w);
        if (b != null) y = y.add(b);
        return y;
    }

    @Property(tries = 25)
    void gradientWithAndWithoutWeightAndBias(@ForAll("shapes") long[] shape, @ForAll long seed,
            @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 3) int affine) {
        Case k = someCase(shape, seed, affine);
        // a row of one value has variance 0: eps keeps the derivative finite and the difference quotient accurate
        double eps = shape[shape.length - 1] == 1 ? 1.0 : 1e-5;
        GradCheck.assertGradients(in -> Normalization.layerNorm(in.get(0), k.weight(in), k.bias(in), eps), k.inputs());
    }

    @Property(tries = 20)
    void equalsTheCompositionOfPrimitiveOps(@ForAll("shapes") long[] shape, @ForAll long seed,
            @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 3) int affine) {
        Case k = someCase(shape, seed, affine);
        FusedVsComposed.assertSame(in -> Normalization.layerNorm(in.get(0), k.weight(in), k.bias(in), 1e-5),
                in -> composed(in.get(0), k.weight(in), k.bias(in), 1e-5), k.inputs(), 1e-10);
    }

    @Test
    void valuesByHand() {
        // row [1, 2, 3]: mean 2, biased variance 2/3, so x̂ = ±1/√(2/3) = ±1.2247448713915890
        // row [10, 20, 30] is the same up to scale and shift, so it normalises to the same values
        Tensor x = Tensor.of(new double[] {1, 2, 3, 30, 20, 10}, 2, 3);
        double s = Math.sqrt(1.5);
        assertEquals(1.224744871391589, s, 1e-15);
        assertArrayEquals(new double[] {-s, 0, s, s, 0, -s}, x.layerNorm(null, null, 0).toDoubleArray(), 1e-6);
        // eps enters under the root: x̂ = (x - mean) / √(var + eps)
        assertArrayEquals(new double[] {-1 / Math.sqrt(2.0 / 3 + 1), 0, 1 / Math.sqrt(2.0 / 3 + 1)},
                Tensor.of(new double[] {1, 2, 3}, 3).layerNorm(null, null, 1).toDoubleArray(), 1e-6);
        // a constant row: 0 with eps > 0; 0/0 = NaN with eps = 0, as in PyTorch
        assertArrayEquals(new double[] {0, 0}, Tensor.full(7, 2).layerNorm(null, null, 1e-5).toDoubleArray(), 0);
        assertTrue(Double.isNaN(Tensor.full(7, 2).layerNorm(null, null, 0).toDoubleArray()[0]));
        Tensor w = Tensor.of(new double[] {2, 3, -1}, 3);
        Tensor b = Tensor.of(new double[] {0.5, 1, 0}, 3);
        assertArrayEquals(new double[] {-2 * s + 0.5, 1, -s, 2 * s + 0.5, 1, s}, x.layerNorm(w, b, 0).toDoubleArray(),
                1e-6);
    }

    @Test
    void gradientsByHand() {
        // y = x̂·w + b summed: db = number of rows, dw = Σ_rows x̂, and dx = 0 for w = 1 (Σ x̂ is constant)
        Tensor x = Tensor.of(DataType.DOUBLE, new double[] {1, 2, 3, -1, 0, 4}, 2, 3).requiresGrad(true);
        Tensor w = Tensor.of(DataType.DOUBLE, new double[] {1, 1, 1}, 3).requiresGrad(true);
        Tensor b = Tensor.of(DataType.DOUBLE, new double[] {0, 0, 0}, 3).requiresGrad(true);
        x.layerNorm(w, b, 0).sum().backward();
        assertArrayEquals(new double[] {2, 2, 2}, Tensor.of(b.grad()).toDoubleArray(), 1e-12);
        double s2 = Math.sqrt(14.0 / 3); // row [-1, 0, 4]: mean 1, variance (4 + 1 + 9) / 3
        double[] xhat2 = {(-1 - 1) / s2, (0 - 1) / s2, (4 - 1) / s2};
        double s1 = Math.sqrt(1.5);
        assertArrayEquals(new double[] {-s1 + xhat2[0], xhat2[1], s1 + xhat2[2]}, Tensor.of(w.grad()).toDoubleArray(), 1e-12);
        assertArrayEquals(new double[6], Tensor.of(x.grad()).toDoubleArray(), 1e-12);
    }

    @Test
    void manyRowsSplitAcrossThreadsMatchTheComposition() {
        // 512 rows of 96: several pieces of parallel work, so dw and db add up per-piece partial sums
        Random r = new Random(4);
        Tensor x = Tensor.randn(r, 4, 128, 96).castTo(DataType.DOUBLE);
        Tensor w = Tensor.randn(r, 96).castTo(DataType.DOUBLE);
        Tensor b = Tensor.randn(r, 96).castTo(DataType.DOUBLE);
        FusedVsComposed.assertSame(in -> in.get(0).layerNorm(in.get(1), in.get(2), 1e-5),
                in -> composed(in.get(0), in.get(1), in.get(2), 1e-5), List.of(x, w, b), 1e-10);
    }

    @Test
    void float32MatchesFloat64ToFloatPrecision() {
        Random r = new Random(8);
        Tensor x = Tensor.randn(r, 3, 40).mul(5).add(100); // a large mean: the two-pass variance keeps accuracy
        Tensor y32 = x.layerNorm(null, null, 1e-5);
        Tensor y64 = x.castTo(DataType.DOUBLE).layerNorm(null, null, 1e-5);
        assertEquals(DataType.FLOAT, y32.dtype());
        assertArrayEquals(y64.toDoubleArray(), y32.toDoubleArray(), 1e-6);
    }

    @Test
    void savedStatisticsGoBackToThePool() {
        Tensor x = Tensor.randn(new Random(1), 8, 16).requiresGrad(true);
        Tensor w = Tensor.randn(new Random(2), 16).requiresGrad(true);
        long before = 0;
        for (int i = 0; i < 6; i++) {
            if (i == 1) before = ArrayPool.freshAllocations(); // the first step filled the pool for these shapes
            x.zeroGrad();
            w.zeroGrad();
            try (var scope = Scope.open()) {
                x.layerNorm(w, null, 1e-5).sum().backward();
            }
        }
        // every step reuses the arrays (mean, 1/std, gradient temporaries) the step before gave back
        assertEquals(before, ArrayPool.freshAllocations());
    }

    @Test
    void badShapesAreNamed() {
        Tensor x = Tensor.zeros(2, 4);
        ShapeException w = assertThrows(ShapeException.class, () -> x.layerNorm(Tensor.zeros(3), null, 1e-5));
        assertEquals("layerNorm: weight must have shape [4] (the last dimension of the input [2, 4]), got [3]",
                w.getMessage());
        ShapeException b = assertThrows(ShapeException.class, () -> x.layerNorm(null, Tensor.zeros(1, 4), 1e-5));
        assertEquals("layerNorm: bias must have shape [4] (the last dimension of the input [2, 4]), got [1, 4]",
                b.getMessage());
        assertThrows(ShapeException.class, () -> Tensor.scalar(1).layerNorm(null, null, 1e-5));
    }
}
