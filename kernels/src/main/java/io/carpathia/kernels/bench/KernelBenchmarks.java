package io.carpathia.kernels.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;

import io.carpathia.kernels.CudaContext;
import io.carpathia.kernels.CudaEvent;
import io.carpathia.kernels.CudaKernels;
import io.carpathia.kernels.DeviceBuffer;
import io.carpathia.kernels.DeviceNf4;
import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.GemmFamily;
import io.carpathia.kernels.GemmPrecision;
import io.carpathia.kernels.Nf4Layout;
import io.carpathia.kernels.Nf4Output;
import io.carpathia.kernels.reference.Rounding;

/**
 * The measurements issue 6 asks for, timed with CUDA events on the device's clock: 3 warm-up launches, then 5 rounds
 * of 10 launches, the median round divided by 10.
 *
 * <ul>
 *   <li>SGEMM 4096³ FP32 (NN, NT, TN) against {@code torch.matmul} with TF32 off (cuBLAS); goal ≥ 90%.
 *   <li>Tensor cores at 4096³, TF32 and BF16, against {@code torch.matmul} in TF32 and in bfloat16; goal ≥ 70%:
 *       the warp-level kernels (NN, NT) and, on an sm_90 GPU, the warpgroup kernels (NT, tiles 128 and 256 wide).
 *   <li>NF4 dequantization of a 4096 × 4096 weight (double-quantized, as QLoRA stores it) to F32 and BF16, in GB/s
 *       of bytes read plus written, against a device-to-device copy of a buffer the size of the output (its bytes
 *       read plus written) in the same run; goal ≥ 80%.
 *   <li>The fused NF4 matrix-vector product at 4096 × 4096 in GB/s of weight, x and y moved.
 * </ul>
 *
 * Ratios to PyTorch come from the properties file {@code bench_torch.py} writes, when given.
 */
final class KernelBenchmarks {
    private static final int SIZE = 4096;
    private static final int WARMUP = 3;
    private static final int ROUNDS = 5;
    private static final int LAUNCHES_PER_ROUND = 10;

    record Row(String benchmark, String size, double milliseconds, String rate, String peer, String ratio,
               String goal) {}

    private final CudaContext context;
    private final CudaKernels kernels;
    private final Properties torch;
    private final List<Row> rows = new ArrayList<>();

    KernelBenchmarks(CudaKernels kernels, Properties torch) {
        this.context = kernels.context();
        this.kernels = kernels;
        this.torch = torch;
    }

    List<Row> runAll() {
        long elements = (long) SIZE * SIZE;
        SplittableRandom random = new SplittableRandom(1);
        float[] values = new float[(int) elements];
        for (int i = 0; i < values.length; i++) values[i] = (float) (2 * random.nextDouble() - 1);
        try (DeviceBuffer a = context.allocate(elements * 4); DeviceBuffer b = context.allocate(elements * 4);
             DeviceBuffer c = context.allocate(elements * 4)) {
            a.write(values, 0);
            b.write(values, 0);
            gemm(GemmPrecision.FP32, Gemm.of(false, false, SIZE, SIZE, SIZE), a, b, c, "matmul_fp32_ms",
                    "torch.matmul FP32 (TF32 off)", "≥ 90%");
            gemm(GemmPrecision.FP32, Gemm.of(false, true, SIZE, SIZE, SIZE), a, b, c, "matmul_fp32_ms",
                    "torch.matmul FP32 (TF32 off)", "");
            gemm(GemmPrecision.FP32, Gemm.of(true, false, SIZE, SIZE, SIZE), a, b, c, "matmul_fp32_ms",
                    "torch.matmul FP32 (TF32 off)", "");
            tensorCores(GemmPrecision.TF32, a, b, c, "matmul_tf32_ms", "torch.matmul TF32");
            short[] bf16 = Rounding.toBf16(values);
            a.write(bf16, 0);
            b.write(bf16, 0);
            tensorCores(GemmPrecision.BF16, a, b, c, "matmul_bf16_ms", "torch.matmul BF16");
        }
        nf4(elements);
        return rows;
    }

    /**
     * The tensor-core products at 4096³: the warp-level kernels in NN and NT, then (on an sm_90 GPU) the warpgroup
     * kernels in NT with both tile widths. cuBLAS times NN (torch.matmul(a, b)); NT costs it the same.
     */
    private void tensorCores(GemmPrecision precision, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, String torchKey,
                             String peer) {
        Gemm nn = Gemm.of(false, false, SIZE, SIZE, SIZE);
        Gemm nt = Gemm.of(false, true, SIZE, SIZE, SIZE);
        gemm(GemmFamily.CLASSIC, precision, nn, a, b, c, torchKey, peer, "≥ 70%");
        gemm(GemmFamily.CLASSIC, precision, nt, a, b, c, torchKey, peer, "≥ 70%");
        if (!kernels.wgmmaAvailable()) return;
        gemm(GemmFamily.WGMMA_128, precision, nt, a, b, c, torchKey, peer, "≥ 70%");
        gemm(GemmFamily.WGMMA_256, precision, nt, a, b, c, torchKey, peer, "≥ 70%");
    }

    private void gemm(GemmPrecision precision, Gemm shape, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c,
                      String torchKey, String peer, String goal) {
        gemm(GemmFamily.CLASSIC, precision, shape, a, b, c, torchKey, peer, goal);
    }

