package io.carpathia.kernels.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import io.carpathia.kernels.CudaContext;
import io.carpathia.kernels.CudaKernels;
import io.carpathia.kernels.DeviceBuffer;
import io.carpathia.kernels.DeviceNf4;
import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.GemmFamily;
import io.carpathia.kernels.GemmPrecision;
import io.carpathia.kernels.Nf4Layout;
import io.carpathia.kernels.Nf4Output;
import io.carpathia.kernels.reference.GemmReference;
import io.carpathia.kernels.reference.Nf4Data;
import io.carpathia.kernels.reference.Nf4Emulation;
import io.carpathia.kernels.reference.Nf4Reference;
import io.carpathia.kernels.reference.Rounding;
import io.carpathia.kernels.reference.SgemmEmulation;

/**
 * Every kernel against its CPU reference on fresh random inputs of awkward sizes. Outputs start filled with a NaN
 * sentinel, with a guard band after them: every output element must have been written (no sentinel left), nothing
 * outside the output touched (padding and guard still sentinel), and the values must agree — FP32 products to
 * ‖out − ref‖/‖ref‖ < 1e-5, TF32 and BF16 to 1e-4 against the product of the values the tensor cores see and to
 * 1e-2 against the float32 product, NF4 dequantization bit for bit, the NF4 matrix-vector product to 1e-5.
 */
final class KernelChecks {
    /** A NaN no kernel produces, as float32 bits; as bfloat16 pairs it reads 0xdead, 0x7fc0. */
    static final int SENTINEL = 0x7fc0dead;
    private static final int GUARD = 64;

    record Result(String kernel, String shape, String measure, boolean passed) {}

    private final CudaContext context;
    private final CudaKernels kernels;
    private final SplittableRandom random;
    private final List<Result> results = new ArrayList<>();

    KernelChecks(CudaKernels kernels, long seed) {
        this.context = kernels.context();
        this.kernels = kernels;
        this.random = new SplittableRandom(seed);
    }

    List<Result> runAll() {
        for (GemmPrecision precision : GemmPrecision.values()) {
            for (String form : List.of("NN", "NT", "TN")) {
                boolean ta = form.charAt(0) == 'T';
                boolean tb = form.charAt(1) == 'T';
                gemm(precision, Gemm.of(ta, tb, 1, 1, 1), 1f, 0f, true);
                gemm(precision, Gemm.of(ta, tb, 17, 63, 65), 1f, 0f, true);
                gemm(precision, Gemm.of(ta, tb, 65, 129, 63), 0.5f, 0f, false);
                gemm(precision, Gemm.of(ta, tb, 129, 17, 129), 1f, -1f, true);
                gemm(precision, Gemm.of(ta, tb, 128, 128, 128), 1f, 0f, true);
                gemm(precision, Gemm.of(ta, tb, 256, 192, 320), 1f, 0.5f, true);
                gemm(precision, Gemm.of(ta, tb, 72, 136, 40).withLeadingDimensions(ta ? 80 : 48, tb ? 48 : 144, 140),
                        2f, 0f, true);
                gemm(precision, Gemm.of(ta, tb, 33, 65, 17).batched(3), 1f, 0f, true);
                gemm(precision, Gemm.of(ta, tb, 64, 64, 64).batched(4), 1f, 1f, true);
            }
            Gemm shared = Gemm.of(false, false, 96, 64, 48);
            gemm(precision, shared.batched(3, shared.extentA(), 0, shared.extentC()), 1f, 0f, true);
            if (precision.hasWgmma() && kernels.wgmmaAvailable()) {
                for (GemmFamily family : List.of(GemmFamily.WGMMA_128, GemmFamily.WGMMA_256)) wgmma(family, precision);
            }
        }
        for (Nf4Output output : Nf4Output.values()) {
            for (boolean nested : new boolean[] {false, true}) {
                for (long n : new long[] {1, 17, 63, 64, 65, 129, 1000, 4133, 65536 + 96}) {
                    Nf4Layout layout = nested ? Nf4Layout.doubleQuantized(n) : Nf4Layout.of(n);
                    nf4Dequantize(layout, output, 0);
                    if (n > 64) nf4Dequantize(layout, output, 1);
                }
            }
        }
        int[][] gemvShapes = {{1, 1}, {17, 63}, {65, 129}, {7, 1056}, {33, 4096}, {64, 4096 + 32}};
        for (int[] s : gemvShapes) {
            for (boolean nested : new boolean[] {false, true}) {
                nf4Gemv(s[0], s[1], nested, 0);
                nf4Gemv(s[0], s[1], nested, 1);
            }
        }
        return results;
    }

