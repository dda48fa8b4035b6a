package io.carpathia.engine.cpu;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Matrix products straight through OpenBLAS's {@code cblas_?gemm} on the arrays' native memory. This is the BLAS ND4J
 * itself links; calling it directly costs ~3 µs at 64³ where {@code Nd4j.gemm} costs 30-40 µs of Java-side checks,
 * and it takes row offsets, so a batched product is a loop of calls on one buffer with no view objects.
 */
public final class Blas {
    private Blas() {}

    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;

    /**
     * C[m×n] = alpha · op(A) · op(B) + beta · C for row-major dense matrices stored at element offsets
     * {@code offA}, {@code offB}, {@code offC} of the three arrays. op(A) is m×k (A is k×m when transA), op(B) is
     * k×n (B is n×k when transB).
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                            INDArray a, long offA, INDArray b, long offB, double beta, INDArray c, long offC) {
        if (m == 0 || n == 0) return;
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        if (k == 0) { // C = beta · C
            if (beta == 0) {
                Native.View v = Native.view(c);
                for (long i = 0; i < (long) m * n; i++) v.set(offC + i, 0);
            } else if (beta != 1) {
                Native.View v = Native.view(c);
                for (long i = 0; i < (long) m * n; i++) v.set(offC + i, beta * v.get(offC + i));
            }
            return;
        }
        lda = Math.max(lda, 1);
        ldb = Math.max(ldb, 1);
        DataType t = c.dataType();
        if (t == DataType.FLOAT) {
            openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
                    (float) alpha, floats(a, offA), lda, floats(b, offB), ldb, (float) beta, floats(c, offC), n);
        } else if (t == DataType.DOUBLE) {
            openblas_nolapack.cblas_dgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
                    alpha, doubles(a, offA), lda, doubles(b, offB), ldb, beta, doubles(c, offC), n);
        } else {
            throw new IllegalArgumentException("matmul computes in FLOAT or DOUBLE, not " + t);
        }
    }

    private static FloatPointer floats(INDArray a, long off) {
        return new FloatPointer(new RawAddress(Native.address(a) + off * 4));
    }

    private static DoublePointer doubles(INDArray a, long off) {
        return new DoublePointer(new RawAddress(Native.address(a) + off * 8));
    }

    private static final class RawAddress extends org.bytedeco.javacpp.Pointer {
        RawAddress(long address) {
            this.address = address;
        }
    }
}
