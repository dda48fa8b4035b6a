package io.carpathia.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import io.carpathia.kernels.Nf4Layout;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * nf4.cuh's grid-stride loops and warp-per-row product, emulated on awkward sizes: bit-identical to the reference for
 * dequantization (both outputs, plain and double-quantized scales, vector and element paths, one block or many) and to
 * float32 accuracy for the matrix-vector product.
 */
class Nf4EmulationTest {

    @Provide
    Arbitrary<Integer> lengths() {
        return Arbitraries.of(1, 2, 17, 31, 32, 33, 63, 64, 65, 129, 1000, 4133, 16384 + 48);
    }

    @Property
    void dequantizationIsBitIdentical(@ForAll("lengths") int elements, @ForAll boolean nested,
                                      @ForAll @IntRange(min = 1, max = 12) int log2Block,
                                      @ForAll @IntRange(min = 1, max = 40) int blocks, @ForAll long seed) {
        Nf4Layout layout = new Nf4Layout(elements, 1 << log2Block, nested ? 256 : 0);
        Nf4Data data = Nf4Data.random(layout, new SplittableRandom(seed));
        boolean vectorised = layout.dequantizeVectorisable(0, 0);
        assertArrayEquals(Nf4Reference.dequantize(data), Nf4Emulation.dequantizeF32(data, vectorised, blocks));
        assertArrayEquals(Nf4Reference.dequantizeBf16(data), Nf4Emulation.dequantizeBf16(data, vectorised, blocks));
        if (vectorised) { // the element path must agree too (misaligned output)
            assertArrayEquals(Nf4Reference.dequantize(data), Nf4Emulation.dequantizeF32(data, false, blocks));
        }
    }

    @Test
    void theLaunchGridCoversLargeTensors() {
        Nf4Layout layout = Nf4Layout.doubleQuantized(20 * 32768 + 77);
        Nf4Data data = Nf4Data.random(layout, new SplittableRandom(2));
        int blocks = layout.dequantizeBlocks(true, 4);
        assertEquals(64, blocks); // 16 per multiprocessor: the grid-stride loop does the rest
        assertArrayEquals(Nf4Reference.dequantize(data), Nf4Emulation.dequantizeF32(data, true, blocks));
    }

    @Test
    void vectorsSpanningTwoBlocksAreCaught() {
        Nf4Data data = Nf4Data.random(new Nf4Layout(64, 16, 0), new SplittableRandom(3));
        EmulatedFault fault = assertThrows(EmulatedFault.class, () -> Nf4Emulation.dequantizeF32(data, true, 1));
        assertTrue(fault.getMessage().contains("spans two absmax blocks"), fault.getMessage());
    }

    @Provide
    Arbitrary<Integer> columns() {
        return Arbitraries.of(1, 2, 17, 31, 32, 63, 64, 65, 96, 129, 1024, 1056, 2048 + 32);
    }

    @Property
    void gemvMatchesTheReference(@ForAll @IntRange(min = 1, max = 9) int rows, @ForAll("columns") int cols,
                                 @ForAll boolean nested, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Nf4Layout layout = nested ? Nf4Layout.doubleQuantized((long) rows * cols) : Nf4Layout.of((long) rows * cols);
        Nf4Data data = Nf4Data.random(layout, random);
        float[] x = Matrices.random(random, cols);
        float[] reference = Nf4Reference.gemv(data, rows, cols, x);
        boolean vectorised = layout.gemvVectorisable(cols, 0, 0);
        float[] emulated = Nf4Emulation.gemv(data, rows, cols, x, vectorised);
        // a float32 dot product of n terms summed in another order differs by up to about n·eps·Σ|w·x|; relative to
        // the result itself it is unbounded when the terms cancel, so the scale is Σ|w·x| (the sum's condition)
        float[] w = Nf4Reference.dequantize(data);
        for (int r = 0; r < rows; r++) {
            double scale = 0;
            for (int c = 0; c < cols; c++) scale += Math.abs((double) w[r * cols + c] * x[c]);
            double err = Math.abs(emulated[r] - reference[r]);
            assertTrue(err <= 1e-5 * Math.max(scale, 1e-30), "row " + r + ": error " + err + " against Σ|w·x| = " + scale);
        }
        if (vectorised) {
            float[] scalar = Nf4Emulation.gemv(data, rows, cols, x, false);
            for (int r = 0; r < rows; r++) assertEquals(reference[r], scalar[r], 1e-4 * (1 + Math.abs(reference[r])));
        }
    }
}
