// Matrix product on Hopper's warpgroup tensor-core instructions (wgmma.mma_async, sm_90a only):
// C = alpha * A B^T + beta * C with A [m, k] and B [n, k] both k-contiguous (the "NT" form, nn.Linear's y = x W^T),
// float32 accumulation and output, inputs bfloat16 or float32 rounded to TF32. Optionally strided-batched.
//
// Why a third GEMM family: on Hopper the warp-level mma.sync of gemm_tensorcore.cuh reaches only about half of the
// tensor cores' rate; the rest is reachable only through wgmma, which a warpgroup (4 warps) issues asynchronously
// with both operands read straight from shared memory.
//
//   block:   BM = 128 rows x BN (128 or 256) columns of C; 256 threads = 2 warpgroups of 64 rows each
//   k tile:  128 bytes of k per row (64 bfloat16 or 32 float32 values), so that one row of a tile is exactly the
//            span of the 128-byte shared-memory swizzle
//   loads:   every thread copies 16-byte chunks with cp.async into a ring of STAGES tiles; the copies of tile j + 2
//            are in flight while the tensor cores multiply tile j, and one wgmma group stays in flight across tiles
//   layout:  the canonical k-major layout with 128-byte swizzle: row r of a tile at byte r * 128, its 16-byte chunk c
//            at chunk position c ^ (r % 8); 8 rows form a 1024-byte swizzle atom (tiles start 1024-byte aligned)
//   wgmma:   m64n128k16 (bf16) or m64n128k8 (tf32) per warpgroup; BN = 256 issues two of them per k step
//
// Bounds: m and n are arbitrary (rows past the edge are copied as zeros with cp.async's src-size 0, and only
// elements inside C are written); k, lda, ldb and the batch strides must be multiples of 16 bytes' worth of
// elements, and A and B 16-byte aligned (io.carpathia.kernels.Gemm decides, and other shapes go to
// gemm_tensorcore.cuh). TF32 inputs are rounded to nearest (cvt.rna) in shared memory once their tile has landed,
// as the other TF32 kernels round them; the tensor cores would otherwise truncate.
//
// The constants are mirrored by io.carpathia.kernels.KernelTiling.Wgmma; io.carpathia.kernels.reference.
// WgmmaEmulation runs the same copies, swizzle, descriptors and accumulator layout on the CPU.
#pragma once

#include "common.cuh"

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define CARPATHIA_HAS_WGMMA 1
#else
#define CARPATHIA_HAS_WGMMA 0
#endif

namespace carpathia {
namespace wgmma {

constexpr int BM = 128;
constexpr int THREADS = 256;
constexpr int WARPGROUP_ROWS = 64;            // rows of C per warpgroup (the m of m64nNk)
constexpr int MMA_N = 128;                    // the n of one wgmma
constexpr int ROW_BYTES = 128;                // bytes of k per tile row = the swizzle span
constexpr int CHUNK_BYTES = 16;               // one cp.async
constexpr int CHUNKS_PER_ROW = ROW_BYTES / CHUNK_BYTES;  // 8
constexpr int ATOM_BYTES = 1024;              // 8 rows x 128 bytes: the swizzle pattern's period
constexpr int PREFETCH = 2;                   // tiles copied ahead of the one being multiplied

// STAGES = PREFETCH + 2: the tile being multiplied, the one whose wgmma group may still be in flight, and PREFETCH
// tiles being copied.
constexpr int STAGES = PREFETCH + 2;

template <int BN>
struct Shape {
    static constexpr int A_BYTES = BM * ROW_BYTES;
    static constexpr int B_BYTES = BN * ROW_BYTES;
    static constexpr int STAGE_BYTES = A_BYTES + B_BYTES;
    // + one atom of slack: dynamic shared memory is only 16-byte aligned, the swizzle needs 1024
    static constexpr int SHARED_BYTES = STAGES * STAGE_BYTES + ATOM_BYTES;
    static constexpr int N_MMAS = BN / MMA_N;
    static_assert(BN % MMA_N == 0, "BN is a multiple of the wgmma's n");
    static_assert(A_BYTES % ATOM_BYTES == 0 && B_BYTES % ATOM_BYTES == 0, "tiles keep the atoms aligned");
};

// The accumulators of one m64n128 wgmma: 64 floats per thread. With w the warp within the warpgroup, g = lane / 4
// and t = lane % 4, d[4 j + q] is row 16 w + g + 8 (q / 2), column 8 j + 2 t + (q % 2).
using Accumulators = float[64];

// A shared-memory matrix descriptor for the k-major, 128-byte-swizzled layout: start address >> 4 (bits 0-13),
// leading byte offset (unused by this layout; 1, bits 16-29), stride byte offset = 1024 >> 4 between 8-row groups
// (bits 32-45), base offset 0 (atoms are 1024-aligned), swizzle mode 1 = 128 bytes (bits 62-63).
__device__ __forceinline__ uint64_t descriptor(uint32_t sharedAddress) {
    return static_cast<uint64_t>((sharedAddress & 0x3FFFF) >> 4) | (static_cast<uint64_t>(1) << 16) |
           (static_cast<uint64_t>(ATOM_BYTES >> 4) << 32) | (static_cast<uint64_t>(1) << 62);
}

// Byte offset of chunk c of row r in a tile.
__device__ __forceinline__ uint32_t swizzled(int r, int c) {
    return static_cast<uint32_t>(r * ROW_BYTES + ((c ^ (r % 8)) * CHUNK_BYTES));
}

struct Bf16 {
    using Element = uint16_t;
    static constexpr int ELEMENTS_PER_CHUNK = 8;
    static constexpr int MMA_K = 16;
    static constexpr bool ROUND_TF32 = false;

