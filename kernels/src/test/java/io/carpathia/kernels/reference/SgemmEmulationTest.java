package io.carpathia.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
 * sgemm.cuh's tiling and index arithmetic, emulated on awkward sizes (1, 17, 63, 65, 129, ...) in all three forms,
 * vectorised where the shape allows: the result matches the reference, only C is written, and the emulation's
 * checks (bounds, single writes, shared-memory races) pass.
 */
class SgemmEmulationTest {

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.of(1, 2, 3, 4, 8, 16, 17, 31, 33, 63, 64, 65, 128, 129);
    }

    @Provide
    Arbitrary<String> forms() {
        return Arbitraries.of("NN", "NT", "TN");
    }

    @Property
    void matchesTheReference(@ForAll("forms") String form, @ForAll("sizes") int m, @ForAll("sizes") int n,
                             @ForAll("sizes") int k, @ForAll @IntRange(max = 4) int pad, @ForAll boolean withBeta,
                             @ForAll long seed) {
        Gemm dense = Gemm.of(form.charAt(0) == 'T', form.charAt(1) == 'T', m, n, k);
        Gemm shape = dense.withLeadingDimensions(dense.lda() + pad, dense.ldb() + pad, dense.ldc() + pad);
        check(shape, withBeta ? 0.5f : 0f, seed);
    }

    @Test
    void batchesLoopWhenTheGridHasFewerLayers() {
        Gemm shape = Gemm.of(false, true, 33, 65, 17).batched(5);
        SplittableRandom random = new SplittableRandom(7);
        float[] a = Matrices.random(random, shape.extentA());
        float[] b = Matrices.random(random, shape.extentB());
        float[] c = Matrices.output(random, shape, 0, 0, 0f);
        float[] ref = c.clone();
        SgemmEmulation.run(shape, 1f, a, 0, b, 0, 0f, c, 0, false, 2);
        GemmReference.gemm(shape, 1f, a, 0, b, 0, 0f, ref, 0);
        assertTrue(Matrices.relativeError(shape, 0, c, ref) < 1e-6);
    }

    @Test
    void sharedWeightWithStrideZero() {
        check(Gemm.of(false, false, 64, 96, 40).batched(3, 64 * 40, 0, 64 * 96), 0f, 11);
    }

    @Test
    void vectorisedAndScalarKernelsAgreeBitForBit() {
        Gemm shape = Gemm.of(true, false, 68, 132, 36);
        SplittableRandom random = new SplittableRandom(3);
        float[] a = Matrices.random(random, shape.extentA());
        float[] b = Matrices.random(random, shape.extentB());
        float[] vector = Matrices.output(random, shape, 0, 0, 0f);
        float[] scalar = vector.clone();
        SgemmEmulation.run(shape, 1.5f, a, 0, b, 0, 0f, vector, 0, true);
        SgemmEmulation.run(shape, 1.5f, a, 0, b, 0, 0f, scalar, 0, false);
        assertArrayEquals(scalar, vector);
    }

    /** The checks can fail: a vectorised kernel on a shape that is not vectorisable reads past A's rows. */
    @Test
    void vectorisedLoadsOnAnUnevenShapeAreCaught() {
        Gemm shape = Gemm.of(false, false, 8, 8, 6);
        float[] c = new float[64];
        EmulatedFault fault = assertThrows(EmulatedFault.class,
                () -> SgemmEmulation.run(shape, 1f, new float[48], 0, new float[48], 0, 0f, c, 0, true));
        assertTrue(fault.getMessage().contains("outside its"), fault.getMessage());
    }

    private static void check(Gemm shape, float beta, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int offsetA = 4;
        int offsetB = 8;
        int offsetC = 4;
        float[] a = Matrices.random(random, offsetA + shape.extentA());
        float[] b = Matrices.random(random, offsetB + shape.extentB());
        float[] c = Matrices.output(random, shape, offsetC, 5, beta);
        float[] ref = c.clone();
        float[] scale = Matrices.magnitudes(shape, -1.25f, a, offsetA, b, offsetB, beta, c, offsetC);
        boolean vectorised = shape.vectorisable(GemmPrecision.FP32, offsetA * 4L, offsetB * 4L, offsetC * 4L);
        SgemmEmulation.run(shape, -1.25f, a, offsetA, b, offsetB, beta, c, offsetC, vectorised);
        GemmReference.gemm(shape, -1.25f, a, offsetA, b, offsetB, beta, ref, offsetC);
        Matrices.assertOnlyCWritten(shape, offsetC, c);
        double error = Matrices.scaledError(shape, offsetC, c, ref, scale);
        assertTrue(error < 1e-6, shape + (vectorised ? " vectorised" : "") + ": error " + error + " of |A|·|B|");
    }
}
