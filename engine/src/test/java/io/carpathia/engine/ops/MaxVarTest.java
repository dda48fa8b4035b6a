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
import org.nd4j.linalg.api.buffer.DataType;

/** max over a dimension and over everything, and var: values by hand, gradients by finite differences, errors. */
class MaxVarTest {

    @Provide
    Arbitrary<long[]> shapes() {
        return Gen.shapes();
    }

    @Property
    void maxOverADimGradient(@ForAll("shapes") long[] shape, @ForAll long seed, @ForAll boolean keepDim) {
        Random r = new Random(seed);
        int rank = shape.length;
        int dim = rank == 0 ? 0 : r.nextInt(rank) - (r.nextBoolean() ? rank : 0);
        Tensor x = Gen.randn(seed, shape); // distinct values: finite differences see one winner per row
        Tensor m = x.max(dim, keepDim);
        long[] expected = rank == 0 ? shape : Reductions.reducedShape(shape, Reductions.reducedDims("max",
                new int[] {dim}, rank), keepDim);
        assertArrayEquals(expected, m.shape());
        GradCheck.assertGradients(in -> in.get(0).max(dim, keepDim), List.of(x));
    }

    @Property
    void maxOfAllGradient(@ForAll("shapes") long[] shape, @ForAll long seed) {
        Tensor x = Gen.randn(seed, shape);
        double[] v = x.toDoubleArray();
        double top = Double.NEGATIVE_INFINITY;
        for (double d : v) top = Math.max(top, d);
        assertEquals(top, x.max().item(), 0);
        assertArrayEquals(new long[0], x.max().shape());
        GradCheck.assertGradients(in -> in.get(0).max(), List.of(x));
    }

    @Property
    void varGradient(@ForAll("shapes") long[] shape, @ForAll long seed, @ForAll boolean keepDim) {
        Random r = new Random(seed);
        int rank = shape.length;
        // a random non-empty subset of dims (negative spellings included); unbiased only where n > 1
        java.util.ArrayList<Integer> picked = new java.util.ArrayList<>();
        long n = 1;
        for (int d = 0; d < rank; d++) {
            if (r.nextBoolean()) {
                picked.add(r.nextBoolean() ? d : d - rank);
                n *= shape[d];
            }
        }
        if (picked.isEmpty() && rank > 0) {
            picked.add(rank - 1);
            n = shape[rank - 1];
        }
        int[] dims = picked.stream().mapToInt(Integer::intValue).toArray();
        boolean unbiased = n > 1 && r.nextBoolean();
        Tensor x = Gen.randn(seed, shape);
        GradCheck.assertGradients(in -> in.get(0).var(dims, unbiased, keepDim), List.of(x));
    }

    @Test
    void maxByHandSendsTheGradientToTheFirstWinner() {
        Tensor x = Tensor.of(new double[] {1, 3, 3, 2, 2, 1}, 2, 3).requiresGrad(true);
        Tensor rows = x.max(1, false);
        assertArrayEquals(new double[] {3, 2}, rows.toDoubleArray(), 0);
        assertArrayEquals(new long[] {2, 1}, x.max(-1, true).shape());
        rows.mul(Tensor.of(new double[] {10, 20}, 2)).sum().backward();
        // ties: PyTorch's max(dim) picks (and differentiates) the first maximal element
        assertArrayEquals(new double[] {0, 10, 0, 20, 0, 0}, Tensor.of(x.grad()).toDoubleArray(), 0);

        Tensor cols = Tensor.of(new double[] {1, 3, 3, 2, 2, 1}, 2, 3).max(0, false);
        assertArrayEquals(new double[] {2, 3, 3}, cols.toDoubleArray(), 0);
    }

    @Test
    void maxOfAllSharesTheGradientAmongTies() {
        // PyTorch: torch.tensor([1., 3., 3., -2.], requires_grad=True).max().backward() -> grad [0, .5, .5, 0]
        Tensor x = Tensor.of(new double[] {1, 3, 3, -2}, 2, 2).requiresGrad(true);
        Tensor m = x.max();
        assertEquals(3, m.item(), 0);
        m.mul(4).backward();
        assertArrayEquals(new double[] {0, 2, 2, 0}, Tensor.of(x.grad()).toDoubleArray(), 0);
    }

