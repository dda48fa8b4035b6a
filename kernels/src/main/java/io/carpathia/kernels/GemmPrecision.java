package io.carpathia.kernels;

/** How a matrix product multiplies: always accumulating in float32 into a float32 C. */
public enum GemmPrecision {
    /** float32 inputs on the CUDA cores (sgemm.cuh). */
    FP32("carpathia_sgemm_", 4, null),
    /** float32 inputs rounded to TF32 (10-bit mantissa) for the tensor cores. */
    TF32("carpathia_gemm_tf32_", 4, "carpathia_wgmma_tf32_"),
    /** bfloat16 inputs (raw bit patterns) on the tensor cores. */
    BF16("carpathia_gemm_bf16_", 2, "carpathia_wgmma_bf16_");

    private final String kernelPrefix;
    private final int inputBytes;
    private final String wgmmaPrefix;

    GemmPrecision(String kernelPrefix, int inputBytes, String wgmmaPrefix) {
        this.kernelPrefix = kernelPrefix;
        this.inputBytes = inputBytes;
        this.wgmmaPrefix = wgmmaPrefix;
    }

    /** Whether Hopper's warpgroup kernels (gemm_wgmma.cuh) cover this precision: TF32 and BF16. */
    public boolean hasWgmma() {
        return wgmmaPrefix != null;
    }

    String wgmmaPrefix() {
        return wgmmaPrefix;
    }

    /** Bytes of one element of A and B. */
    public int inputBytes() {
        return inputBytes;
    }

    /** Elements per 16-byte vector load of A and B. */
    public int vectorElements() {
        return 16 / inputBytes;
    }

    String kernelPrefix() {
        return kernelPrefix;
    }
}
