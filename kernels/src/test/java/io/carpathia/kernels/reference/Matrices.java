package io.carpathia.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.GemmPrecision;

/** Test data for matrix products: operands with padding, a sentinel-filled C, and the checks on the result. */
final class Matrices {
    private Matrices() {}

    /** A NaN with a payload no kernel produces: where it survives, nothing was written. */
    static final float SENTINEL = Float.intBitsToFloat(0x7fc0dead);

    static float[] random(SplittableRandom random, long length) {
        float[] values = new float[(int) length];
        for (int i = 0; i < values.length; i++) values[i] = (float) (2 * random.nextDouble() - 1);
        return values;
    }

    /** C filled with the sentinel, or with random values where beta needs an old C. */
    static float[] output(SplittableRandom random, Gemm shape, int offset, int slack, float beta) {
        float[] c = new float[(int) (offset + shape.extentC() + slack)];
        java.util.Arrays.fill(c, SENTINEL);
        if (beta != 0) forEachElementOfC(shape, offset, at -> c[at] = (float) (2 * random.nextDouble() - 1));
        return c;
    }

    interface IndexConsumer {
        void accept(int index);
    }

    static void forEachElementOfC(Gemm shape, int offset, IndexConsumer consumer) {
        for (int batch = 0; batch < shape.batchCount(); batch++) {
            for (int row = 0; row < shape.m(); row++) {
                for (int col = 0; col < shape.n(); col++) {
                    consumer.accept((int) (offset + batch * shape.strideC() + row * shape.ldc() + col));
                }
            }
        }
    }

    /** ‖out − ref‖ / ‖ref‖ over the elements of C (0 when both are 0). */
    static double relativeError(Gemm shape, int offset, float[] out, float[] ref) {
        double[] sums = new double[2];
        forEachElementOfC(shape, offset, at -> {
            double d = (double) out[at] - ref[at];
            sums[0] += d * d;
            sums[1] += (double) ref[at] * ref[at];
        });
        return sums[1] == 0 ? Math.sqrt(sums[0]) : Math.sqrt(sums[0] / sums[1]);
    }

    /**
     * |alpha|·|A|·|B| + |beta|·|C0|, element by element: the scale of each result's rounding error. Relative to the
     * result itself that error is unbounded where the k terms of a dot product cancel (a 1×1 product, say).
     */
    static float[] magnitudes(Gemm shape, float alpha, float[] a, int offsetA, float[] b, int offsetB, float beta,
                              float[] c0, int offsetC) {
        float[] m = abs(c0);
        GemmReference.gemm(shape, Math.abs(alpha), abs(a), offsetA, abs(b), offsetB, Math.abs(beta), m, offsetC);
        return m;
    }

    /** The largest |out - ref| / magnitude over the elements of C. */
    static double scaledError(Gemm shape, int offset, float[] out, float[] ref, float[] magnitudes) {
        double[] worst = new double[1];
        forEachElementOfC(shape, offset, at -> {
            double err = Math.abs((double) out[at] - ref[at]);
            if (err > 0) worst[0] = Math.max(worst[0], err / Math.max(magnitudes[at], 1e-30));
        });
        return worst[0];
    }

    private static float[] abs(float[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.abs(v[i]);
        return r;
    }

    /** Every element of C is a number, and everything else in the array still holds the sentinel. */
    static void assertOnlyCWritten(Gemm shape, int offset, float[] out) {
        boolean[] inC = new boolean[out.length];
        forEachElementOfC(shape, offset, at -> inC[at] = true);
        for (int i = 0; i < out.length; i++) {
            if (inC[i]) {
                assertTrue(!Float.isNaN(out[i]), "C element " + i + " is NaN: not written");
            } else {
                assertEquals(Float.floatToRawIntBits(SENTINEL), Float.floatToRawIntBits(out[i]),
                        "element " + i + " outside C was overwritten");
            }
        }
    }

    /** A tensor-core kernel's emulation, run on operands at the given element offsets (bfloat16 values for BF16). */
    interface TensorCoreRun {
        void run(float[] a, int offsetA, float[] b, int offsetB, float[] c, int offsetC);
    }

    /**
     * Runs a TF32 or BF16 emulation on random operands (A, B and C at element offsets 8, 16 and 4) with alpha 0.5:
     * only C may be written, the result must equal the reference on the values the tensor cores see to 1e-6 of
     * |A|·|B|, and the float32 product to 1e-2.
     */
    static void checkTensorCores(GemmPrecision precision, Gemm shape, float beta, long seed, String what,
                                 TensorCoreRun emulation) {
        SplittableRandom random = new SplittableRandom(seed);
        int offsetA = 8;
        int offsetB = 16;
        int offsetC = 4;
        float[] a = random(random, offsetA + shape.extentA());
        float[] b = random(random, offsetB + shape.extentB());
        boolean bf16 = precision == GemmPrecision.BF16;
        float[] seenA = bf16 ? Rounding.roundToBf16(a) : Rounding.roundToTf32(a);
        float[] seenB = bf16 ? Rounding.roundToBf16(b) : Rounding.roundToTf32(b);
        float[] c = output(random, shape, offsetC, 3, beta);
        float[] initialC = c.clone();
        float[] onSeen = c.clone();
        float[] onFloat32 = c.clone();
        emulation.run(bf16 ? seenA : a, offsetA, bf16 ? seenB : b, offsetB, c, offsetC);
        GemmReference.gemm(shape, 0.5f, seenA, offsetA, seenB, offsetB, beta, onSeen, offsetC);
        GemmReference.gemm(shape, 0.5f, a, offsetA, b, offsetB, beta, onFloat32, offsetC);
        assertOnlyCWritten(shape, offsetC, c);
        float[] scale = magnitudes(shape, 0.5f, a, offsetA, b, offsetB, beta, initialC, offsetC);
        double exact = scaledError(shape, offsetC, c, onSeen, scale);
        assertTrue(exact < 1e-6, what + ": error " + exact + " (of |A|·|B|) against the rounded inputs");
        double rounded = scaledError(shape, offsetC, c, onFloat32, scale);
        assertTrue(rounded < 1e-2, what + ": error " + rounded + " (of |A|·|B|) against float32");
    }
}
