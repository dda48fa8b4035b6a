package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.testing.Gen;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class TransposePermuteTest {

    @Provide
    Arbitrary<long[]> shapes() {
        return Gen.shapes(0, 4, 4);
    }

    private static int[] randomPermutation(int rank, long seed) {
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < rank; i++) dims.add(i);
        Collections.shuffle(dims, new Random(seed));
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) p[i] = dims.get(i) - (seed % 2 == 0 ? rank : 0); // negatives too
        return p;
    }

    @Property(tries = 25)
    void permuteGradient(@ForAll("shapes") long[] shape, @ForAll long seed) {
        int[] dims = randomPermutation(shape.length, seed);
        GradCheck.assertGradients(in -> in.get(0).permute(dims), List.of(Gen.randn(seed, shape)));
    }

    @Property(tries = 25)
    void transposeGradient(@ForAll("shapes") long[] shape, @ForAll long seed) {
        Random r = new Random(seed);
        int rank = Math.max(shape.length, 1);
        int d0 = r.nextInt(rank) - (r.nextBoolean() ? rank : 0);
        int d1 = r.nextInt(rank);
        GradCheck.assertGradients(in -> in.get(0).transpose(d0, d1), List.of(Gen.randn(seed, shape)));
    }

    @Property(tries = 20)
    void permuteMovesEveryElementToItsPermutedIndex(@ForAll("shapes") long[] shape, @ForAll long seed) {
        int rank = shape.length;
        int[] dims = randomPermutation(rank, seed);
        Tensor x = Gen.randn(seed, shape);
        Tensor y = x.permute(dims);
        long[] ys = y.shape();
        for (int i = 0; i < rank; i++) assertEquals(shape[Math.floorMod(dims[i], rank)], ys[i]);
        long[] idx = new long[rank];
        for (long flat = 0; flat < x.numel(); flat++) {
            long rem = flat;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % ys[d];
                rem /= ys[d];
            }
            long[] src = new long[rank];
            for (int d = 0; d < rank; d++) src[Math.floorMod(dims[d], rank)] = idx[d];
            assertEquals(x.get(src), y.get(idx), 0.0);
        }
    }

    @Test
    void transposeByHand() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor t = x.t();
        assertArrayEquals(new long[] {3, 2}, t.shape());
        assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, t.toDoubleArray(), 0);
        assertArrayEquals(x.toDoubleArray(), t.transpose(0, 1).toDoubleArray(), 0);
        // [2, 2, 2]: swap the outer two, the rows stay contiguous
        Tensor c = Tensor.of(new double[] {0, 1, 2, 3, 4, 5, 6, 7}, 2, 2, 2);
        assertArrayEquals(new double[] {0, 1, 4, 5, 2, 3, 6, 7}, c.transpose(0, 1).toDoubleArray(), 0);
        assertArrayEquals(new double[] {0, 4, 2, 6, 1, 5, 3, 7}, c.permute(2, 1, 0).toDoubleArray(), 0);
    }

    @Test
    void gradientIsTheIncomingGradientPermutedBack() {
        Tensor x = Tensor.zeros(2, 3, 4).requiresGrad(true);
        double[] w = new double[24];
        for (int i = 0; i < 24; i++) w[i] = i;
        // y = x.permute(2, 0, 1): [4, 2, 3]; d(Σ w·y)/dx = w permuted back with (1, 2, 0)
        x.permute(2, 0, 1).backward(Tensor.of(w, 4, 2, 3));
        Tensor expected = Tensor.of(w, 4, 2, 3).permute(1, 2, 0);
        assertArrayEquals(expected.toDoubleArray(), Tensor.of(x.grad()).toDoubleArray(), 0);
        assertEquals(6.0, Tensor.of(x.grad()).get(0, 0, 1), 0); // y[1, 0, 0] = w[6]
    }

    @Test
    void float32AndLargeTensorsTakeTheParallelPath() {
        // 64 × 96 × 40 = 245760 elements: several pieces of rows, strided and contiguous rows
        Tensor x = Tensor.randn(new Random(5), 64, 96, 40);
        double[] xv = x.toDoubleArray();
        double[] t = x.transpose(0, 2).toDoubleArray();
        double[] p = x.permute(1, 0, 2).toDoubleArray();
        for (int a = 0; a < 64; a++) {
            for (int b = 0; b < 96; b++) {
                for (int c = 0; c < 40; c++) {
                    double v = xv[(a * 96 + b) * 40 + c];
                    assertEquals(v, t[(c * 96 + b) * 64 + a], 0);
                    assertEquals(v, p[(b * 64 + a) * 40 + c], 0);
                }
            }
        }
        assertEquals(DataType.FLOAT, x.transpose(0, 2).dtype());
    }

    @Test
    void integerTensorsArePermutedToo() {
        Tensor ids = Tensor.indices(new long[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor t = ids.t();
        assertEquals(DataType.LONG, t.dtype());
        assertEquals(4, (long) t.value().getDouble(0, 1));
        assertEquals(3, (long) t.value().getDouble(2, 0));
    }

    @Test
    void badDimensionsAreNamed() {
        Tensor x = Tensor.zeros(2, 3, 4);
        ShapeException count = assertThrows(ShapeException.class, () -> x.permute(0, 1));
        assertEquals("permute: 2 dimensions [0, 1] given for a tensor of rank 3 [2, 3, 4]", count.getMessage());
        ShapeException twice = assertThrows(ShapeException.class, () -> x.permute(0, 1, -2));
        assertEquals("permute: dimension -2 appears twice in [0, 1, -2]", twice.getMessage());
        ShapeException range = assertThrows(ShapeException.class, () -> x.transpose(0, 3));
        assertEquals("transpose: dimension 3 is out of range for a tensor of rank 3", range.getMessage());
    }
}
