package io.carpathia.kernels.reference;

/**
 * NF4 dequantization and the NF4 matrix-vector product as bitsandbytes defines them, element by element. The
 * roundings are bitsandbytes' own: {@code level · absmax} is one float32 product, and a double-quantized absmax is
 * {@code (codebook[code] · scale) + offset}, each step rounded to float32. The kernels do the same, so
 * dequantization must match bit for bit.
 */
public final class Nf4Reference {
    private Nf4Reference() {}

    /**
     * The 16 NF4 levels (QLoRA, Dettmers et al. 2023, appendix E; bitsandbytes' {@code nf4} table): quantiles of a
     * standard normal distribution scaled to [-1, 1], with an exact 0 at code 7.
     */
    private static final float[] LEVELS = {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

    /** The level of a 4-bit code. */
    public static float level(int code) {
        return LEVELS[code];
    }

    /** A copy of the 16 levels. */
    public static float[] levels() {
        return LEVELS.clone();
    }

    /** The code of element {@code element}: the high nibble of byte element/2 for even elements, the low for odd. */
    public static int code(byte[] packed, long element) {
        int b = packed[(int) (element >> 1)] & 0xff;
        return (element & 1) == 0 ? b >>> 4 : b & 0x0f;
    }

    /** The absmax of block {@code block}. */
    public static float absmax(Nf4Data data, long block) {
        if (!data.layout().isDoubleQuantized()) return data.absmax()[(int) block];
        int code = data.absmaxCodes()[(int) block] & 0xff;
        float scale = data.absmaxScales()[(int) (block / data.layout().nestedBlocksize())];
        return doubleQuantizedAbsmax(data.codebook()[code], scale, data.absmaxOffset());
    }

    /** A double-quantized absmax from its codebook entry, its group's scale and the offset, rounded as the kernels. */
    public static float doubleQuantizedAbsmax(float codebookEntry, float scale, float offset) {
        float scaled = codebookEntry * scale;
        return scaled + offset;
    }

    /** The value of element {@code element}. */
    public static float value(Nf4Data data, long element) {
        return LEVELS[code(data.packed(), element)] * absmax(data, element / data.layout().blocksize());
    }

    public static float[] dequantize(Nf4Data data) {
        float[] out = new float[(int) data.layout().elements()];
        for (int e = 0; e < out.length; e++) out[e] = value(data, e);
        return out;
    }

    /** Dequantized to bfloat16 bits: the float32 value rounded to nearest even. */
    public static short[] dequantizeBf16(Nf4Data data) {
        short[] out = new short[(int) data.layout().elements()];
        for (int e = 0; e < out.length; e++) out[e] = Rounding.floatToBf16(value(data, e));
        return out;
    }

    /** {@code y = W x} for W [rows, cols] = the dequantized tensor, accumulated in float64 and rounded once. */
    public static float[] gemv(Nf4Data data, int rows, int cols, float[] x) {
        if ((long) rows * cols != data.layout().elements()) {
            throw new IllegalArgumentException("nf4 gemv: " + rows + " x " + cols + " does not match "
                    + data.layout().elements() + " elements");
        }
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += (double) value(data, (long) r * cols + c) * x[c];
            y[r] = (float) sum;
        }
        return y;
    }
}