    private void gemm(GemmFamily family, GemmPrecision precision, Gemm shape, DeviceBuffer a, DeviceBuffer b,
                      DeviceBuffer c, String torchKey, String peer, String goal) {
        String form = (shape.transA() ? "T" : "N") + (shape.transB() ? "T" : "N");
        String kernel = family.tileN() > 0 ? shape.wgmmaKernelName(precision, family.tileN(), c.address())
                : shape.kernelName(precision, true);
        String benchmark = precision + " GEMM " + form + " (" + kernel + ")";
        double ms;
        try {
            ms = time(() -> kernels.gemm(family, precision, shape, 1f, a, 0, b, 0, 0f, c, 0));
        } catch (IllegalStateException wrong) {   // the kernel failed CudaKernels' check of its first launch
            rows.add(new Row(benchmark, SIZE + "³", Double.NaN, "not timed: wrong results", "", "", goal));
            return;
        }
        double tflops = 2 * shape.multiplyAdds() / (ms * 1e-3) / 1e12;
        String peerText = "";
        String ratio = "";
        String torchMs = torch.getProperty(torchKey);
        if (torchMs != null) {
            double theirs = Double.parseDouble(torchMs);
            peerText = String.format("%s %.1f TFLOP/s", peer, 2 * shape.multiplyAdds() / (theirs * 1e-3) / 1e12);
            ratio = String.format("%.1f%%", 100 * theirs / ms);
        }
        rows.add(new Row(benchmark, SIZE + "³", ms, String.format("%.1f TFLOP/s", tflops), peerText, ratio, goal));
    }

    private void nf4(long elements) {
        Nf4Layout layout = Nf4Layout.doubleQuantized(elements);
        SplittableRandom random = new SplittableRandom(2);
        byte[] packed = new byte[(int) layout.packedBytes()];
        random.nextBytes(packed);
        byte[] codes = new byte[(int) layout.blocks()];
        random.nextBytes(codes);
        float[] codebook = new float[256];
        for (int i = 0; i < 256; i++) codebook[i] = (float) (2 * random.nextDouble() - 1);
        Arrays.sort(codebook);
        float[] scales = new float[(int) layout.nestedGroups()];
        Arrays.fill(scales, 0.5f);
        long quantizedBytes = layout.packedBytes() + layout.blocks() + 256 * 4 + layout.nestedGroups() * 4;
        try (DeviceBuffer devicePacked = context.allocate(layout.packedBytes());
             DeviceBuffer deviceCodes = context.allocate(layout.blocks());
             DeviceBuffer deviceCodebook = context.allocate(256 * 4);
             DeviceBuffer deviceScales = context.allocate(layout.nestedGroups() * 4);
             DeviceBuffer out = context.allocate(elements * 4);
             DeviceBuffer copy = context.allocate(elements * 4);
             DeviceBuffer x = context.allocate(SIZE * 4L);
             DeviceBuffer y = context.allocate(SIZE * 4L)) {
            devicePacked.write(packed, 0);
            deviceCodes.write(codes, 0);
            deviceCodebook.write(codebook, 0);
            deviceScales.write(scales, 0);
            x.fill32(0, SIZE, Float.floatToRawIntBits(0.5f));
            DeviceNf4 weights = DeviceNf4.doubleQuantized(layout, devicePacked, deviceCodes, deviceCodebook,
                    deviceScales, 0.01f);
            for (Nf4Output output : Nf4Output.values()) {
                long outBytes = elements * output.bytes();
                double copyMs = time(() -> copy.copyFrom(out, 0, 0, outBytes));
                double copyRate = 2.0 * outBytes / (copyMs * 1e-3) / 1e9;
                double ms = timeIfRight(() -> kernels.nf4Dequantize(weights, out, 0, output));
                double rate = (quantizedBytes + outBytes) / (ms * 1e-3) / 1e9;
                String torchKey = output == Nf4Output.F32 ? "copy_f32_ms" : "copy_bf16_ms";
                String torchCopy = torch.getProperty(torchKey);
                String peer = String.format("our D2D copy of %d MiB: %.0f GB/s%s", outBytes >> 20, copyRate,
                        torchCopy == null ? "" : String.format("; torch copy_: %.0f GB/s",
                                2.0 * outBytes / (Double.parseDouble(torchCopy) * 1e-3) / 1e9));
                rows.add(new Row("NF4 dequantize → " + output + " (double-quantized)", SIZE + "²", ms,
                        String.format("%.0f GB/s", rate), peer, String.format("%.1f%%", 100 * rate / copyRate),
                        "≥ 80%"));
            }
            double ms = timeIfRight(() -> kernels.nf4Gemv(weights, SIZE, SIZE, x, 0, y, 0));
            double rate = (quantizedBytes + 2L * SIZE * 4) / (ms * 1e-3) / 1e9;
            rows.add(new Row("NF4 GEMV y = W x (double-quantized)", SIZE + "²", ms, String.format("%.0f GB/s", rate),
                    "", "", ""));
        }
    }

    /** {@link #time}, or NaN (shown as such in the row) for a kernel that failed its first launch's check. */
    private double timeIfRight(Runnable launch) {
        try {
            return time(launch);
        } catch (IllegalStateException wrong) {
            System.out.println("not timed: " + wrong.getMessage());
            return Double.NaN;
        }
    }

    /** Median milliseconds per launch. */
    private double time(Runnable launch) {
        for (int i = 0; i < WARMUP; i++) launch.run();
        context.synchronize();
        double[] perLaunch = new double[ROUNDS];
        try (CudaEvent start = context.createEvent(); CudaEvent end = context.createEvent()) {
            for (int round = 0; round < ROUNDS; round++) {
                start.record();
                for (int i = 0; i < LAUNCHES_PER_ROUND; i++) launch.run();
                end.record();
                perLaunch[round] = end.millisecondsSince(start) / LAUNCHES_PER_ROUND;
            }
        }
        Arrays.sort(perLaunch);
        return perLaunch[ROUNDS / 2];
    }
}
