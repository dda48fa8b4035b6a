package io.carpathia.kernels.reference;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

import io.carpathia.kernels.Nf4Layout;

/**
 * An NF4-quantized tensor on the host, in the bitsandbytes layout that {@link Nf4Layout} describes: packed codes and
 * either float32 absmax or the double quantization of it (uint8 codes, a 256-entry codebook, one scale per group,
 * an offset).
 */
public record Nf4Data(Nf4Layout layout, byte[] packed, float[] absmax, byte[] absmaxCodes, float[] codebook,
                      float[] absmaxScales, float absmaxOffset) {

    public Nf4Data {
        Objects.requireNonNull(layout, "layout");
        requireLength("packed", packed, layout.packedBytes());
        if (layout.isDoubleQuantized()) {
            requireLength("absmaxCodes", absmaxCodes, layout.blocks());
            requireLength("codebook", codebook, 256);
            requireLength("absmaxScales", absmaxScales, layout.nestedGroups());
        } else {
            requireLength("absmax", absmax, layout.blocks());
        }
    }

    private static void requireLength(String name, Object array, long expected) {
        if (array == null) throw new IllegalArgumentException("nf4: " + name + " is missing");
        int length = java.lang.reflect.Array.getLength(array);
        if (length != expected) {
            throw new IllegalArgumentException("nf4: " + name + " has " + length + " entries, the layout needs "
                    + expected);
        }
    }

    public static Nf4Data plain(Nf4Layout layout, byte[] packed, float[] absmax) {
        return new Nf4Data(layout, packed, absmax, null, null, null, 0f);
    }

    public static Nf4Data doubleQuantized(Nf4Layout layout, byte[] packed, byte[] absmaxCodes, float[] codebook,
                                          float[] absmaxScales, float absmaxOffset) {
        return new Nf4Data(layout, packed, null, absmaxCodes, codebook, absmaxScales, absmaxOffset);
    }

    /**
     * Random contents for checks: uniform codes, absmax in [0.05, 2), and for the double quantization a sorted
     * codebook in [-1, 1] (the shape of bitsandbytes' dynamic map), scales in [0.5, 2) and an offset in [0, 0.5).
     */
    public static Nf4Data random(Nf4Layout layout, SplittableRandom random) {
        byte[] packed = new byte[(int) layout.packedBytes()];
        for (int i = 0; i < packed.length; i++) packed[i] = (byte) random.nextInt(256);
        int blocks = (int) layout.blocks();
        if (!layout.isDoubleQuantized()) {
            float[] absmax = new float[blocks];
            for (int i = 0; i < blocks; i++) absmax[i] = (float) (0.05 + 1.95 * random.nextDouble());
            return plain(layout, packed, absmax);
        }
        byte[] codes = new byte[blocks];
        for (int i = 0; i < blocks; i++) codes[i] = (byte) random.nextInt(256);
        float[] codebook = new float[256];
        for (int i = 0; i < 256; i++) codebook[i] = (float) (2 * random.nextDouble() - 1);
        Arrays.sort(codebook);
        float[] scales = new float[(int) layout.nestedGroups()];
        for (int i = 0; i < scales.length; i++) scales[i] = (float) (0.5 + 1.5 * random.nextDouble());
        return doubleQuantized(layout, packed, codes, codebook, scales, (float) (0.5 * random.nextDouble()));
    }
}
