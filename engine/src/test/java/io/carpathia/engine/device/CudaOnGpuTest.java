package io.carpathia.engine.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.ops.Attention;
import io.carpathia.engine.ops.LinearAlgebra;
import io.carpathia.engine.optim.AdamW;
import io.carpathia.engine.quant.Nf4Tensor;
import io.carpathia.kernels.Cuda;
import io.carpathia.kernels.Nf4Layout;
import io.carpathia.kernels.reference.Nf4Data;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine on a real GPU ({@code Device.cuda()}): products forward and backward (float32, and TF32 under
 * {@link MatmulPrecision#HIGH}), the parameter cache through a short training run, and NF4 dequantization, each
 * against the CPU. Skipped where {@code Cuda.isAvailable()} is
 * false; run it on a GPU machine with Java ({@code mvn -B -pl engine -am test -Dtest=CudaOnGpuTest
 * -Dsurefire.failIfNoSpecifiedTests=false}).
 */
class CudaOnGpuTest {
    private static Device gpu;

    @BeforeAll
    static void openTheGpu() {
        assumeTrue(Cuda.isAvailable(), () -> "no GPU: " + Cuda.unavailableReason());
        gpu = Device.cuda();
    }

    private static Tensor floats(long seed, long... shape) {
        return Comparison.floats(seed, shape);
    }

    @Test
    void denseLayersOnAwkwardSizes() {
        for (int[] s : new int[][] {{1, 1, 1}, {3, 17, 33}, {65, 129, 31}, {128, 256, 64}, {300, 77, 513}}) {
            Tensor x = floats(1, s[0], s[1]);
            Tensor w = floats(2, s[2], s[1]);
            Tensor b = floats(3, s[2]);
            Comparison.gpuMatchesCpu(gpu, () -> LinearAlgebra.linear(x, w, b), List.of(x, w, b));
            Tensor wT = floats(4, s[1], s[2]);
            Comparison.gpuMatchesCpu(gpu, () -> LinearAlgebra.affine(x, wT, b), List.of(x, wT, b));
        }
    }

    @Test
    void tf32DenseLayersStayWithinTf32sPrecision() {
        for (int[] s : new int[][] {{3, 17, 33}, {65, 128, 32}, {300, 512, 256}}) {   // the last one is NT-eligible
            Tensor x = floats(5, s[0], s[1]);
            Tensor w = floats(6, s[2], s[1]);
            List<Tensor> inputs = List.of(x, w);
            Comparison.Run cpu = Comparison.run(Device.cpu(), () -> LinearAlgebra.linear(x, w, null), inputs, 7);
            Comparison.Run tf32 = Comparison.withMatmulPrecision(MatmulPrecision.HIGH,
                    () -> Comparison.run(gpu, () -> LinearAlgebra.linear(x, w, null), inputs, 7));
            double output = Comparison.relativeDifference(cpu.output(), tf32.output());
            double gradX = Comparison.relativeDifference(cpu.grads().get(0), tf32.grads().get(0));
            double gradW = Comparison.relativeDifference(cpu.grads().get(1), tf32.grads().get(1));
            String what = Arrays.toString(s) + ": " + output + ", " + gradX + ", " + gradW;
            assertTrue(output < 2e-3 && gradX < 2e-3 && gradW < 2e-3, what);
        }
    }

    @Test
    void batchedAndBroadcastMatmul() {
        long[][][] layouts = {{{4, 33, 17}, {4, 17, 65}}, {{1, 9, 8}, {3, 8, 5}}, {{2, 1, 7, 6}, {3, 6, 4}},
            {{5, 31}, {2, 31, 3}}, {{6, 40, 24}, {24, 12}}};
        int seed = 10;
        for (long[][] shapes : layouts) {
            Tensor a = floats(seed++, shapes[0]);
            Tensor b = floats(seed++, shapes[1]);
            Comparison.gpuMatchesCpu(gpu, () -> a.matmul(b), List.of(a, b));
        }
    }

    @Test
    void attention() {
        Tensor q = floats(20, 2, 4, 33, 16);
        Tensor k = floats(21, 2, 4, 33, 16);
        Tensor v = floats(22, 2, 4, 33, 16);
        Comparison.gpuMatchesCpu(gpu, () -> Attention.scaledDotProductAttention(q, k, v, null, true),
                List.of(q, k, v));
    }

    @Test
    void trainingFollowsTheCpu() {
        Random init = new Random(30);
        ParameterCacheTest.Mlp onCpu = new ParameterCacheTest.Mlp(init);
        ParameterCacheTest.Mlp onGpu = new ParameterCacheTest.Mlp(new Random(30));
        AdamW cpuOptimizer = new AdamW(onCpu.parameters(), 0.05);
        AdamW gpuOptimizer = new AdamW(onGpu.parameters(), 0.05);
        Tensor x = floats(31, 8, 6);
        Tensor target = floats(32, 8, 3);
        for (int step = 0; step < 10; step++) {
            double cpuLoss = step(Device.cpu(), onCpu, cpuOptimizer, x, target);
            double gpuLoss = step(gpu, onGpu, gpuOptimizer, x, target);
            assertEquals(cpuLoss, gpuLoss, 1e-4 * (1 + cpuLoss), "loss at step " + step);
        }
    }

    private static double step(Device device, ParameterCacheTest.Mlp model, AdamW optimizer, Tensor x, Tensor target) {
        try (Device.Use on = device.use()) {
            double loss;
            try (Scope scope = Scope.open()) {
                Tensor l = model.forward(x).mseLoss(target);
                l.backward();
                loss = l.item();
            }
            optimizer.step();
            optimizer.zeroGrad();
            return loss;
        }
    }

    @Test
    void nf4DequantizationGivesTheCpusBits() {
        for (Nf4Layout layout : List.of(Nf4Layout.of(4096L * 4096), Nf4Layout.doubleQuantized(4096L * 11008 + 3))) {
            Nf4Tensor weight = Nf4Tensor.of(new long[] {layout.elements()},
                    Nf4Data.random(layout, new SplittableRandom(layout.elements())));
            assertArrayEquals(Native.toDoubles(Device.cpu().dequantizeNf4(weight)),
                    Native.toDoubles(gpu.dequantizeNf4(weight)));
        }
    }
}
