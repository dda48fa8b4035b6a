package io.carpathia.kernels.reference;

/** The narrow float formats the kernels use, rounded exactly as the GPU rounds them. */
public final class Rounding {
    private Rounding() {}

    /** bfloat16 bits → float32: the upper half of a float, so exact. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /**
     * float32 → bfloat16 bits, rounded to nearest with ties to even (PyTorch, {@code __float2bfloat16}); a NaN stays a
     * NaN with its sign and the quiet bit set (common.cuh's {@code float_to_bf16}).
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x0040);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** The float32 value nearest to {@code value} that bfloat16 can hold. */
    public static float roundToBf16(float value) {
        return bf16ToFloat(floatToBf16(value));
    }

    /**
     * float32 → TF32 (10 explicit mantissa bits, the low 13 bits cleared), rounded to nearest with ties away from zero:
     * PTX's {@code cvt.rna.tf32.f32}. Infinities and NaNs pass through.
     */
    public static float roundToTf32(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7f800000) == 0x7f800000) return value;
        return Float.intBitsToFloat((bits + 0x1000) & ~0x1fff);
    }

    public static float[] roundToTf32(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) out[i] = roundToTf32(values[i]);
        return out;
    }

    public static float[] roundToBf16(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) out[i] = roundToBf16(values[i]);
        return out;
    }

    public static short[] toBf16(float[] values) {
        short[] out = new short[values.length];
        for (int i = 0; i < values.length; i++) out[i] = floatToBf16(values[i]);
        return out;
    }

    public static float[] fromBf16(short[] bits) {
        float[] out = new float[bits.length];
        for (int i = 0; i < bits.length; i++) out[i] = bf16ToFloat(bits[i]);
        return out;
    }
}