    @Test
    void nanWinsAMax() {
        Tensor x = Tensor.of(new double[] {1, Double.NaN, 5, 2}, 2, 2);
        assertTrue(Double.isNaN(x.max().item()));
        double[] rows = x.max(1, false).toDoubleArray();
        assertTrue(Double.isNaN(rows[0]));
        assertEquals(5, rows[1], 0);
    }

    @Test
    void varByHand() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 4);
        // torch.var(torch.tensor([1., 2., 3., 4.])) == 1.6667; unbiased=False: 1.25
        assertEquals(5.0 / 3, x.var(new int[] {0}, true, false).item(), 1e-6);
        assertEquals(1.25, x.var(new int[] {0}, false, false).item(), 1e-7);
        Tensor m = Tensor.of(DataType.DOUBLE, new double[] {1, 2, 3, 10, 20, 60}, 2, 3);
        assertArrayEquals(new double[] {1, 700}, m.var(new int[] {1}, true, false).toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {40.5, 162, 1624.5}, m.var(new int[] {0}, true, false).toDoubleArray(), 1e-12);
        assertArrayEquals(new long[] {1, 3}, m.var(new int[] {0}, true, true).shape());
        // all elements: mean 16, Σ(x-16)² = 225 + 196 + 169 + 36 + 16 + 1936 = 2578
        assertEquals(2578.0 / 5, m.var(new int[] {0, 1}, true, false).item(), 1e-12);
        assertEquals(2578.0 / 6, m.var(new int[] {-1, -2}, false, false).item(), 1e-12);
        // one element: the unbiased variance is NaN, as in PyTorch
        assertTrue(Double.isNaN(Tensor.of(new double[] {3}, 1).var(new int[] {0}, true, false).item()));
        assertEquals(0, Tensor.of(new double[] {3}, 1).var(new int[] {0}, false, false).item(), 0);
    }

    @Test
    void float32VarianceOfALargeMeanIsAccurate() {
        // float32 values near 1000 with a spread of 1e-3: a mean rounded to float32 (error ~3e-5) would shift the
        // deviations and put the variance off by about 1e-3 relative
        Random r = new Random(11);
        float[] v = new float[4096];
        for (int i = 0; i < v.length; i++) v[i] = (float) (1000 + 1e-3 * r.nextGaussian());
        double mean = 0;
        for (float f : v) mean += f;
        mean /= v.length;
        double ss = 0;
        for (float f : v) ss += (f - mean) * (f - mean);
        double expected = ss / (v.length - 1);
        double got = Tensor.of(v, v.length).var(new int[] {0}, true, false).item();
        assertEquals(expected, got, expected * 1e-6);
    }

    @Test
    void varGradientByHand() {
        // d var / d x_i = 2 (x_i - mean) / (n - 1): mean 2.5, n - 1 = 3
        Tensor x = Tensor.of(DataType.DOUBLE, new double[] {1, 2, 3, 4}, 4).requiresGrad(true);
        x.var(new int[] {0}, true, false).backward();
        assertArrayEquals(new double[] {-1, -1.0 / 3, 1.0 / 3, 1}, Tensor.of(x.grad()).toDoubleArray(), 1e-12);
    }

    @Test
    void errorsNameTheOpAndTheDimension() {
        Tensor x = Tensor.zeros(2, 3);
        ShapeException e = assertThrows(ShapeException.class, () -> x.max(2, false));
        assertEquals("max: dimension 2 is out of range for a tensor of rank 2", e.getMessage());
        e = assertThrows(ShapeException.class, () -> x.var(new int[] {1, -1}, true, false));
        assertEquals("var: dimension -1 listed twice", e.getMessage());
        e = assertThrows(ShapeException.class, () -> x.var(new int[] {-3}, true, false));
        assertEquals("var: dimension -3 is out of range for a tensor of rank 2", e.getMessage());
        e = assertThrows(ShapeException.class, () -> Tensor.zeros(2, 0).max(1, false));
        assertEquals("max: cannot reduce dimension 1 of size 0 (tensor [2, 0])", e.getMessage());
    }
}
