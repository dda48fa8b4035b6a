package io.carpathia.kernels.reference;

import io.carpathia.kernels.Gemm;

/**
 * The matrix product the GEMM kernels compute, written as its definition: for every batch, row and column of C, a
 * dot product over k accumulated in float64, then {@code alpha · dot + beta · C} rounded once to float32. C is not
 * read when {@code beta == 0}, and nothing outside the m × n matrices (such as padding up to {@code ldc}) is touched.
 *
 * <p>For TF32 and BF16 the inputs are what the tensor cores see: pass them through
 * {@link Rounding#roundToTf32(float[])} or {@link Rounding#roundToBf16(float[])} first.
 */
public final class GemmReference {
    private GemmReference() {}

    public static void gemm(Gemm shape, float alpha, float[] a, int offsetA, float[] b, int offsetB, float beta,
                            float[] c, int offsetC) {
        for (int batch = 0; batch < shape.batchCount(); batch++) {
            long baseA = offsetA + batch * shape.strideA();
            long baseB = offsetB + batch * shape.strideB();
            long baseC = offsetC + batch * shape.strideC();
            for (int row = 0; row < shape.m(); row++) {
                for (int col = 0; col < shape.n(); col++) {
                    double dot = 0;
                    for (int i = 0; i < shape.k(); i++) {
                        dot += (double) a[(int) (baseA + indexA(shape, row, i))]
                                * b[(int) (baseB + indexB(shape, i, col))];
                    }
                    int at = (int) (baseC + row * shape.ldc() + col);
                    double value = alpha * dot;
                    if (beta != 0) value += (double) beta * c[at];
                    c[at] = (float) value;
                }
            }
        }
    }

    /** Where op(A)[row, i] is stored, relative to the batch's A. */
    static long indexA(Gemm shape, int row, int i) {
        return shape.transA() ? (long) i * shape.lda() + row : (long) row * shape.lda() + i;
    }

    /** Where op(B)[i, col] is stored, relative to the batch's B. */
    static long indexB(Gemm shape, int i, int col) {
        return shape.transB() ? (long) col * shape.ldb() + i : (long) i * shape.ldb() + col;
    }
}