    /** The warpgroup kernels (NT only, k in whole 16-byte chunks) on awkward m, n and C layouts. */
    private void wgmma(GemmFamily family, GemmPrecision precision) {
        gemm(family, precision, Gemm.of(false, true, 1, 1, 8), 1f, 0f, true);
        gemm(family, precision, Gemm.of(false, true, 17, 63, 64), 1f, 0f, true);
        gemm(family, precision, Gemm.of(false, true, 65, 129, 72), 0.5f, 0f, true);
        gemm(family, precision, Gemm.of(false, true, 129, 17, 136), 1f, -1f, true);
        gemm(family, precision, Gemm.of(false, true, 128, 256, 128), 1f, 0f, true);
        gemm(family, precision, Gemm.of(false, true, 256, 520, 328), 1f, 0.5f, true);
        gemm(family, precision, Gemm.of(false, true, 72, 136, 40).withLeadingDimensions(48, 56, 141), 2f, 0f, true);
        gemm(family, precision, Gemm.of(false, true, 33, 65, 24).batched(3), 1f, 0f, true);
        gemm(family, precision, Gemm.of(false, true, 64, 64, 64).batched(4), 1f, 1f, true);
        gemm(family, precision, Gemm.of(false, true, 300, 777, 1032), 1f, 0f, true);
    }

    void gemm(GemmPrecision precision, Gemm shape, float alpha, float beta, boolean aligned) {
        gemm(GemmFamily.CLASSIC, precision, shape, alpha, beta, aligned);
    }

    /**
     * One product. {@code aligned}: operands at element offset 0 (so vectorisable shapes take the `_vec` kernel),
     * else at offset 1, which takes the element-wise kernel whatever the shape.
     */
    void gemm(GemmFamily family, GemmPrecision precision, Gemm shape, float alpha, float beta, boolean aligned) {
        int offset = aligned ? 0 : 1;
        int inputBytes = precision.inputBytes();
        float[] a = random(offset + shape.extentA());
        float[] b = random(offset + shape.extentB());
        boolean bf16 = precision == GemmPrecision.BF16;
        float[] seenA = switch (precision) {
            case FP32 -> a;
            case TF32 -> Rounding.roundToTf32(a);
            case BF16 -> Rounding.roundToBf16(a);
        };
        float[] seenB = switch (precision) {
            case FP32 -> b;
            case TF32 -> Rounding.roundToTf32(b);
            case BF16 -> Rounding.roundToBf16(b);
        };
        float[] c = new float[(int) (offset + shape.extentC() + GUARD)];
        Arrays.fill(c, Float.intBitsToFloat(SENTINEL));
        if (beta != 0) forEachOfC(shape, offset, at -> c[at] = (float) (2 * random.nextDouble() - 1));

        float[] out = new float[c.length];
        String kernel;
        try (DeviceBuffer deviceA = context.allocate(a.length * (long) inputBytes + 16);
             DeviceBuffer deviceB = context.allocate(b.length * (long) inputBytes + 16);
             DeviceBuffer deviceC = context.allocate(c.length * 4L)) {
            if (bf16) {
                deviceA.write(Rounding.toBf16(a), 0);
                deviceB.write(Rounding.toBf16(b), 0);
            } else {
                deviceA.write(a, 0);
                deviceB.write(b, 0);
            }
            deviceC.write(c, 0);
            kernel = family.tileN() > 0
                    ? shape.wgmmaKernelName(precision, family.tileN(), deviceC.address() + offset * 4L)
                    : shape.kernelName(precision, shape.vectorisable(precision,
                            deviceA.address() + (long) offset * inputBytes,
                            deviceB.address() + (long) offset * inputBytes, deviceC.address() + offset * 4L));
            try {
                kernels.gemm(family, precision, shape, alpha, deviceA, offset, deviceB, offset, beta, deviceC, offset);
            } catch (IllegalStateException wrong) {   // the kernel failed CudaKernels' check of its first launch
                results.add(new Result(kernel, shape.toString(), wrong.getMessage(), false));
                return;
            }
            context.synchronize();
            deviceC.read(0, out);
        }

        float[] reference = c.clone();
        GemmReference.gemm(shape, alpha, seenA, offset, seenB, offset, beta, reference, offset);
        String written = writtenOnlyInC(shape, offset, out);
        double error = relativeError(shape, offset, out, reference);
        StringBuilder measure = new StringBuilder(String.format("err %.1e", error));
        boolean passed = written == null;
        if (precision == GemmPrecision.FP32) {
            passed &= error < 1e-5;
            float[] emulated = c.clone();
            SgemmEmulation.run(shape, alpha, a, offset, b, offset, beta, emulated, offset, kernel.endsWith("_vec"));
            measure.append(Arrays.equals(emulated, out) ? ", = emulation" : ", != emulation");
        } else {
            float[] onFloat32 = c.clone();
            GemmReference.gemm(shape, alpha, a, offset, b, offset, beta, onFloat32, offset);
            double error32 = relativeError(shape, offset, out, onFloat32);
            passed &= error < 1e-4 && error32 < 1e-2;
            measure.append(String.format(" (vs float32 %.1e)", error32));
        }
        if (written != null) measure.append(", ").append(written);
        results.add(new Result(kernel, shape.toString(), measure.toString(), passed));
    }

