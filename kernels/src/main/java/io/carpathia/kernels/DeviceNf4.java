package io.carpathia.kernels;

import java.util.Objects;

/**
 * An NF4-quantized tensor on the device: the packed codes and its scales, either plain float32 absmax or the double
 * quantization (uint8 absmax codes, a 256-entry float32 codebook, float32 scales per group, a float offset). The
 * buffers stay owned by the caller.
 */
public record DeviceNf4(Nf4Layout layout, DeviceBuffer packed, DeviceBuffer absmax, DeviceBuffer absmaxCodes,
                        DeviceBuffer codebook, DeviceBuffer absmaxScales, float absmaxOffset) {

    public DeviceNf4 {
        Objects.requireNonNull(layout, "layout");
        require(packed, layout.packedBytes(), "packed");
        if (layout.isDoubleQuantized()) {
            if (absmax != null) {
                throw new IllegalArgumentException("nf4: a double-quantized tensor has no float absmax");
            }
            require(absmaxCodes, layout.blocks(), "absmax codes");
            require(codebook, 256 * 4L, "absmax codebook");
            require(absmaxScales, layout.nestedGroups() * 4, "absmax scales");
        } else {
            if (absmaxCodes != null || codebook != null || absmaxScales != null) {
                throw new IllegalArgumentException("nf4: a plain tensor has float absmax only, not double-quantized "
                        + "scales (use Nf4Layout.doubleQuantized)");
            }
            require(absmax, layout.blocks() * 4, "absmax");
        }
    }

    private static void require(DeviceBuffer buffer, long bytes, String what) {
        if (bytes == 0) return;
        if (buffer == null) throw new IllegalArgumentException("nf4: the " + what + " buffer is missing");
        if (buffer.bytes() < bytes) {
            throw new IllegalArgumentException("nf4: the " + what + " buffer holds " + buffer.bytes()
                    + " bytes, the layout needs " + bytes);
        }
    }

    public static DeviceNf4 plain(Nf4Layout layout, DeviceBuffer packed, DeviceBuffer absmax) {
        return new DeviceNf4(layout, packed, absmax, null, null, null, 0f);
    }

    public static DeviceNf4 doubleQuantized(Nf4Layout layout, DeviceBuffer packed, DeviceBuffer absmaxCodes,
                                            DeviceBuffer codebook, DeviceBuffer absmaxScales, float absmaxOffset) {
        return new DeviceNf4(layout, packed, null, absmaxCodes, codebook, absmaxScales, absmaxOffset);
    }

    /** Appends the kernels' scale parameters (absmax, absmaxCodes, codebook, absmaxScales, offset, log2s). */
    KernelArguments appendScales(KernelArguments arguments) {
        return arguments.pointer(address(absmax)).pointer(address(absmaxCodes)).pointer(address(codebook))
                .pointer(address(absmaxScales)).float32(absmaxOffset).int32(layout.log2Blocksize())
                .int32(layout.log2NestedBlocksize());
    }

    private static long address(DeviceBuffer buffer) {
        return buffer == null ? 0 : buffer.address();
    }
}
