package io.carpathia.engine.device;

import io.carpathia.kernels.CudaContext;
import io.carpathia.kernels.CudaKernels;
import io.carpathia.kernels.DeviceBuffer;
import io.carpathia.kernels.DeviceNf4;
import io.carpathia.kernels.FakeDriver;
import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.GemmPrecision;
import io.carpathia.kernels.Nf4Output;
import io.carpathia.kernels.reference.Nf4Data;
import io.carpathia.kernels.reference.Nf4Reference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;

/**
 * A GPU for tests on machines without one: the kernels module's stand-in driver ({@link FakeDriver}: device memory
 * is host memory, launches are logged, and the matrix-product kernels are computed plainly from their parameters),
 * and {@link EmulatedKernels}, which launches the real kernels module's calls on it (so their argument checks, kernel
 * choice and first-product checks apply) and computes NF4 dequantization, which the driver only logs, with the CPU
 * reference. The engine's copies to and from the "device" are real driver calls on real addresses.
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
        return Device.gpu(name, new EmulatedKernels(context()));
    }

    /** The launches the stand-in driver logged since the last call (kernel, grid, block, m n k), then none. */
    static List<String> takeLaunches() throws IOException, InterruptedException {
        return FakeDriver.takeLaunches(FakeDriver.library(FakeDriver.WORKING));
    }

    /** The emulated kernels behind a device made by {@link #device}. */
    static EmulatedKernels kernels(Device device) {
        return (EmulatedKernels) device.backend().kernels();
    }

    /**
     * The kernels on the stand-in driver's memory: each call goes through {@link CudaKernels} (which checks the
     * operands against their buffers and launches; the driver computes the products), and NF4 dequantization is then
     * computed with {@link Nf4Reference} from what the device buffers hold and written back to them. Every call is
     * recorded.
     */
    static final class EmulatedKernels implements GpuKernels {
        private final CudaKernels real;
        private final List<String> calls = new ArrayList<>();

        EmulatedKernels(CudaContext context) {
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
            long elements = weights.layout().elements();
            calls.add("nf4Dequantize " + elements);
            Nf4Data data = download(weights);
            out.write(Nf4Reference.dequantize(data), offset * 4);
        }

        /** The codes and scales as the device holds them. */
        private static Nf4Data download(DeviceNf4 w) {
            byte[] packed = bytes(w.packed(), w.layout().packedBytes());
            if (!w.layout().isDoubleQuantized()) {
                return Nf4Data.plain(w.layout(), packed, floats(w.absmax(), w.layout().blocks()));
            }
            return Nf4Data.doubleQuantized(w.layout(), packed, bytes(w.absmaxCodes(), w.layout().blocks()),
                    floats(w.codebook(), 256), floats(w.absmaxScales(), w.layout().nestedGroups()), w.absmaxOffset());
        }

        private static byte[] bytes(DeviceBuffer buffer, long count) {
            byte[] out = new byte[Math.toIntExact(count)];
            try (BytePointer host = new BytePointer(Math.max(1, count))) {
                buffer.copyToHost(0, host.address(), count);
                host.get(out);
            }
            return out;
        }

        private static float[] floats(DeviceBuffer buffer, long count) {
            float[] out = new float[Math.toIntExact(count)];
            buffer.read(0, out);
            return out;
        }
    }
}
