package io.carpathia.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class RoundingTest {

    private static float bits(int bits) {
        return Float.intBitsToFloat(bits);
    }

    @Test
    void bf16RoundsToNearestWithTiesToEven() {
        assertEquals((short) 0x3f80, Rounding.floatToBf16(1f));
        assertEquals((short) 0x3f80, Rounding.floatToBf16(bits(0x3f808000))); // tie, 0x3f80 is even: stays
        assertEquals((short) 0x3f82, Rounding.floatToBf16(bits(0x3f818000))); // tie, 0x3f81 is odd: up
        assertEquals((short) 0x3f81, Rounding.floatToBf16(bits(0x3f808001))); // above the tie: up
        assertEquals((short) 0xbf81, Rounding.floatToBf16(bits(0xbf808001))); // sign kept
        assertEquals((short) 0x7f80, Rounding.floatToBf16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0x7f80, Rounding.floatToBf16(Float.MAX_VALUE)); // rounds up into infinity
        assertTrue(Float.isNaN(Rounding.bf16ToFloat(Rounding.floatToBf16(bits(0x7f800001)))), "NaN stays NaN");
        assertEquals(-2.5f, Rounding.bf16ToFloat((short) 0xc020));
    }

    @Test
    void tf32RoundsToNearestWithTiesAwayFromZero() {
        assertEquals(bits(0x3f800000), Rounding.roundToTf32(bits(0x3f800fff))); // below the tie: down
        assertEquals(bits(0x3f802000), Rounding.roundToTf32(bits(0x3f801000))); // tie: away from zero
        assertEquals(bits(0xbf802000), Rounding.roundToTf32(bits(0xbf801000))); // negative tie: away from zero
        assertEquals(bits(0x3f804000), Rounding.roundToTf32(bits(0x3f803000))); // tie with odd mantissa: away too
        assertEquals(Float.NEGATIVE_INFINITY, Rounding.roundToTf32(Float.NEGATIVE_INFINITY));
    }

    @Property(tries = 200)
    void roundingIsToTheNearestRepresentable(@ForAll float value) {
        if (!Float.isFinite(value) || Math.abs(value) > 1e38f) return;
        float bf16 = Rounding.roundToBf16(value);
        assertEquals(0, Float.floatToRawIntBits(bf16) & 0xffff, "bfloat16 keeps 7 mantissa bits");
        assertTrue(Math.abs(bf16 - value) <= Math.ulp(bf16) * 65536 / 2 + 0.0, value + " -> " + bf16);
        float tf32 = Rounding.roundToTf32(value);
        assertEquals(0, Float.floatToRawIntBits(tf32) & 0x1fff, "tf32 keeps 10 mantissa bits");
        assertTrue(Math.abs(tf32 - value) <= Math.ulp(tf32) * 8192 / 2 + 0.0, value + " -> " + tf32);
    }
}
