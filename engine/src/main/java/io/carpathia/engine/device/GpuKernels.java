package io.carpathia.engine.device;

import io.carpathia.kernels.CudaContext;
import io.carpathia.kernels.CudaKernels;
import io.carpathia.kernels.DeviceBuffer;
import io.carpathia.kernels.DeviceNf4;
import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.GemmPrecision;
import io.carpathia.kernels.Nf4Output;

/**
 * The kernels the engine launches on a GPU, on device memory of {@link #context()}. In production these are the
 * kernels module's {@link CudaKernels}; tests put a host emulation behind the same calls, on a stand-in driver, to
 * check what the engine copies and launches without a GPU.
 */
interface GpuKernels {
    /** Where device memory is allocated and copied. */
    CudaContext context();

    /**
     * C = alpha · op(A) · op(B) + beta · C of float32 matrices (element offsets; see {@link Gemm}), multiplied in
     * {@code precision}: {@link GemmPrecision#FP32} or {@link GemmPrecision#TF32}.
     */
    void gemm(GemmPrecision precision, Gemm shape, float alpha, DeviceBuffer a, long offsetA, DeviceBuffer b,
              long offsetB, float beta, DeviceBuffer c, long offsetC);

    /** Dequantizes all of {@code weights} to float32 into {@code out} from element {@code offset} on. */
    void nf4Dequantize(DeviceNf4 weights, DeviceBuffer out, long offset);

    /** The kernels module's kernels on their context. */
    static GpuKernels of(CudaKernels kernels) {
        return new GpuKernels() {
            @Override
            public CudaContext context() {
                return kernels.context();
            }

            @Override
            public void gemm(GemmPrecision precision, Gemm shape, float alpha, DeviceBuffer a, long offsetA,
                             DeviceBuffer b, long offsetB, float beta, DeviceBuffer c, long offsetC) {
                kernels.gemm(precision, shape, alpha, a, offsetA, b, offsetB, beta, c, offsetC);
            }

            @Override
            public void nf4Dequantize(DeviceNf4 weights, DeviceBuffer out, long offset) {
                kernels.nf4Dequantize(weights, out, offset, Nf4Output.F32);
            }
        };
    }
}
