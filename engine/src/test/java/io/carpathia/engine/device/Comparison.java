package io.carpathia.engine.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.kernels.reference.Rounding;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/** Runs an op on two devices and compares values and gradients (float32 products: OpenBLAS vs a GPU kernel). */
final class Comparison {
    private Comparison() {}

    /** Float32 normal values. */
    static Tensor floats(long seed, long... shape) {
        return Tensor.randn(new Random(seed), shape);
    }

    /** An op's output and the gradients of its inputs for one random output gradient, on one device. */
    record Run(double[] output, List<double[]> grads) {}

    /** Float32 normal values rounded to TF32, which the tensor cores' TF32 products multiply exactly. */
    static Tensor tf32Floats(long seed, long... shape) {
        return tf32(floats(seed, shape));
    }

    private static Tensor tf32(Tensor t) {
        return Tensor.of(Rounding.roundToTf32(t.toFloatArray()), t.shape());
    }

    static Run run(Device device, Supplier<Tensor> op, List<Tensor> inputs, long seed) {
        return run(device, op, inputs, seed, false);
    }

    /** As {@link #run(Device, Supplier, List, long)}, with the output's gradient rounded to TF32 when asked. */
    static Run run(Device device, Supplier<Tensor> op, List<Tensor> inputs, long seed, boolean tf32Gradient) {
        for (Tensor t : inputs) {
            t.zeroGrad();
            t.requiresGrad(true);
        }
        try (Device.Use on = device.use()) {
            Tensor out = op.get();
            double[] output = out.toDoubleArray();
            Tensor gradient = Tensor.randn(new Random(seed), out.shape()).castTo(out.dtype());
            out.backward(tf32Gradient ? tf32(gradient) : gradient);
            List<double[]> grads = new ArrayList<>();
            for (Tensor t : inputs) grads.add(Native.toDoubles(t.grad()));
            return new Run(output, grads);
        }
    }

    /** ‖actual − expected‖ ≤ 1e-5 ‖expected‖: the two sides accumulate the dot products in different orders. */
    static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double norm = norm(expected, new double[expected.length]);
        double diff = norm(expected, actual);
        assertTrue(diff <= 1e-5 * norm + 1e-6, what + ": relative difference " + diff / Math.max(norm, 1e-30));
    }

    /** ‖actual − expected‖ / ‖expected‖. */
    static double relativeDifference(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length);
        return norm(expected, actual) / norm(expected, new double[expected.length]);
    }

    /** ‖a − b‖. */
    private static double norm(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) sum += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(sum);
    }

    /** {@code body}'s result with GPU products in {@code precision}; the default (HIGHEST) is back afterwards. */
    static <T> T withMatmulPrecision(MatmulPrecision precision, Supplier<T> body) {
        Device.setFloat32MatmulPrecision(precision);
        try {
            return body.get();
        } finally {
            Device.setFloat32MatmulPrecision(MatmulPrecision.HIGHEST);
        }
    }

    /** {@code op}'s values and input gradients on {@code gpu} equal those on the CPU. */
    static void gpuMatchesCpu(Device gpu, Supplier<Tensor> op, List<Tensor> inputs) {
        Run cpu = run(Device.cpu(), op, inputs, 7);
        Run onGpu = run(gpu, op, inputs, 7);
        assertClose(cpu.output(), onGpu.output(), "output");
        for (int i = 0; i < inputs.size(); i++) assertClose(cpu.grads().get(i), onGpu.grads().get(i), "grad " + i);
    }
}
