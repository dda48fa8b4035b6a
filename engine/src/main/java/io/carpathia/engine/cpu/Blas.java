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
 *
 * <p>The engine's threads, not OpenBLAS's, run the products in parallel. OpenBLAS's own threads spin for a long while
 * after each product (tens of milliseconds), and on a machine with as many engine threads as cores they then take
 * the cores from the engine's next kernels: a baby-GPT step varied from 33 to 67 ms. So OpenBLAS runs single-threaded
 * and {@link #gemm} splits a large product into row (or column) blocks, one per engine thread; {@link #gemmBatch}
 * hands whole products of a batch to the threads.
 */
public final class Blas {
    private Blas() {}

    static {
        openblas_nolapack.blas_set_num_threads(1);
    }

    /** OpenBLAS's own thread count: 1 once this class is loaded (the engine's threads split the products). */
    public static int openBlasThreads() {
        return openblas_nolapack.blas_get_num_threads();
    }

    /** Products below this many multiply-adds (64³) run on the calling thread: splitting them gains nothing. */
    private static final long PARALLEL_MACS = 1L << 18;

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
        int fa = Math.max(lda, 1);
        int fb = Math.max(ldb, 1);
        DataType t = c.dataType();
        if (t != DataType.FLOAT && t != DataType.DOUBLE) {
            throw new IllegalArgumentException("matmul computes in FLOAT or DOUBLE, not " + t);
        }
        int pieces = (int) Math.min(Parallel.THREADS, (long) m * n * k / PARALLEL_MACS);
        if (pieces <= 1) {
            call(transA, transB, m, n, k, alpha, a, offA, fa, b, offB, fb, beta, c, offC);
        } else if (m >= n) {
            // blocks of rows of C: op(A)'s rows are A's rows (or its columns when transposed)
            Parallel.forRange(m, (m + pieces - 1) / pieces, (r0, r1) -> call(transA, transB, (int) (r1 - r0), n, k,
                    alpha, a, offA + (transA ? r0 : r0 * fa), fa, b, offB, fb, beta, c, offC + r0 * n));
        } else {
            // blocks of columns of C: op(B)'s columns are B's columns (or its rows when transposed)
            Parallel.forRange(n, (n + pieces - 1) / pieces, (c0, c1) -> callColumns(transA, transB, m, n, k, alpha,
                    a, offA, fa, b, offB + (transB ? c0 * fb : c0), fb, beta, c, offC + c0, (int) (c1 - c0)));
        }
    }

    /**
     * {@code batch} products C_i = alpha · op(A_i) · op(B_i) + beta · C_i whose matrices start {@code i · stride}
     * elements after the offsets. When the C_i are disjoint, whole products go to the engine's threads; when they
     * overlap (a stride of 0 adds every product into one C), they run one after the other.
     */
    public static void gemmBatch(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                 INDArray a, long offA, long strideA, INDArray b, long offB, long strideB,
                                 double beta, INDArray c, long offC, long strideC, int batch) {
        boolean disjoint = strideC >= (long) m * n && m > 0 && n > 0;
        if (!disjoint || batch < 2 || (long) batch * m * n * k < PARALLEL_MACS) {
            for (int i = 0; i < batch; i++) {
                gemm(transA, transB, m, n, k, alpha, a, offA + i * strideA, b, offB + i * strideB, beta, c,
                        offC + i * strideC);
            }
            return;
        }
        Parallel.forRange(batch, 1, (from, to) -> {
            for (long i = from; i < to; i++) {
                gemm(transA, transB, m, n, k, alpha, a, offA + i * strideA, b, offB + i * strideB, beta, c,
                        offC + i * strideC);
            }
        });
    }

    /** One OpenBLAS call: C (row stride n) at offC, m×n, with the given leading dimensions of A and B. */
    private static void call(boolean transA, boolean transB, int m, int n, int k, double alpha, INDArray a, long offA,
                             int lda, INDArray b, long offB, int ldb, double beta, INDArray c, long offC) {
        callColumns(transA, transB, m, n, k, alpha, a, offA, lda, b, offB, ldb, beta, c, offC, n);
    }

    /** As {@link #call} for the first {@code cols} of C's n columns (B's offset already at the first of them). */
    private static void callColumns(boolean transA, boolean transB, int m, int n, int k, double alpha, INDArray a,
                                    long offA, int lda, INDArray b, long offB, int ldb, double beta, INDArray c,
                                    long offC, int cols) {
        if (c.dataType() == DataType.FLOAT) {
            openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, cols,
                    k, (float) alpha, floats(a, offA), lda, floats(b, offB), ldb, (float) beta, floats(c, offC), n);
        } else {
            openblas_nolapack.cblas_dgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, cols,
                    k, alpha, doubles(a, offA), lda, doubles(b, offB), ldb, beta, doubles(c, offC), n);
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