    void nf4Dequantize(Nf4Layout layout, Nf4Output output, int offset) {
        Nf4Data data = Nf4Data.random(layout, random);
        int n = (int) layout.elements();
        long outBytes = (offset + n + GUARD) * (long) output.bytes();
        outBytes = (outBytes + 3) & ~3L;
        boolean exact;
        String untouched;
        String shape = (layout.isDoubleQuantized() ? "double-quantized " : "") + "n=" + n
                + (offset > 0 ? " at offset " + offset : "");
        String kernel = output == Nf4Output.F32 ? "carpathia_nf4_dequantize_f32" : "carpathia_nf4_dequantize_bf16";
        try (Uploaded weights = upload(data); DeviceBuffer out = context.allocate(outBytes)) {
            out.fill32(0, outBytes / 4, SENTINEL);
            try {
                kernels.nf4Dequantize(weights.nf4, out, offset, output);
            } catch (IllegalStateException wrong) {   // the kernel failed CudaKernels' check of its first launch
                results.add(new Result(kernel, shape, wrong.getMessage(), false));
                return;
            }
            context.synchronize();
            if (output == Nf4Output.F32) {
                float[] back = new float[(int) (outBytes / 4)];
                out.read(0, back);
                float[] expected = Nf4Reference.dequantize(data);
                exact = Arrays.equals(Arrays.copyOfRange(back, offset, offset + n), expected);
                untouched = untouched(Arrays.copyOfRange(back, 0, offset), Arrays.copyOfRange(back, offset + n,
                        back.length));
            } else {
                short[] back = new short[(int) (outBytes / 2)];
                out.read(0, back);
                short[] expected = Nf4Reference.dequantizeBf16(data);
                exact = Arrays.equals(Arrays.copyOfRange(back, offset, offset + n), expected);
                untouched = untouchedBf16(back, offset, n);
            }
        }
        results.add(new Result(kernel, shape, (exact ? "bit-exact" : "DIFFERS from the reference")
                + (untouched == null ? "" : ", " + untouched), exact && untouched == null));
    }

    void nf4Gemv(int rows, int cols, boolean nested, int offset) {
        long elements = (long) rows * cols;
        Nf4Layout layout = nested ? Nf4Layout.doubleQuantized(elements) : Nf4Layout.of(elements);
        Nf4Data data = Nf4Data.random(layout, random);
        float[] x = random(cols);
        float[] y = new float[offset + rows + GUARD];
        try (Uploaded weights = upload(data); DeviceBuffer deviceX = context.allocate((offset + cols) * 4L);
             DeviceBuffer deviceY = context.allocate(y.length * 4L)) {
            float[] paddedX = new float[offset + cols];
            System.arraycopy(x, 0, paddedX, offset, cols);
            deviceX.write(paddedX, 0);
            deviceY.fill32(0, y.length, SENTINEL);
            try {
                kernels.nf4Gemv(weights.nf4, rows, cols, deviceX, offset, deviceY, offset);
            } catch (IllegalStateException wrong) {   // the kernel failed CudaKernels' check of its first launch
                results.add(new Result("carpathia_nf4_gemv", (nested ? "double-quantized " : "") + rows + " x "
                        + cols, wrong.getMessage(), false));
                return;
            }
            context.synchronize();
            deviceY.read(0, y);
        }
        float[] reference = Nf4Reference.gemv(data, rows, cols, x);
        float[] result = Arrays.copyOfRange(y, offset, offset + rows);
        double diff = 0;
        double norm = 0;
        boolean allWritten = true;
        for (int r = 0; r < rows; r++) {
            allWritten &= !Float.isNaN(result[r]);
            diff += Math.pow((double) result[r] - reference[r], 2);
            norm += Math.pow(reference[r], 2);
        }
        double error = norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
        String untouched = untouched(Arrays.copyOfRange(y, 0, offset), Arrays.copyOfRange(y, offset + rows, y.length));
        boolean vectorised = layout.gemvVectorisable(cols, 0, offset * 4L);
        boolean emulationAgrees = Arrays.equals(Nf4Emulation.gemv(data, rows, cols, x, vectorised), result);
        String measure = String.format("err %.1e%s%s%s", error, emulationAgrees ? ", = emulation" : ", != emulation",
                allWritten ? "" : ", NOT ALL WRITTEN", untouched == null ? "" : ", " + untouched);
        results.add(new Result("carpathia_nf4_gemv", (nested ? "double-quantized " : "") + rows + " x " + cols
                + (offset > 0 ? " x at offset " + offset : ""), measure, error < 1e-5 && allWritten
                && untouched == null));
    }

