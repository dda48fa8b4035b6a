package io.carpathia.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import io.carpathia.kernels.Gemm;
import io.carpathia.kernels.GemmPrecision;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * gemm_tensorcore.cuh's tiling, shared layout and fragment index arithmetic, emulated on awkward sizes for TF32 and
 * BF16 in all three forms: the result equals the reference on the values the tensor cores see (rounded to TF32 or
 * bfloat16) to float32 accuracy, and the float32 product to TF32/BF16 accuracy.
 */
class TensorCoreEmulationTest {

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.of(1, 2, 7, 8, 16, 17, 31, 33, 63, 64, 65, 129);
    }

    @Provide
    Arbitrary<String> forms() {
        return Arbitraries.of("NN", "NT", "TN");
    }

    @Property
    void matchesTheReference(@ForAll boolean bf16, @ForAll("forms") String form, @ForAll("sizes") int m,
                             @ForAll("sizes") int n, @ForAll("sizes") int k, @ForAll @IntRange(max = 8) int pad,
                             @ForAll boolean withBeta, @ForAll long seed) {
        Gemm dense = Gemm.of(form.charAt(0) == 'T', form.charAt(1) == 'T', m, n, k);
        Gemm shape = dense.withLeadingDimensions(dense.lda() + pad, dense.ldb() + pad, dense.ldc() + pad);
        check(bf16 ? GemmPrecision.BF16 : GemmPrecision.TF32, shape, withBeta ? 2f : 0f, seed);
    }

    @Test
    void batchedVectorisedBf16() {
        check(GemmPrecision.BF16, Gemm.of(false, true, 40, 72, 48).batched(3), 0f, 5);
    }

    @Test
    void batchedVectorisedTf32WithFewerGridLayers() {
        Gemm shape = Gemm.of(true, false, 36, 20, 132).batched(4);
        SplittableRandom random = new SplittableRandom(9);
        float[] a = Matrices.random(random, shape.extentA());
        float[] b = Matrices.random(random, shape.extentB());
        float[] c = Matrices.output(random, shape, 0, 0, 0f);
        float[] ref = c.clone();
        TensorCoreEmulation.run(GemmPrecision.TF32, shape, 1f, a, 0, b, 0, 0f, c, 0, true, 3);
        GemmReference.gemm(shape, 1f, Rounding.roundToTf32(a), 0, Rounding.roundToTf32(b), 0, 0f, ref, 0);
        assertTrue(Matrices.relativeError(shape, 0, c, ref) < 1e-6);
    }

    @Test
    void vectorisedLoadsOnAnUnevenShapeAreCaught() {
        Gemm shape = Gemm.of(false, false, 16, 16, 12); // k = 12 is not a multiple of 8 bfloat16s
        assertThrows(EmulatedFault.class, () -> TensorCoreEmulation.run(GemmPrecision.BF16, shape, 1f,
                new float[16 * 12], 0, new float[12 * 16], 0, 0f, new float[256], 0, true));
    }

    private static void check(GemmPrecision precision, Gemm shape, float beta, long seed) {
        int bytes = precision.inputBytes();
        boolean vectorised = shape.vectorisable(precision, 8L * bytes, 16L * bytes, 4 * 4L);
        Matrices.checkTensorCores(precision, shape, beta, seed, precision + " " + shape + (vectorised ? " vectorised"
                : ""), (a, offsetA, b, offsetB, c, offsetC) -> TensorCoreEmulation.run(precision, shape, 0.5f, a,
                offsetA, b, offsetB, beta, c, offsetC, vectorised));
    }
}
