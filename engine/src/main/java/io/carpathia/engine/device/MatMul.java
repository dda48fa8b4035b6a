package io.carpathia.engine.device;

import io.carpathia.engine.cpu.Blas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The engine's one entry point for matrix products: every op that multiplies matrices (matmul, the dense layers,
 * attention) calls here, and here the {@link Device#current() current device} decides where the product runs. On
 * the CPU this is {@link Blas#gemm} itself; on a GPU, float32 products with a non-empty inner dimension go to the
 * kernels, and the rest (float64, k = 0) stays on the CPU.
 *
 * <p>Arguments as {@link Blas#gemm}: row-major dense matrices at element offsets; op(A) is m×k (A is stored k×m when
 * {@code transA}), op(B) is k×n (B is n×k when {@code transB}), C is m×n.
 */
public final class MatMul {
    private MatMul() {}

    /** C = alpha · op(A) · op(B) + beta · C. */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                            INDArray a, long offA, INDArray b, long offB, double beta, INDArray c, long offC) {
        GpuBackend gpu = Device.currentGpu();
        if (gpu != null && onGpu(k, a, b, c)) {
            gpu.gemm(transA, transB, m, n, k, (float) alpha, a, offA, 0, b, offB, 0, (float) beta, c, offC, 0, 1);
        } else {
            Blas.gemm(transA, transB, m, n, k, alpha, a, offA, b, offB, beta, c, offC);
        }
    }

    /**
     * {@code batch} products C_i = alpha · op(A_i) · op(B_i) + beta · C_i whose matrices start {@code i · stride}
     * elements after the offsets (a stride of 0 reuses one matrix). On the CPU {@link Blas#gemmBatch}: the products
     * spread over the engine's threads, or in order of i when the C_i overlap; on a GPU one strided-batched launch
     * (or, when the C_i overlap, one product after the other).
     */
    public static void gemmStrided(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                   INDArray a, long offA, long strideA, INDArray b, long offB, long strideB,
                                   double beta, INDArray c, long offC, long strideC, int batch) {
        GpuBackend gpu = Device.currentGpu();
        if (gpu != null && onGpu(k, a, b, c)) {
            gpu.gemm(transA, transB, m, n, k, (float) alpha, a, offA, strideA, b, offB, strideB, (float) beta, c, offC,
                    strideC, batch);
            return;
        }
        Blas.gemmBatch(transA, transB, m, n, k, alpha, a, offA, strideA, b, offB, strideB, beta, c, offC, strideC,
                batch);
    }

    /** The kernels compute float32; an empty inner dimension (C = beta · C) is left to the CPU. */
    private static boolean onGpu(int k, INDArray a, INDArray b, INDArray c) {
        return k > 0 && a.dataType() == DataType.FLOAT && b.dataType() == DataType.FLOAT
                && c.dataType() == DataType.FLOAT;
    }
}
