package io.carpathia.kernels;

/** How a matrix product multiplies: always accumulating in float32 into a float32 C. */
public enum GemmPrecision {
    /** float32 inputs on the CUDA cores (sgemm.cuh). */
    FP32("carpathia_sgemm_", 4),
    /** float32 inputs rounded to TF32 (10-bit mantissa) for the tensor cores. */
    TF32("carpathia_gemm_tf32_", 4),
    /** bfloat16 inputs (raw bit patterns) on the tensor cores. */
    BF16("carpathia_gemm_bf16_", 2);

    private final String kernelPrefix;
    private final int inputBytes;

    GemmPrecision(String kernelPrefix, int inputBytes) {
        this.kernelPrefix = kernelPrefix;
        this.inputBytes = inputBytes;
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
