package io.carpathia.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import io.carpathia.kernels.Nf4Layout;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The NF4 table, the bitsandbytes nibble order and scales, and the reference against an independent decoding. */
class Nf4ReferenceTest {

    @Test
    void theSixteenLevels() {
        float[] levels = Nf4Reference.levels();
        assertEquals(16, levels.length);
        assertEquals(-1f, levels[0]);
        assertEquals(0f, levels[7]);
        assertEquals(1f, levels[15]);
        assertEquals(-0.6961928009986877f, levels[1]);
        assertEquals(-0.09105003625154495f, levels[6]);
        assertEquals(0.07958029955625534f, levels[8]);
        assertEquals(0.7229568362236023f, levels[14]);
        for (int i = 1; i < 16; i++) assertTrue(levels[i - 1] < levels[i], "levels ascend at " + i);
        // NF4 is asymmetric: 7 negative levels, 8 positive ones
        assertEquals(0.5626170039176941f, levels[13]);
        assertEquals(-0.5250730514526367f, levels[2]);
    }

    @Test
    void elementTwoIIsTheHighNibble() {
        // bytes 0x0F, 0x7A: elements 0 (high nibble of byte 0) = code 0, 1 = code 15, 2 = code 7, 3 = code 10
        byte[] packed = {(byte) 0x0f, (byte) 0x7a};
        assertEquals(0, Nf4Reference.code(packed, 0));
        assertEquals(15, Nf4Reference.code(packed, 1));
        assertEquals(7, Nf4Reference.code(packed, 2));
        assertEquals(10, Nf4Reference.code(packed, 3));
        Nf4Data data = Nf4Data.plain(new Nf4Layout(4, 2, 0), packed, new float[] {2f, 0.5f});
        assertArrayEquals(new float[] {-2f, 2f, 0f, 0.5f * 0.24611230194568634f}, Nf4Reference.dequantize(data));
    }

    @Test
    void oddLengthsUseTheHighNibbleOfTheLastByte() {
        Nf4Data data = Nf4Data.plain(Nf4Layout.of(3), new byte[] {(byte) 0xf0, (byte) 0xfe}, new float[] {3f});
        assertArrayEquals(new float[] {3f, -3f, 3f}, Nf4Reference.dequantize(data));
    }

    @Test
    void doubleQuantizedAbsmaxIsCodebookTimesGroupScalePlusOffset() {
        // blocks of 2, groups of 2 blocks: blocks 0 and 1 use scale 0, block 2 scale 1
        float[] codebook = new float[256];
        codebook[3] = 0.5f;
        codebook[200] = -0.25f;
        Nf4Layout layout = new Nf4Layout(6, 2, 2);
        Nf4Data data = Nf4Data.doubleQuantized(layout, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff},
                new byte[] {3, (byte) 200, 3}, codebook, new float[] {4f, 10f}, 1.5f);
        assertEquals(0.5f * 4f + 1.5f, Nf4Reference.absmax(data, 0));
        assertEquals(-0.25f * 4f + 1.5f, Nf4Reference.absmax(data, 1));
        assertEquals(0.5f * 10f + 1.5f, Nf4Reference.absmax(data, 2));
        assertArrayEquals(new float[] {3.5f, 3.5f, 0.5f, 0.5f, 6.5f, 6.5f}, Nf4Reference.dequantize(data));
    }

    @Test
    void bf16OutputIsTheFloatValueRoundedToNearestEven() {
        Nf4Data data = Nf4Data.random(Nf4Layout.doubleQuantized(1000), new SplittableRandom(1));
        float[] f32 = Nf4Reference.dequantize(data);
        short[] bf16 = Nf4Reference.dequantizeBf16(data);
        for (int i = 0; i < f32.length; i++) assertEquals(Rounding.floatToBf16(f32[i]), bf16[i]);
    }

    /** An independent decoding: all nibbles unpacked first (high, low, high, low, ...), scales expanded per element. */
    @Property
    void matchesAnIndependentDecoding(@ForAll @IntRange(min = 1, max = 5000) int elements,
                                      @ForAll @IntRange(min = 1, max = 8) int log2Block,
                                      @ForAll boolean nested, @ForAll long seed) {
        Nf4Layout layout = new Nf4Layout(elements, 1 << log2Block, nested ? 4 : 0);
        Nf4Data data = Nf4Data.random(layout, new SplittableRandom(seed));
        int[] codes = new int[2 * data.packed().length];
        for (int i = 0; i < data.packed().length; i++) {
            codes[2 * i] = (data.packed()[i] >> 4) & 0xf;
            codes[2 * i + 1] = data.packed()[i] & 0xf;
        }
        float[] levels = Nf4Reference.levels();
        float[] out = Nf4Reference.dequantize(data);
        for (int e = 0; e < elements; e++) {
            int block = e / (1 << log2Block);
            float absmax = nested
                    ? data.codebook()[Byte.toUnsignedInt(data.absmaxCodes()[block])] * data.absmaxScales()[block / 4]
                            + data.absmaxOffset()
                    : data.absmax()[block];
            assertEquals(levels[codes[e]] * absmax, out[e], "element " + e);
        }
    }

    @Property
    void gemvIsTheDequantizedMatrixTimesX(@ForAll @IntRange(min = 1, max = 40) int rows,
                                          @ForAll @IntRange(min = 1, max = 130) int cols, @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Nf4Data data = Nf4Data.random(Nf4Layout.of((long) rows * cols), random);
        float[] x = Matrices.random(random, cols);
        float[] w = Nf4Reference.dequantize(data);
        float[] y = Nf4Reference.gemv(data, rows, cols, x);
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += (double) w[r * cols + c] * x[c];
            assertEquals((float) sum, y[r]);
        }
    }
}
