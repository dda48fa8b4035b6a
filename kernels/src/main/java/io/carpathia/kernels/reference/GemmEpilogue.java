package io.carpathia.kernels.reference;

/** common.cuh's {@code gemm_epilogue}: {@code alpha · acc}, then {@code beta · old} added in one fused step. */
final class GemmEpilogue {
    private GemmEpilogue() {}

    static float apply(float accumulator, float alpha, float beta, float old) {
        float value = alpha * accumulator;
        if (beta != 0f) value = Math.fma(beta, old, value);
        return value;
    }
}
