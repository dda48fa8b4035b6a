package io.carpathia.weights.safetensors;

/**
 * Exact widening of the narrow float formats to float32. Every F16, BF16, F8_E4M3 and F8_E5M2 value is a float32
 * value, so these conversions never round.
 */
public final class NarrowFloats {
    private NarrowFloats() {}

    /** IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits. */
    public static float halfToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) { // infinity or NaN; a NaN keeps its payload
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << 13));
        }
        if (exponent != 0) { // normal: rebias 15 -> 127, mantissa 10 -> 23 bits
            return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
        }
        float subnormal = mantissa * 0x1p-24f; // mantissa x 2^-14 x 2^-10, exact
        return sign != 0 ? -subnormal : subnormal;
    }

    /** bfloat16: the upper 16 bits of a float32. */
    public static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** F8_E5M2: 1 sign, 5 exponent (bias 15), 2 mantissa bits; exactly the upper byte of a binary16. */
    public static float e5m2ToFloat(byte bits) {
        return halfToFloat((short) ((bits & 0xFF) << 8));
    }

    /**
     * F8_E4M3 ("E4M3FN"): 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, S.1111.111 is NaN, the largest
     * finite value is 448.
     */
    public static float e4m3ToFloat(byte bits) {
        int b = bits & 0xFF;
        boolean negative = (b & 0x80) != 0;
        int exponent = (b >>> 3) & 0xF;
        int mantissa = b & 0x7;
        float magnitude;
        if (exponent == 0xF && mantissa == 0x7) {
            magnitude = Float.NaN;
        } else if (exponent == 0) {
            magnitude = mantissa * 0x1p-9f; // subnormal: mantissa/8 x 2^(1-7)
        } else {
            magnitude = Math.scalb(1f + mantissa / 8f, exponent - 7);
        }
        return negative ? -magnitude : magnitude;
    }

    private static final float[] E4M3 = table(false);
    private static final float[] E5M2 = table(true);

    private static float[] table(boolean e5m2) {
        float[] t = new float[256];
        for (int i = 0; i < 256; i++) t[i] = e5m2 ? e5m2ToFloat((byte) i) : e4m3ToFloat((byte) i);
        return t;
    }

    /** Table lookup form of {@link #e4m3ToFloat}, for bulk loops. */
    static float e4m3(byte bits) {
        return E4M3[bits & 0xFF];
    }

    /** Table lookup form of {@link #e5m2ToFloat}, for bulk loops. */
    static float e5m2(byte bits) {
        return E5M2[bits & 0xFF];
    }
}