    /** The tensor's buffers on the device, freed together. */
    private final class Uploaded implements AutoCloseable {
        final List<DeviceBuffer> buffers = new ArrayList<>();
        DeviceNf4 nf4;

        DeviceBuffer add(long bytes) {
            DeviceBuffer buffer = context.allocate(Math.max(bytes, 4));
            buffers.add(buffer);
            return buffer;
        }

        @Override
        public void close() {
            for (DeviceBuffer buffer : buffers) buffer.close();
        }
    }

    private Uploaded upload(Nf4Data data) {
        Uploaded up = new Uploaded();
        Nf4Layout layout = data.layout();
        DeviceBuffer packed = up.add(layout.packedBytes());
        packed.write(data.packed(), 0);
        if (layout.isDoubleQuantized()) {
            DeviceBuffer codes = up.add(layout.blocks());
            codes.write(data.absmaxCodes(), 0);
            DeviceBuffer codebook = up.add(256 * 4);
            codebook.write(data.codebook(), 0);
            DeviceBuffer scales = up.add(layout.nestedGroups() * 4);
            scales.write(data.absmaxScales(), 0);
            up.nf4 = DeviceNf4.doubleQuantized(layout, packed, codes, codebook, scales, data.absmaxOffset());
        } else {
            DeviceBuffer absmax = up.add(layout.blocks() * 4);
            absmax.write(data.absmax(), 0);
            up.nf4 = DeviceNf4.plain(layout, packed, absmax);
        }
        return up;
    }

    private float[] random(long length) {
        float[] values = new float[(int) length];
        for (int i = 0; i < values.length; i++) values[i] = (float) (2 * random.nextDouble() - 1);
        return values;
    }

    private interface IndexConsumer {
        void accept(int index);
    }

    private static void forEachOfC(Gemm shape, int offset, IndexConsumer consumer) {
        for (int batch = 0; batch < shape.batchCount(); batch++) {
            for (int row = 0; row < shape.m(); row++) {
                for (int col = 0; col < shape.n(); col++) {
                    consumer.accept((int) (offset + batch * shape.strideC() + row * shape.ldc() + col));
                }
            }
        }
    }

    private static double relativeError(Gemm shape, int offset, float[] out, float[] reference) {
        double[] sums = new double[2];
        forEachOfC(shape, offset, at -> {
            double d = (double) out[at] - reference[at];
            sums[0] += d * d;
            sums[1] += (double) reference[at] * reference[at];
        });
        return sums[1] == 0 ? Math.sqrt(sums[0]) : Math.sqrt(sums[0] / sums[1]);
    }

    /** null when C is all written and nothing else is; else what went wrong. */
    private static String writtenOnlyInC(Gemm shape, int offset, float[] out) {
        boolean[] inC = new boolean[out.length];
        forEachOfC(shape, offset, at -> inC[at] = true);
        int unwritten = 0;
        int stray = 0;
        for (int i = 0; i < out.length; i++) {
            if (inC[i] && Float.isNaN(out[i])) unwritten++;
            if (!inC[i] && Float.floatToRawIntBits(out[i]) != SENTINEL) stray++;
        }
        if (unwritten == 0 && stray == 0) return null;
        return unwritten + " elements of C NOT WRITTEN, " + stray + " elements outside C OVERWRITTEN";
    }

    private static String untouched(float[]... regions) {
        int stray = 0;
        for (float[] region : regions) {
            for (float v : region) if (Float.floatToRawIntBits(v) != SENTINEL) stray++;
        }
        return stray == 0 ? null : stray + " elements outside the output OVERWRITTEN";
    }

    private static String untouchedBf16(short[] back, int offset, int n) {
        int stray = 0;
        for (int i = 0; i < back.length; i++) {
            if (i >= offset && i < offset + n) continue;
            short expected = (short) (i % 2 == 0 ? SENTINEL & 0xffff : SENTINEL >>> 16);
            if (back[i] != expected) stray++;
        }
        return stray == 0 ? null : stray + " elements outside the output OVERWRITTEN";
    }
}