    __device__ __forceinline__ static void mma(Accumulators& d, uint64_t a, uint64_t b) {
#if CARPATHIA_HAS_WGMMA
        asm volatile(
                "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
                "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
                "{" \
    "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, " \
    "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, " \
    "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
    "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}" ", %64, %65, p, 1, 1, 0, 0;\n}\n"
                : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
              "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
              "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
              "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
              "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
              "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
              "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
              "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                : "l"(a), "l"(b));
#endif
    }
};

struct Tf32 {
    using Element = float;
    static constexpr int ELEMENTS_PER_CHUNK = 4;
    static constexpr int MMA_K = 8;
    static constexpr bool ROUND_TF32 = true;

    __device__ __forceinline__ static void mma(Accumulators& d, uint64_t a, uint64_t b) {
#if CARPATHIA_HAS_WGMMA
        asm volatile(
                "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
                "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 "
                "{" \
    "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, " \
    "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, " \
    "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
    "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}" ", %64, %65, p, 1, 1;\n}\n"
                : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
              "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
              "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
              "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
              "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
              "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
              "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
              "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                : "l"(a), "l"(b));
#endif
    }
};

#if CARPATHIA_HAS_WGMMA
__device__ __forceinline__ void cp_async_16(uint32_t sharedAddress, const void* global, bool valid) {
    // src-size 0 copies nothing and fills the 16 bytes with zeros
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(sharedAddress), "l"(global),
                 "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int PENDING>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(PENDING)); }
// Makes this thread's generic-proxy writes to shared memory (cp.async's included) visible to the async proxy that
// wgmma reads through.
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int PENDING>
__device__ __forceinline__ void wgmma_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(PENDING) : "memory");
}
// Keeps the compiler from moving accumulator registers across the asynchronous wgmma that owns them.
__device__ __forceinline__ void pin(Accumulators& d) {
#pragma unroll
    for (int i = 0; i < 64; ++i) asm volatile("" : "+f"(d[i])::"memory");
}
#endif

// Copies one operand's k tile: `rows` rows of the block (starting at row x0 of the operand) by 128 bytes of k
// starting at element k0. Chunk v = tid + i * THREADS is row v / 8, chunk v % 8: eight consecutive threads read one
// row's 128 bytes.
template <typename P, int ROWS>
__device__ __forceinline__ void copy_tile(uint32_t tile, const typename P::Element* __restrict__ base, long long ld,
                                          int xSize, int kSize, int x0, int k0, int tid) {
#if CARPATHIA_HAS_WGMMA
#pragma unroll
    for (int i = 0; i < ROWS * CHUNKS_PER_ROW / THREADS; ++i) {
        const int v = tid + i * THREADS;
        const int r = v / CHUNKS_PER_ROW;
        const int c = v % CHUNKS_PER_ROW;
        const int row = x0 + r;
        const int col = k0 + c * P::ELEMENTS_PER_CHUNK;
        const bool valid = row < xSize && col < kSize;
        const typename P::Element* source = valid ? base + static_cast<long long>(row) * ld + col : base;
        cp_async_16(tile + swizzled(r, c), source, valid);
    }
#endif
}

// Rounds, in place, the float32 chunks this thread copied into a tile to TF32 (the same chunks copy_tile gave it).
template <int ROWS>
__device__ __forceinline__ void round_tile_tf32(uint8_t* tile, int tid) {
#pragma unroll
    for (int i = 0; i < ROWS * CHUNKS_PER_ROW / THREADS; ++i) {
        const int v = tid + i * THREADS;
        uint4* chunk = reinterpret_cast<uint4*>(tile + swizzled(v / CHUNKS_PER_ROW, v % CHUNKS_PER_ROW));
        uint4 x = *chunk;
        x.x = float_to_tf32(__uint_as_float(x.x));
        x.y = float_to_tf32(__uint_as_float(x.y));
        x.z = float_to_tf32(__uint_as_float(x.z));
        x.w = float_to_tf32(__uint_as_float(x.w));
        *chunk = x;
    }
}

template <typename P, int BN, bool VECTORISED_C>
__device__ __forceinline__ void gemm(int m, int n, int k, float alpha, const typename P::Element* __restrict__ a,
                                     long long lda, long long strideA, const typename P::Element* __restrict__ b,
                                     long long ldb, long long strideB, float beta, float* __restrict__ c,
                                     long long ldc, long long strideC, int batchCount) {
#if CARPATHIA_HAS_WGMMA
    using S = Shape<BN>;
    constexpr int K_PER_TILE = ROW_BYTES / static_cast<int>(sizeof(typename P::Element));
    constexpr int K_STEPS = K_PER_TILE / P::MMA_K;
    constexpr int K_STEP_BYTES = P::MMA_K * static_cast<int>(sizeof(typename P::Element));  // 32
    extern __shared__ uint8_t dynamicShared[];
    // the first 1024-byte boundary in the block's shared memory
    const uint32_t rawAddress = static_cast<uint32_t>(__cvta_generic_to_shared(dynamicShared));
    const uint32_t alignedAddress = (rawAddress + ATOM_BYTES - 1) & ~static_cast<uint32_t>(ATOM_BYTES - 1);
    uint8_t* const shared = dynamicShared + (alignedAddress - rawAddress);

    const int tid = threadIdx.x;
    const int warpgroup = tid / (4 * kWarpSize);
    const int warp = (tid / kWarpSize) % 4;
    const int lane = tid % kWarpSize;
    const int g = lane / 4;
    const int t = lane % 4;
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    const int tiles = (k + K_PER_TILE - 1) / K_PER_TILE;

    for (int batch = blockIdx.z; batch < batchCount; batch += gridDim.z) {
        const typename P::Element* A = a + batch * strideA;
        const typename P::Element* B = b + batch * strideB;
        float* C = c + batch * strideC;

        float acc[S::N_MMAS][64];
#pragma unroll
        for (int h = 0; h < S::N_MMAS; ++h)
#pragma unroll
            for (int i = 0; i < 64; ++i) acc[h][i] = 0.0f;

        // Tile j lives in stage j % STAGES. Every iteration commits exactly one cp.async group (empty past the last
        // tile), so "all but PREFETCH - 1 groups done" always means "tile j has landed".
#pragma unroll
        for (int j = 0; j < PREFETCH; ++j) {
            if (j < tiles) {
                const uint32_t stage = alignedAddress + j * S::STAGE_BYTES;
                copy_tile<P, BM>(stage, A, lda, m, k, m0, j * K_PER_TILE, tid);
                copy_tile<P, BN>(stage + S::A_BYTES, B, ldb, n, k, n0, j * K_PER_TILE, tid);
            }
            cp_async_commit();
        }

        for (int j = 0; j < tiles; ++j) {
            const int stageIndex = j % STAGES;
            cp_async_wait<PREFETCH - 1>();
            if (P::ROUND_TF32) {
                uint8_t* stage = shared + stageIndex * S::STAGE_BYTES;
                round_tile_tf32<BM>(stage, tid);
                round_tile_tf32<BN>(stage + S::A_BYTES, tid);
            }
            fence_proxy_async();
            // After this barrier tile j is in shared memory for everyone, and every warpgroup has waited for its
            // wgmma group of tile j - 2 (at the end of iteration j - 1), so tile j - 2's stage may be refilled.
            __syncthreads();
            const int next = j + PREFETCH;
            if (next < tiles) {
                const uint32_t stage = alignedAddress + (next % STAGES) * S::STAGE_BYTES;
                copy_tile<P, BM>(stage, A, lda, m, k, m0, next * K_PER_TILE, tid);
                copy_tile<P, BN>(stage + S::A_BYTES, B, ldb, n, k, n0, next * K_PER_TILE, tid);
            }
            cp_async_commit();

            const uint32_t tileA = alignedAddress + stageIndex * S::STAGE_BYTES + warpgroup * WARPGROUP_ROWS * ROW_BYTES;
            const uint32_t tileB = alignedAddress + stageIndex * S::STAGE_BYTES + S::A_BYTES;
#pragma unroll
            for (int h = 0; h < S::N_MMAS; ++h) pin(acc[h]);
            wgmma_fence();
#pragma unroll
            for (int ks = 0; ks < K_STEPS; ++ks) {
#pragma unroll
                for (int h = 0; h < S::N_MMAS; ++h) {
                    P::mma(acc[h], descriptor(tileA + ks * K_STEP_BYTES),
                           descriptor(tileB + h * MMA_N * ROW_BYTES + ks * K_STEP_BYTES));
                }
            }
            wgmma_commit();
#pragma unroll
            for (int h = 0; h < S::N_MMAS; ++h) pin(acc[h]);
            wgmma_wait<1>();
        }
        wgmma_wait<0>();
#pragma unroll
        for (int h = 0; h < S::N_MMAS; ++h) pin(acc[h]);
        // Before the next batch refills the stages, every warpgroup must be done reading them.
        __syncthreads();

#pragma unroll
        for (int half = 0; half < 2; ++half) {
            const int row = m0 + warpgroup * WARPGROUP_ROWS + warp * 16 + g + 8 * half;
            if (row >= m) continue;
            float* cRow = C + row * ldc;
#pragma unroll
            for (int h = 0; h < S::N_MMAS; ++h) {
#pragma unroll
                for (int jn = 0; jn < MMA_N / 8; ++jn) {
                    const int col = n0 + h * MMA_N + jn * 8 + 2 * t;
                    store_column_pair<VECTORISED_C>(cRow, col, n, &acc[h][4 * jn + 2 * half], alpha, beta);
                }
            }
        }
    }
#else
    __trap();  // not an sm_90a image: CudaKernels launches these only after carpathia_wgmma_available said 1
#endif
}

}  // namespace wgmma
}  // namespace carpathia

// 1 in an image compiled for sm_90a (where the kernels below are real), 0 elsewhere. One thread, one int.
extern "C" __global__ void carpathia_wgmma_available(int* out) { *out = CARPATHIA_HAS_WGMMA; }

// Entry points: grid x = ceil(n / BN), y = ceil(m / 128), z = min(batchCount, 65535); 256 threads;
// Shape<BN>::SHARED_BYTES of dynamic shared memory. "_c2": C taken two columns at a time (n, ldc and strideC even
// and C 8-byte aligned).
#define CARPATHIA_WGMMA_ENTRY(NAME, PRECISION, BN, VECTORISED_C, MIN_BLOCKS)                                       \
    extern "C" __global__ void __launch_bounds__(carpathia::wgmma::THREADS, MIN_BLOCKS)                            \
            NAME(int m, int n, int k, float alpha, const PRECISION::Element* __restrict__ a, long long lda,        \
                 long long strideA, const PRECISION::Element* __restrict__ b, long long ldb, long long strideB,    \
                 float beta, float* __restrict__ c, long long ldc, long long strideC, int batchCount) {            \
        carpathia::wgmma::gemm<PRECISION, BN, VECTORISED_C>(m, n, k, alpha, a, lda, strideA, b, ldb, strideB,      \
                                                            beta, c, ldc, strideC, batchCount);                    \
    }

CARPATHIA_WGMMA_ENTRY(carpathia_wgmma_bf16_nt_128, carpathia::wgmma::Bf16, 128, false, 1)
CARPATHIA_WGMMA_ENTRY(carpathia_wgmma_bf16_nt_128_c2, carpathia::wgmma::Bf16, 128, true, 1)
CARPATHIA_WGMMA_ENTRY(carpathia_wgmma_bf16_nt_256, carpathia::wgmma::Bf16, 256, false, 1)
CARPATHIA_WGMMA_ENTRY(carpathia_wgmma_bf16_nt_256_c2, carpathia::wgmma::Bf16, 256, true, 1)
CARPATHIA_WGMMA_ENTRY(carpathia_wgmma_tf32_nt_128, carpathia::wgmma::Tf32, 128, false, 1)
CARPATHIA_WGMMA_ENTRY(carpathia_wgmma_tf32_nt_128_c2, carpathia::wgmma::Tf32, 128, true, 1)
CARPATHIA_WGMMA_ENTRY(carpathia_wgmma_tf32_nt_256, carpathia::wgmma::Tf32, 256, false, 1)
CARPATHIA_WGMMA_ENTRY(carpathia_wgmma_tf32_nt_256_c2, carpathia::wgmma::Tf32, 256, true, 1)
