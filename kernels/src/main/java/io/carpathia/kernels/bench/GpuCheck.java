package io.carpathia.kernels.bench;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;

import io.carpathia.kernels.Cuda;
import io.carpathia.kernels.CudaContext;
import io.carpathia.kernels.CudaKernels;
import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.GemmPrecision;
import io.carpathia.kernels.KernelTiling;
import io.carpathia.kernels.Nf4Layout;
import io.carpathia.kernels.reference.GemmReference;
import io.carpathia.kernels.reference.Nf4Data;
import io.carpathia.kernels.reference.Nf4Emulation;
import io.carpathia.kernels.reference.Nf4Reference;
import io.carpathia.kernels.reference.Rounding;
import io.carpathia.kernels.reference.SgemmEmulation;
import io.carpathia.kernels.reference.TensorCoreEmulation;
import io.carpathia.kernels.reference.WgmmaEmulation;

/**
 * The GPU machine's one run: every kernel against its CPU reference on fresh random inputs of awkward sizes, then
 * the benchmarks, printed as Markdown tables for BENCHMARKS.md. Exit status 0 when every check passed, 1 when one
 * failed, 2 when there is no GPU (after checking the CPU side, so a bundle can be tried anywhere).
 *
 * <pre>
 * GpuCheck [--torch torch.properties] [--checks-only | --bench-only] [--seed N]
 * </pre>
 */
public final class GpuCheck {
    private GpuCheck() {}

