package io.carpathia.kernels;

/** The element type NF4 dequantization writes. */
public enum Nf4Output {
    F32(4, "carpathia_nf4_dequantize_f32"),
    /** bfloat16 bit patterns, rounded to nearest even from the float32 value. */
    BF16(2, "carpathia_nf4_dequantize_bf16");

    private final int bytes;
    private final String kernelName;

    Nf4Output(int bytes, String kernelName) {
        this.bytes = bytes;
        this.kernelName = kernelName;
    }

    public int bytes() {
        return bytes;
    }

    String kernelName() {
        return kernelName;
    }
}
