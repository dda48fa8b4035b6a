package io.carpathia.kernels;

/**
 * The launch and tiling constants of the CUDA kernels, mirrored from {@code src/main/cuda/*.cuh} (a test parses those
 * files and compares). The launches in {@link CudaKernels} and the CPU emulations in
 * {@code io.carpathia.kernels.reference} both read them from here.
 */
public final class KernelTiling {
    private KernelTiling() {}

    static final int WARP_SIZE = 32;

    /** sgemm.cuh: FP32 on the CUDA cores. */
    public static final class Sgemm {
        private Sgemm() {}

        public static final int BM = 128;
        public static final int BN = 128;
        public static final int BK = 16;
        public static final int THREADS = 256;
        public static final int WARPS_N = 4;
        public static final int WARPS_M = THREADS / WARP_SIZE / WARPS_N;
        public static final int WM = BM / WARPS_M;
        public static final int WN = BN / WARPS_N;
        public static final int WMITER = 2;
        public static final int WNITER = 2;
        public static final int WSUB_M = WM / WMITER;
        public static final int WSUB_N = WN / WNITER;
        public static final int TM = 4;
        public static final int TN = 4;
        public static final int LANES_N = WSUB_N / TN;
        public static final int LANES_M = WSUB_M / TM;
    }

    /** gemm_tensorcore.cuh: TF32 and BF16 on the tensor cores. */
    public static final class TensorCore {
        private TensorCore() {}

        public static final int BM = 128;
        public static final int BN = 128;
        public static final int THREADS = 256;
        public static final int WARPS_N = 4;
        public static final int WARPS_M = THREADS / WARP_SIZE / WARPS_N;
        public static final int WM = BM / WARPS_M;
        public static final int WN = BN / WARPS_N;
        public static final int MMA_M = 16;
        public static final int MMA_N = 8;
        public static final int M_FRAGS = WM / MMA_M;
        public static final int N_FRAGS = WN / MMA_N;

        /** The per-precision constants (the {@code Tf32} and {@code Bf16} structs). */
        public record Shape(int mmaK, int bk, int pad, int vec) {}

        public static final Shape TF32 = new Shape(8, 16, 4, 4);
        public static final Shape BF16 = new Shape(16, 32, 8, 8);
    }

    /** gemm_wgmma.cuh: TF32 and BF16 on Hopper's warpgroup instructions (the NT form). */
    public static final class Wgmma {
        private Wgmma() {}

        public static final int BM = 128;
        public static final int THREADS = 256;
        public static final int WARPGROUP_ROWS = 64;
        public static final int MMA_N = 128;
        public static final int ROW_BYTES = 128;
        public static final int CHUNK_BYTES = 16;
        public static final int CHUNKS_PER_ROW = ROW_BYTES / CHUNK_BYTES;
        public static final int ATOM_BYTES = 1024;
        public static final int PREFETCH = 2;
        public static final int STAGES = PREFETCH + 2;

        /** The tile widths (BN) compiled: 128 and 256 columns of C per block. */
        public static final int[] TILE_N = {128, 256};

        /** Dynamic shared memory of a block with tile width {@code bn}: the stages plus one atom of alignment slack. */
        public static int sharedBytes(int bn) {
            return STAGES * (BM + bn) * ROW_BYTES + ATOM_BYTES;
        }
    }

    /** nf4.cuh: dequantization and the matrix-vector product. */
    public static final class Nf4 {
        private Nf4() {}

        public static final int THREADS = 256;
        public static final int GEMV_WARPS = 4;
        public static final int ELEMENTS_PER_VECTOR = 32;
    }
}
