package io.carpathia.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import io.carpathia.kernels.Gemm;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The reference GEMM against plain matrix multiplication of explicitly transposed, unpadded copies. */
class GemmReferenceTest {

    @Test
    void handComputedProduct() {
        // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]]; then 2 · that + 1 · [[1, 1], [1, 1]]
        float[] c = {1, 1, 1, 1};
        GemmReference.gemm(Gemm.of(false, false, 2, 2, 2), 2f, new float[] {1, 2, 3, 4}, 0,
                new float[] {5, 6, 7, 8}, 0, 1f, c, 0);
        assertArrayEquals(new float[] {39, 45, 87, 101}, c);
        // A^T with A = [[1, 3], [2, 4]] stored: the same product
        float[] t = new float[4];
        GemmReference.gemm(Gemm.of(true, false, 2, 2, 2), 1f, new float[] {1, 3, 2, 4}, 0,
                new float[] {5, 6, 7, 8}, 0, 0f, t, 0);
        assertArrayEquals(new float[] {19, 22, 43, 50}, t);
    }

    @Test
    void betaZeroIgnoresNaNInC() {
        float[] c = {Float.NaN};
        GemmReference.gemm(Gemm.of(false, false, 1, 1, 1), 1f, new float[] {2}, 0, new float[] {3}, 0, 0f, c, 0);
        assertEquals(6f, c[0]);
    }

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.of(1, 2, 3, 5, 8, 17, 31);
    }

    @Property
    void matchesPlainMatmul(@ForAll boolean transA, @ForAll boolean transB, @ForAll("sizes") int m,
                            @ForAll("sizes") int n, @ForAll("sizes") int k, @ForAll @IntRange(max = 3) int pad,
                            @ForAll @IntRange(min = 1, max = 3) int batches, @ForAll long seed) {
        if (transA && transB) transB = false;
        SplittableRandom random = new SplittableRandom(seed);
        Gemm dense = Gemm.of(transA, transB, m, n, k);
        Gemm shape = dense.withLeadingDimensions(dense.lda() + pad, dense.ldb() + 2 * pad, dense.ldc() + pad)
                .batched(batches, (long) dense.rowsA() * (dense.lda() + pad) + pad, 0,
                        (long) m * (dense.ldc() + pad) + 1);
        float alpha = 0.75f;
        float beta = pad % 2 == 0 ? 0f : -0.5f;
        float[] a = Matrices.random(random, shape.extentA() + 2);
        float[] b = Matrices.random(random, shape.extentB() + 1);
        float[] c = Matrices.output(random, shape, 3, 4, beta);
        float[] expected = c.clone();
        GemmReference.gemm(shape, alpha, a, 2, b, 1, beta, c, 3);

        for (int batch = 0; batch < batches; batch++) {
            // explicit op(A) [m][k] and op(B) [k][n] of this batch
            double[][] opA = new double[m][k];
            double[][] opB = new double[k][n];
            long baseA = 2 + batch * shape.strideA();
            for (int r = 0; r < shape.rowsA(); r++) {
                for (int col = 0; col < shape.colsA(); col++) {
                    double v = a[(int) (baseA + r * shape.lda() + col)];
                    if (transA) opA[col][r] = v; else opA[r][col] = v;
                }
            }
            for (int r = 0; r < shape.rowsB(); r++) {
                for (int col = 0; col < shape.colsB(); col++) {
                    double v = b[(int) (1 + r * shape.ldb() + col)];
                    if (transB) opB[col][r] = v; else opB[r][col] = v;
                }
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int q = 0; q < k; q++) dot += opA[i][q] * opB[q][j];
                    int at = (int) (3 + batch * shape.strideC() + i * shape.ldc() + j);
                    expected[at] = (float) (alpha * dot + (beta == 0 ? 0 : beta * (double) expected[at]));
                }
            }
        }
        for (int i = 0; i < c.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(c[i]), "element " + i);
        }
    }
}
