package io.carpathia.engine.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Blas;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.ops.Attention;
import io.carpathia.engine.ops.LinearAlgebra;
import io.carpathia.kernels.CudaKernels;
import io.carpathia.kernels.Gemm;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Which products a GPU device runs, and that they give the CPU's results: matmul (2-D, batched, broadcast), the dense
 * layers and attention, forward and backward, against the same ops on the CPU. The GPU is the stand-in driver, which
 * computes the kernels' products plainly ({@link FakeGpu}); the copies between ND4J's buffers and device memory are
 * real.
 */
class GpuDispatchTest {

    private static Tensor floats(long seed, long... shape) {
        return Comparison.floats(seed, shape);
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        Comparison.assertClose(expected, actual, what);
    }

    /** Runs {@code op} on the CPU and on a fresh stand-in GPU, compares, and returns the GPU's kernel calls. */
    private static List<String> gpuMatchesCpu(Supplier<Tensor> op, List<Tensor> inputs) throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Comparison.gpuMatchesCpu(gpu, op, inputs);
        return FakeGpu.kernels(gpu).takeCalls();
    }

    private static String sgemm(Gemm shape) {
        return "FP32 " + shape;
    }

    @Test
    void linearRunsItsThreeProductsOnTheGpu() throws Exception {
        Tensor x = floats(1, 2, 3, 8);
        Tensor w = floats(2, 4, 8);
        Tensor b = floats(3, 4);
        List<String> calls = gpuMatchesCpu(() -> LinearAlgebra.linear(x, w, b), List.of(x, w, b));
        assertEquals(List.of(
                sgemm(Gemm.of(false, true, 6, 4, 8)),    // y[6, 4] = x[6, 8] · Wᵀ   (the bias was written first)
                sgemm(Gemm.of(false, false, 6, 8, 4)),   // dx[6, 8] = dy[6, 4] · W[4, 8]
                sgemm(Gemm.of(true, false, 4, 8, 6))),   // dW[4, 8] = dyᵀ · x
                calls);
    }

    @Test
    void affineRunsItsThreeProductsOnTheGpu() throws Exception {
        Tensor x = floats(4, 5, 3);
        Tensor w = floats(5, 3, 7);
        List<String> calls = gpuMatchesCpu(() -> LinearAlgebra.affine(x, w, null), List.of(x, w));
        assertEquals(List.of(
                sgemm(Gemm.of(false, false, 5, 7, 3)),   // y = x · W
                sgemm(Gemm.of(false, true, 5, 3, 7)),    // dx = dy · Wᵀ
                sgemm(Gemm.of(true, false, 3, 7, 5))),   // dW = xᵀ · dy
                calls);
    }

    @Test
    void batchedMatmulIsOneStridedLaunchPerProduct() throws Exception {
        Tensor a = floats(6, 3, 5, 4);
        Tensor b = floats(7, 3, 4, 2);
        List<String> calls = gpuMatchesCpu(() -> a.matmul(b), List.of(a, b));
        assertEquals(List.of(
                sgemm(Gemm.of(false, false, 5, 2, 4).batched(3)),    // C_i = A_i · B_i
                sgemm(Gemm.of(false, true, 5, 4, 2).batched(3)),     // dA_i = dC_i · B_iᵀ
                sgemm(Gemm.of(true, false, 4, 2, 5).batched(3))),    // dB_i = A_iᵀ · dC_i
                calls);
    }

    @Test
    void aBroadcastLeftOperandIsStrideZeroAndItsGradientAccumulatesInOrder() throws Exception {
        Tensor a = floats(8, 1, 5, 4);
        Tensor b = floats(9, 2, 4, 3);
        List<String> calls = gpuMatchesCpu(() -> a.matmul(b), List.of(a, b));
        Gemm forward = Gemm.of(false, false, 5, 3, 4).batched(2, 0, 12, 15);
        Gemm gradA = Gemm.of(false, true, 5, 4, 3);
        assertEquals(List.of(
                sgemm(forward),
                sgemm(gradA), sgemm(gradA),                      // dA += dC_i · B_iᵀ: both into the one dA
                sgemm(Gemm.of(true, false, 4, 3, 5).batched(2, 0, 15, 12))),
                calls);
    }

    @Property(tries = 15)
    void everyMatmulLayoutMatchesTheCpu(@ForAll @IntRange(min = 1, max = 6) int m,
            @ForAll @IntRange(min = 1, max = 6) int k, @ForAll @IntRange(min = 1, max = 6) int n,
            @ForAll @IntRange(min = 0, max = 6) int layout, @ForAll long seed) throws Exception {
        long[][] shapes = matmulLayout(layout, m, k, n);
        Tensor a = floats(seed, shapes[0]);
        Tensor b = floats(seed + 1, shapes[1]);
        List<String> calls = gpuMatchesCpu(() -> a.matmul(b), List.of(a, b));
        assertTrue(calls.size() >= 3, calls.toString());   // the forward and both gradients ran on the GPU
    }

    /** The operand shapes of one of matmul's seven layouts (2-D, shared, broadcast, vector operands). */
    private static long[][] matmulLayout(int layout, int m, int k, int n) {
        return switch (layout) {
            case 0 -> new long[][] {{m, k}, {k, n}};
            case 1 -> new long[][] {{2, m, k}, {k, n}};            // B shared: one product over all rows
            case 2 -> new long[][] {{2, 3, m, k}, {3, k, n}};      // B broadcast over the first dim: one per batch
            case 3 -> new long[][] {{1, m, k}, {2, k, n}};
            case 4 -> new long[][] {{k}, {2, k, n}};
            case 5 -> new long[][] {{2, 1, m, k}, {3, k, n}};
            default -> new long[][] {{m, k}, {k}};
        };
    }

    @Property(tries = 15)
    void everyMatmulLayoutRunsInTf32UnderHighPrecision(@ForAll @IntRange(min = 1, max = 40) int m,
            @ForAll @IntRange(min = 1, max = 40) int k, @ForAll @IntRange(min = 1, max = 40) int n,
            @ForAll @IntRange(min = 0, max = 6) int layout, @ForAll long seed) throws Exception {
        // operands and output gradient already TF32 values, so that TF32 products give float32's results
        long[][] shapes = matmulLayout(layout, m, k, n);
        Tensor a = Comparison.tf32Floats(seed, shapes[0]);
        Tensor b = Comparison.tf32Floats(seed + 1, shapes[1]);
        List<Tensor> inputs = List.of(a, b);
        Device gpu = FakeGpu.device("cuda:fake");
        Comparison.Run cpu = Comparison.run(Device.cpu(), () -> a.matmul(b), inputs, seed, true);
        Comparison.Run tf32 = Comparison.withMatmulPrecision(MatmulPrecision.HIGH,
                () -> Comparison.run(gpu, () -> a.matmul(b), inputs, seed, true));
        List<String> calls = FakeGpu.kernels(gpu).takeCalls();
        assertTrue(calls.size() >= 3 && calls.stream().allMatch(c -> c.startsWith("TF32 ")), calls.toString());
        assertClose(cpu.output(), tf32.output(), "output");
        for (int i = 0; i < 2; i++) assertClose(cpu.grads().get(i), tf32.grads().get(i), "grad " + i);
    }

    @Test
    void attentionRunsEachProductForAllHeadsInOneLaunch() throws Exception {
        // q: [B=2, nh=3, Tq=5, d=4], k: [2, 3, Tk=7, 4], v: [2, 3, 7, dv=6], a padding mask [2, 1, 1, 7]
        Tensor q = floats(10, 2, 3, 5, 4);
        Tensor k = floats(11, 2, 3, 7, 4);
        Tensor v = floats(12, 2, 3, 7, 6);
        Tensor mask = floats(13, 2, 1, 1, 7);
        List<String> calls = gpuMatchesCpu(() -> Attention.scaledDotProductAttention(q, k, v, mask, true),
                List.of(q, k, v, mask));
        assertEquals(List.of(
                sgemm(Gemm.of(false, true, 5, 7, 4).batched(6)),    // S = q · kᵀ / √d
                sgemm(Gemm.of(false, false, 5, 6, 7).batched(6)),   // O = P · v
                sgemm(Gemm.of(true, false, 7, 6, 5).batched(6)),    // dv = Pᵀ · dO
                sgemm(Gemm.of(false, true, 5, 7, 6).batched(6)),    // dP = dO · vᵀ
                sgemm(Gemm.of(false, false, 5, 4, 7).batched(6)),   // dq = dS · k / √d
                sgemm(Gemm.of(true, false, 7, 4, 5).batched(6))),   // dk = dSᵀ · q / √d
                calls);
    }

    @Test
    void attentionWithoutGradientsMatchesTheCpu() throws Exception {
        Tensor q = floats(14, 1, 2, 3, 8);
        Tensor k = floats(15, 1, 2, 9, 8);
        Tensor v = floats(16, 1, 2, 9, 8);
        double[] cpu = Attention.scaledDotProductAttention(q, k, v, null, false).toDoubleArray();
        Device gpu = FakeGpu.device("cuda:fake");
        try (Device.Use on = gpu.use()) {
            assertClose(cpu, Attention.scaledDotProductAttention(q, k, v, null, false).toDoubleArray(), "attention");
        }
        assertEquals(2, FakeGpu.kernels(gpu).takeCalls().size());
    }

    /**
     * A GPU device on the production adapter over {@link CudaKernels}, with an empty launch log: the stand-in driver
     * logs each launch and computes nothing.
     */
    private static Device launchingGpu() throws Exception {
        Device gpu = Device.gpu("cuda:fake", GpuKernels.of(new CudaKernels(FakeGpu.context())));
        FakeGpu.takeLaunches();
        return gpu;
    }

    @Test
    void theKernelsModuleLaunchesTheFormEachProductNeeds() throws Exception {
        Device gpu = launchingGpu();
        Tensor x = floats(21, 8, 16).requiresGrad(true);
        Tensor w = floats(22, 12, 16).requiresGrad(true);
        Tensor a = floats(23, 3, 5).requiresGrad(true);
        Tensor b = floats(24, 4, 5, 7);
        try (Device.Use on = gpu.use()) {
            LinearAlgebra.linear(x, w, null).sum().backward();
            a.matmul(b).sum().backward();
        }
        assertEquals(List.of(
                "carpathia_sgemm_nt_vec grid=1,1,1 block=256,1,1 shared=0 first=8,12,16",     // y = x · Wᵀ
                "carpathia_sgemm_nn_vec grid=1,1,1 block=256,1,1 shared=0 first=8,16,12",     // dx = dy · W
                "carpathia_sgemm_tn_vec grid=1,1,1 block=256,1,1 shared=0 first=12,16,8",     // dW = dyᵀ · x
                "carpathia_sgemm_nn grid=1,1,4 block=256,1,1 shared=0 first=3,7,5",           // 4 × [3, 5]·[5, 7]
                "carpathia_sgemm_nt grid=1,1,1 block=256,1,1 shared=0 first=3,5,7",           // dA: one product per
                "carpathia_sgemm_nt grid=1,1,1 block=256,1,1 shared=0 first=3,5,7",           // batch, accumulated
                "carpathia_sgemm_nt grid=1,1,1 block=256,1,1 shared=0 first=3,5,7",           // into the one dA
                "carpathia_sgemm_nt grid=1,1,1 block=256,1,1 shared=0 first=3,5,7"),
                FakeGpu.takeLaunches());
    }

    @Test
    void highPrecisionMultipliesInTf32OnTheGpuAndLeavesTheCpuAlone() throws Exception {
        Tensor x = floats(25, 6, 64);
        Tensor w = floats(26, 32, 64);
        List<Tensor> inputs = List.of(x, w);
        Device gpu = FakeGpu.device("cuda:fake");
        Supplier<Tensor> linear = () -> LinearAlgebra.linear(x, w, null);
        Comparison.Run cpu = Comparison.run(Device.cpu(), linear, inputs, 7);
        // the CPU multiplies in float32 whatever is set: bit for bit what it gave before
        Comparison.Run cpuAgain = Comparison.withMatmulPrecision(MatmulPrecision.HIGH,
                () -> Comparison.run(Device.cpu(), linear, inputs, 7));
        assertArrayEquals(cpu.output(), cpuAgain.output());
        Comparison.Run tf32 = Comparison.withMatmulPrecision(MatmulPrecision.HIGH,
                () -> Comparison.run(gpu, linear, inputs, 7));
        assertEquals(List.of(
                "TF32 " + Gemm.of(false, true, 6, 32, 64),
                "TF32 " + Gemm.of(false, false, 6, 64, 32),
                "TF32 " + Gemm.of(true, false, 32, 64, 6)),
                FakeGpu.kernels(gpu).takeCalls());
        // inputs with 10 mantissa bits: about 1e-3 of float32's products, far above float32's own 1e-7
        List<double[]> expected = List.of(cpu.output(), cpu.grads().get(0), cpu.grads().get(1));
        List<double[]> actual = List.of(tf32.output(), tf32.grads().get(0), tf32.grads().get(1));
        for (int i = 0; i < expected.size(); i++) {
            double relative = Comparison.relativeDifference(expected.get(i), actual.get(i));
            assertTrue(relative > 1e-5 && relative < 2e-3, "result " + i + ": relative difference " + relative);
        }
        // and the setting is back: float32 again
        Comparison.run(gpu, linear, inputs, 7);
        assertTrue(FakeGpu.kernels(gpu).takeCalls().stream().allMatch(call -> call.startsWith("FP32 ")));
    }

    @Test
    void highPrecisionLaunchesTheTf32TensorCoreKernels() throws Exception {
        Device gpu = launchingGpu();
        Tensor x = floats(27, 8, 16).requiresGrad(true);
        Tensor w = floats(28, 12, 16).requiresGrad(true);
        try (Device.Use on = gpu.use()) {
            Comparison.withMatmulPrecision(MatmulPrecision.HIGH, () -> {
                LinearAlgebra.linear(x, w, null).sum().backward();
                return null;
            });
        }
        assertEquals(List.of(
                // TF32 may go to Hopper's warpgroup kernels: asked once, and this stand-in GPU says it has none
                "carpathia_wgmma_available grid=1,1,1 block=1,1,1 shared=0",
                "carpathia_gemm_tf32_nt_vec grid=1,1,1 block=256,1,1 shared=0 first=8,12,16",     // y = x · Wᵀ
                "carpathia_gemm_tf32_nn_vec grid=1,1,1 block=256,1,1 shared=0 first=8,16,12",     // dx = dy · W
                "carpathia_gemm_tf32_tn_vec grid=1,1,1 block=256,1,1 shared=0 first=12,16,8"),    // dW = dyᵀ · x
                FakeGpu.takeLaunches());
    }

    @Test
    void matmulPrecisionsHavePyTorchsNames() {
        assertEquals(MatmulPrecision.HIGHEST, MatmulPrecision.parse("highest"));
        assertEquals(MatmulPrecision.HIGH, MatmulPrecision.parse("high"));
        assertEquals(MatmulPrecision.HIGHEST, Device.float32MatmulPrecision());
        IllegalArgumentException medium = assertThrows(IllegalArgumentException.class,
                () -> MatmulPrecision.parse("medium"));
        assertEquals("matmul precision 'medium' is not one of highest, high (PyTorch's \"medium\", bfloat16 products, "
                + "is not offered: the engine's arrays are float32)", medium.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MatmulPrecision.parse("HIGH"));
    }

    @Test
    void float64AndEmptyInnerDimensionsStayOnTheCpu() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Tensor a = floats(17, 3, 4).castTo(DataType.DOUBLE);
        Tensor b = floats(18, 4, 2).castTo(DataType.DOUBLE);
        double[] cpu = a.matmul(b).toDoubleArray();
        try (Device.Use on = gpu.use()) {
            assertArrayEquals(cpu, a.matmul(b).toDoubleArray());             // float64: OpenBLAS's dgemm, bit for bit
            assertArrayEquals(new double[6], Tensor.zeros(3, 0).matmul(Tensor.zeros(0, 2)).toDoubleArray());
        }
        assertEquals(List.of(), FakeGpu.kernels(gpu).takeCalls());
    }

    @Test
    void withTheCpuSelectedTheProductsAreBlasEvenWhileAnotherThreadUsesAGpu() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        CountDownLatch selected = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
            try (Device.Use on = gpu.use()) {
                selected.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        selected.await();
        try {
            INDArray a = floats(19, 4, 6, 5).value();
            INDArray b = floats(20, 5, 3).value();
            INDArray viaMatMul = Nd4j.createUninitialized(DataType.FLOAT, 4, 6, 3);
            INDArray viaBlas = Nd4j.createUninitialized(DataType.FLOAT, 4, 6, 3);
            MatMul.gemmStrided(false, false, 6, 3, 5, 1, a, 0, 30, b, 0, 0, 0, viaMatMul, 0, 18, 4);
            for (int i = 0; i < 4; i++) Blas.gemm(false, false, 6, 3, 5, 1, a, i * 30L, b, 0, 0, viaBlas, i * 18L);
            assertArrayEquals(Native.toDoubles(viaBlas), Native.toDoubles(viaMatMul));
        } finally {
            done.countDown();
            other.get();
        }
        assertEquals(List.of(), FakeGpu.kernels(gpu).takeCalls());
    }
}