    public static void main(String[] args) throws IOException {
        Properties torch = new Properties();
        boolean checks = true;
        boolean bench = true;
        long seed = System.nanoTime();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--torch" -> {
                    Path file = Path.of(args[++i]);
                    if (Files.exists(file)) {
                        try (Reader reader = Files.newBufferedReader(file)) {
                            torch.load(reader);
                        }
                    }
                }
                case "--checks-only" -> bench = false;
                case "--bench-only" -> checks = false;
                case "--seed" -> seed = Long.parseLong(args[++i]);
                default -> {
                    System.err.println("usage: GpuCheck [--torch FILE] [--checks-only | --bench-only] [--seed N]");
                    System.exit(64);
                }
            }
        }
        System.out.printf("Carpathia kernels check: Java %s on %s %s, seed %d%n", System.getProperty("java.version"),
                System.getProperty("os.name"), System.getProperty("os.arch"), seed);

        if (!Cuda.isAvailable()) {
            System.out.println();
            System.out.println("No GPU available: " + Cuda.unavailableReason());
            System.out.println("Nothing ran on a GPU. Checking the CPU references and kernel emulations instead...");
            cpuSelfCheck(seed);
            System.out.println("CPU references and emulations agree. Run this on a machine with an NVIDIA driver.");
            System.exit(2);
        }

        CudaContext context = Cuda.context();
        CudaKernels kernels = new CudaKernels(context);
        System.out.println("Device: " + context.device().describe());
        System.out.println("Kernels from: " + kernels.moduleDescription());
        System.out.println("Warpgroup (wgmma) kernels: " + (kernels.wgmmaAvailable() ? "available" : "not on this GPU"));
        if (!torch.isEmpty()) {
            System.out.println("PyTorch side: torch " + torch.getProperty("torch_version", "?") + ", CUDA "
                    + torch.getProperty("cuda", "?") + ", " + torch.getProperty("device", "?"));
        }

        boolean allPassed = true;
        if (checks) {
            long started = System.nanoTime();
            List<KernelChecks.Result> results = new KernelChecks(kernels, seed).runAll();
            System.out.println();
            System.out.println("## Kernels against the CPU reference");
            System.out.println();
            System.out.println("| kernel | shape | result | |");
            System.out.println("|---|---|---|---|");
            int failed = 0;
            for (KernelChecks.Result r : results) {
                if (!r.passed()) failed++;
                System.out.printf("| %s | %s | %s | %s |%n", r.kernel(), r.shape(), r.measure(),
                        r.passed() ? "pass" : "**FAIL**");
            }
            System.out.printf("%n%d checks, %d failed (%.1f s)%n", results.size(), failed,
                    (System.nanoTime() - started) / 1e9);
            allPassed = failed == 0;
        }
        if (bench) {
            List<KernelBenchmarks.Row> rows = new KernelBenchmarks(kernels, torch).runAll();
            System.out.println();
            System.out.println("## Benchmarks (median of 5 rounds of 10 launches, CUDA events)");
            System.out.println();
            System.out.println("| benchmark | size | ms | rate | reference | ratio | goal |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (KernelBenchmarks.Row r : rows) {
                System.out.printf("| %s | %s | %.3f | %s | %s | %s | %s |%n", r.benchmark(), r.size(), r.milliseconds(),
                        r.rate(), r.peer(), r.ratio(), r.goal());
            }
        }
        System.exit(allPassed ? 0 : 1);
    }

    /**
     * Without a GPU: the emulations of every kernel against the references on a few awkward shapes, so that the
     * bundle's Java side is known to work.
     */
    static void cpuSelfCheck(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Gemm shape : List.of(Gemm.of(false, false, 17, 63, 65), Gemm.of(false, true, 65, 33, 129),
                Gemm.of(true, false, 64, 128, 32).batched(2))) {
            float[] a = values(random, shape.extentA());
            float[] b = values(random, shape.extentB());
            float[] expected = new float[(int) shape.extentC()];
            GemmReference.gemm(shape, 1f, a, 0, b, 0, 0f, expected, 0);
            float[] sgemm = new float[expected.length];
            SgemmEmulation.run(shape, 1f, a, 0, b, 0, 0f, sgemm, 0,
                    shape.vectorisable(GemmPrecision.FP32, 0, 0, 0));
            require(relativeError(sgemm, expected) < 1e-5, "FP32 emulation of " + shape);
            float[] tf32 = new float[expected.length];
            TensorCoreEmulation.run(GemmPrecision.TF32, shape, 1f, a, 0, b, 0, 0f, tf32, 0,
                    shape.vectorisable(GemmPrecision.TF32, 0, 0, 0));
            require(relativeError(tf32, expected) < 1e-2, "TF32 emulation of " + shape);
            float[] bf16 = new float[expected.length];
            TensorCoreEmulation.run(GemmPrecision.BF16, shape, 1f, Rounding.roundToBf16(a), 0,
                    Rounding.roundToBf16(b), 0, 0f, bf16, 0, shape.vectorisable(GemmPrecision.BF16, 0, 0, 0));
            require(relativeError(bf16, expected) < 1e-2, "BF16 emulation of " + shape);
        }
        Gemm nt = Gemm.of(false, true, 65, 129, 72);
        float[] a = values(random, nt.extentA());
        float[] b = values(random, nt.extentB());
        float[] expected = new float[(int) nt.extentC()];
        GemmReference.gemm(nt, 1f, a, 0, b, 0, 0f, expected, 0);
        for (int tileN : KernelTiling.Wgmma.TILE_N) {
            float[] tf32 = new float[expected.length];
            WgmmaEmulation.run(GemmPrecision.TF32, tileN, nt, 1f, a, 0, b, 0, 0f, tf32, 0, 1);
            require(relativeError(tf32, expected) < 1e-2, "TF32 wgmma emulation (BN " + tileN + ") of " + nt);
            float[] bf16 = new float[expected.length];
            WgmmaEmulation.run(GemmPrecision.BF16, tileN, nt, 1f, Rounding.roundToBf16(a), 0, Rounding.roundToBf16(b),
                    0, 0f, bf16, 0, 1);
            require(relativeError(bf16, expected) < 1e-2, "BF16 wgmma emulation (BN " + tileN + ") of " + nt);
        }
        for (long n : new long[] {1, 65, 4133}) {
            Nf4Data data = Nf4Data.random(Nf4Layout.doubleQuantized(n), random);
            require(java.util.Arrays.equals(Nf4Reference.dequantize(data), Nf4Emulation.dequantizeF32(data, true, 3)),
                    "NF4 dequantization emulation, n=" + n);
        }
        Nf4Data matrix = Nf4Data.random(Nf4Layout.of(33L * 1056), random);
        float[] x = values(random, 1056);
        require(relativeError(Nf4Emulation.gemv(matrix, 33, 1056, x, true), Nf4Reference.gemv(matrix, 33, 1056, x))
                < 1e-5, "NF4 GEMV emulation");
    }

    private static float[] values(SplittableRandom random, long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (2 * random.nextDouble() - 1);
        return v;
    }

    private static double relativeError(float[] out, float[] reference) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < out.length; i++) {
            diff += Math.pow((double) out[i] - reference[i], 2);
            norm += Math.pow(reference[i], 2);
        }
        return Math.sqrt(diff / Math.max(norm, Double.MIN_NORMAL));
    }

    private static void require(boolean condition, String what) {
        if (!condition) {
            System.out.println("CPU self-check FAILED: " + what);
            System.exit(1);
        }
    }
}
