package io.carpathia.kernels;

/** Which family of kernels runs a matrix product. */
public enum GemmFamily {
    /**
     * The fastest the GPU and shape allow: on an sm_90 GPU, TF32 and BF16 products of the NT form that
     * {@link Gemm#wgmmaEligible} accepts go to the warpgroup kernels (tile width {@code -Dcarpathia.cuda.wgmma=256},
     * the default, or 128; {@code off} disables them); everything else to {@link #CLASSIC}.
     */
    AUTO(0),
    /** sgemm.cuh for FP32, gemm_tensorcore.cuh (warp-level {@code mma.sync}) for TF32 and BF16: any GPU from sm_80. */
    CLASSIC(0),
    /** gemm_wgmma.cuh with blocks of 128 × 128 (sm_90 only). */
    WGMMA_128(128),
    /** gemm_wgmma.cuh with blocks of 128 × 256 (sm_90 only). */
    WGMMA_256(256);

    private final int tileN;

    GemmFamily(int tileN) {
        this.tileN = tileN;
    }

    /** The warpgroup kernels' tile width, 0 for AUTO and CLASSIC. */
    public int tileN() {
        return tileN;
    }
}
