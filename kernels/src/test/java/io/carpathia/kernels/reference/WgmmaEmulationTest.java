package io.carpathia.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
 * gemm_wgmma.cuh's copies, swizzle, descriptors, ring of stages and accumulator layout, emulated on awkward sizes:
 * every element the modelled wgmma reads is the one the copies put there for that tile, C is written once, and the
 * result equals the reference on the values the tensor cores see.
 */
class WgmmaEmulationTest {

    @Provide
    Arbitrary<Integer> rows() {
        return Arbitraries.of(1, 2, 17, 63, 64, 65, 127, 129, 200);
    }

    @Provide
    Arbitrary<Integer> depths() {
        // multiples of 8 (whole 16-byte chunks for both precisions): one tile, a partial tile, several tiles
        return Arbitraries.of(8, 16, 24, 32, 40, 64, 72, 136, 264);
    }

    @Property(tries = 40)
    void matchesTheReference(@ForAll boolean bf16, @ForAll boolean wide, @ForAll("rows") int m,
                             @ForAll("rows") int n, @ForAll("depths") int k, @ForAll @IntRange(max = 3) int padChunks,
                             @ForAll @IntRange(max = 3) int padC, @ForAll boolean withBeta, @ForAll long seed) {
        GemmPrecision precision = bf16 ? GemmPrecision.BF16 : GemmPrecision.TF32;
        int vec = precision.vectorElements();
        Gemm dense = Gemm.of(false, true, m, n, k);
        Gemm shape = dense.withLeadingDimensions(k + padChunks * vec, k + padChunks * vec, n + padC);
        check(precision, wide ? 256 : 128, shape, withBeta ? 2f : 0f, seed, shape.gridZ());
    }

    @Test
    void batchedWithFewerGridLayers() {
        Gemm shape = Gemm.of(false, true, 70, 140, 48).batched(3);
        check(GemmPrecision.BF16, 128, shape, 0f, 3, 2);
        check(GemmPrecision.TF32, 256, shape, 1f, 4, 1);
    }

    @Test
    void theDescriptorEncodesTheSwizzledLayout() {
        long d = WgmmaEmulation.descriptor(0x2400);
        assertEquals(0x2400 >> 4, d & 0x3FFF, "start address >> 4");
        assertEquals(1, (d >>> 16) & 0x3FFF, "leading byte offset (unused by this layout)");
        assertEquals(1024 >> 4, (d >>> 32) & 0x3FFF, "stride byte offset: 8 rows of 128 bytes");
        assertEquals(1, d >>> 62, "128-byte swizzle");
        // row 3, chunk 5 is stored at chunk 5 ^ 3 = 6 of its row, and the descriptor finds it there
        assertEquals(3 * 128 + 6 * 16, WgmmaEmulation.swizzled(3, 5));
        assertEquals(0x2400 + 3 * 128 + 6 * 16 + 4,
                WgmmaEmulation.operandAddress(WgmmaEmulation.descriptor(0x2400 + 5 * 16), 3, 2, 2));
    }

    @Test
    void aDescriptorWithoutTheSwizzleIsRefused() {
        long unswizzled = WgmmaEmulation.descriptor(0) & ~(3L << 62);
        assertThrows(EmulatedFault.class, () -> WgmmaEmulation.operandAddress(unswizzled, 0, 0, 2));
    }

    @Test
    void anUnalignedOperandIsRefused() {
        Gemm shape = Gemm.of(false, true, 16, 16, 12);  // k = 12 is not whole 16-byte chunks of bfloat16
        assertThrows(IllegalArgumentException.class, () -> WgmmaEmulation.run(GemmPrecision.BF16, 128, shape, 1f,
                new float[16 * 12], 0, new float[16 * 12], 0, 0f, new float[256], 0, 1));
    }

    private static void check(GemmPrecision precision, int tileN, Gemm shape, float beta, long seed, int gridZ) {
        Matrices.checkTensorCores(precision, shape, beta, seed, precision + " BN=" + tileN + " " + shape,
                (a, offsetA, b, offsetB, c, offsetC) -> WgmmaEmulation.run(precision, tileN, shape, 0.5f, a, offsetA,
                        b, offsetB, beta, c, offsetC, gridZ));
    }
}
