package io.carpathia.engine.device;

import io.carpathia.kernels.CudaContext;
import io.carpathia.kernels.CudaKernels;
import io.carpathia.kernels.DeviceBuffer;
import io.carpathia.kernels.DeviceNf4;
import io.carpathia.kernels.FakeDriver;
import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.GemmPrecision;
import io.carpathia.kernels.Nf4Output;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A GPU for tests on machines without one: the kernels module's stand-in driver ({@link FakeDriver}: device memory
 * is host memory, launches are logged, and the matrix-product and NF4 kernels are computed plainly from their
 * parameters), and {@link RecordingKernels}, which makes the real kernels module's calls on it (so their argument
 * checks, kernel choice and first-launch checks apply) and records them. The engine's copies to and from the "device"
 * are real driver calls on real addresses.
 */
final class FakeGpu {
    private FakeGpu() {}

    private static CudaContext context;

    /** The stand-in driver's context, opened once. Skips the test where the driver cannot be built. */
    static synchronized CudaContext context() throws IOException, InterruptedException {
        if (context == null) context = CudaContext.open(FakeDriver.library(FakeDriver.WORKING).toString(), 0);
        return context;
    }

    /** A fresh GPU device (its own cache and counters) on the stand-in driver. */
    static Device device(String name) throws IOException, InterruptedException {
        return Device.gpu(name, new RecordingKernels(context()));
    }

    /** The launches the stand-in driver logged since the last call (kernel, grid, block, m n k), then none. */
    static List<String> takeLaunches() throws IOException, InterruptedException {
        return FakeDriver.takeLaunches(FakeDriver.library(FakeDriver.WORKING));
    }

    /** The recording kernels behind a device made by {@link #device}. */
    static RecordingKernels kernels(Device device) {
        return (RecordingKernels) device.backend().kernels();
    }

    /** The kernels module's calls on the stand-in driver, each recorded. */
    static final class RecordingKernels implements GpuKernels {
        private final CudaKernels real;
        private final List<String> calls = new ArrayList<>();

        RecordingKernels(CudaContext context) {
            this.real = new CudaKernels(context);
        }

        @Override
        public CudaContext context() {
            return real.context();
        }

        /** The calls so far ("FP32 NT m=2 n=3 k=4 ...", "TF32 NN ...", "nf4Dequantize 1000"), then none. */
        List<String> takeCalls() {
            List<String> taken = List.copyOf(calls);
            calls.clear();
            return taken;
        }

        @Override
        public void gemm(GemmPrecision precision, Gemm shape, float alpha, DeviceBuffer a, long offsetA,
                         DeviceBuffer b, long offsetB, float beta, DeviceBuffer c, long offsetC) {
            real.gemm(precision, shape, alpha, a, offsetA, b, offsetB, beta, c, offsetC);
            calls.add(precision + " " + shape);
        }

        @Override
        public void nf4Dequantize(DeviceNf4 weights, DeviceBuffer out, long offset) {
            real.nf4Dequantize(weights, out, offset, Nf4Output.F32);
            calls.add("nf4Dequantize " + weights.layout().elements());
        }
    }
}
