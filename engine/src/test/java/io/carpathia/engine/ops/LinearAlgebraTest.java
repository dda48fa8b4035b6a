package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.GradCheck;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.testing.Gen;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class LinearAlgebraTest {

    @Test
    void matmulByHand() {
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new double[] {7, 8, 9, 10, 11, 12}, 3, 2);
        assertArrayEquals(new double[] {58, 64, 139, 154}, a.matmul(b).toDoubleArray(), 1e-4);
        Tensor v = Tensor.of(new double[] {1, 0, -1}, 3);
        assertArrayEquals(new double[] {-2, -2}, a.matmul(v).toDoubleArray(), 1e-6);
        assertArrayEquals(new long[] {2}, a.matmul(v).shape());
        assertArrayEquals(new double[] {-4, -4}, v.matmul(b).toDoubleArray(), 1e-6);
        assertArrayEquals(new long[] {}, v.matmul(v).shape());
    }

    @Property
    void batchedMatmulGradientWithBroadcastBatches(@ForAll @IntRange(min = 1, max = 4) int m,
            @ForAll @IntRange(min = 1, max = 4) int k, @ForAll @IntRange(min = 1, max = 4) int n,
            @ForAll @IntRange(min = 0, max = 5) int layout, @ForAll long seed) {
        long[][] shapes = switch (layout) {
            case 0 -> new long[][] {{m, k}, {k, n}};
            case 1 -> new long[][] {{2, m, k}, {k, n}};
            case 2 -> new long[][] {{2, 3, m, k}, {3, k, n}};
            case 3 -> new long[][] {{1, m, k}, {2, k, n}};
            case 4 -> new long[][] {{k}, {2, k, n}};
            default -> new long[][] {{2, 1, m, k}, {3, k, n}};
        };
        Tensor a = Gen.randn(seed, shapes[0]);
        Tensor b = Gen.randn(seed + 1, shapes[1]);
        GradCheck.assertGradients(in -> in.get(0).matmul(in.get(1)), List.of(a, b));
    }

    @Property
    void linearAndAffineGradients(@ForAll @IntRange(min = 1, max = 4) int in, @ForAll @IntRange(min = 1, max = 4) int out,
            @ForAll @IntRange(min = 1, max = 3) int rows, @ForAll boolean bias, @ForAll long seed) {
        Tensor x = Gen.randn(seed, 2, rows, in);
        Tensor w = Gen.randn(seed + 1, out, in);
        Tensor wT = Gen.randn(seed + 1, in, out);
        Tensor b = Gen.randn(seed + 2, out);
        GradCheck.assertGradients(t -> LinearAlgebra.linear(t.get(0), t.get(1), bias ? t.get(2) : null), List.of(x, w, b.mul(1)));
        GradCheck.assertGradients(t -> LinearAlgebra.affine(t.get(0), t.get(1), bias ? t.get(2) : null), List.of(x, wT, b));
    }

    @Test
    void linearEqualsMatmulWithTransposedWeightPlusBias() {
        Random r = new Random(3);
        Tensor x = Tensor.randn(r, 4, 5);
        Tensor w = Tensor.randn(r, 3, 5);
        Tensor b = Tensor.randn(r, 3);
        Tensor viaMatmul = x.matmul(Tensor.of(w.value().transpose().dup('c'))).add(b);
        assertArrayEquals(viaMatmul.toDoubleArray(), LinearAlgebra.linear(x, w, b).toDoubleArray(), 1e-5);
    }

    @Test
    void innerDimensionMismatchIsNamed() {
        ShapeException e = assertThrows(ShapeException.class, () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 2)));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("[2, 3] × [4, 2]"), e.getMessage());
    }
}
