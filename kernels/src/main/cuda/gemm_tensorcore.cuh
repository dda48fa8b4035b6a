// Matrix product on the tensor cores (sm_80 and newer): C = alpha * op(A) op(B) + beta * C with float32 C and float32
// accumulation, A and B either float32 rounded to TF32 on the way into shared memory, or bfloat16.
//
//   block:  a 128 x 128 tile of C; 256 threads = 8 warps laid out 2 (rows) x 4 (cols)
//   warp:   a 64 x 32 part of it = 4 x 4 mma.sync tiles of 16 x 8 (TF32: m16n8k8; BF16: m16n8k16)
//   k:      slices of 16 (TF32) or 32 (BF16) elements, register-staged double buffer as in sgemm.cuh
//
// Shared memory holds both operands k-contiguous, As[m][k] and Bs[n][k], with rows padded to 80 bytes: the eight
// rows a fragment load touches then start 20 words apart, and with the four k offsets of a lane group they cover
// all 32 banks exactly once. The fragment layouts are those of the PTX ISA for mma.m16n8k8 (.tf32) and
// mma.m16n8k16 (.bf16): with g = lane / 4 and t = lane % 4, a thread holds A rows g and g + 8, B column g, and C
// rows g, g + 8 at columns 2t, 2t + 1.
//
// Transposes, batching and bounds work as in sgemm.cuh. The constants are mirrored by
// io.carpathia.kernels.reference.TensorCoreEmulation.
#pragma once

#include "common.cuh"

namespace carpathia {
namespace tensorcore {

constexpr int BM = 128;
constexpr int BN = 128;
constexpr int THREADS = 256;
constexpr int WARPS_N = 4;
constexpr int WARPS_M = THREADS / kWarpSize / WARPS_N;  // 2
constexpr int WM = BM / WARPS_M;                        // 64
constexpr int WN = BN / WARPS_N;                        // 32
constexpr int MMA_M = 16;
constexpr int MMA_N = 8;
constexpr int M_FRAGS = WM / MMA_M;                     // 4
constexpr int N_FRAGS = WN / MMA_N;                     // 4

// float32 inputs, multiplied as TF32 (10-bit mantissa).
struct Tf32 {
    using Element = float;      // in global memory
    using Shared = uint32_t;    // tf32 bit patterns
    static constexpr int MMA_K = 8;
    static constexpr int BK = 16;
    static constexpr int PAD = 4;
    static constexpr int VEC = 4;  // elements per 16-byte load

    __device__ __forceinline__ static Shared convert(Element x) { return float_to_tf32(x); }

    // A fragment of a 16 x 8 tile whose row g starts at p (k = ks): a0 (g, t), a1 (g+8, t), a2 (g, t+4),
    // a3 (g+8, t+4).
    __device__ __forceinline__ static void load_a(uint32_t (&frag)[4], const Shared* p, int stride, int t) {
        frag[0] = p[t];
        frag[1] = p[8 * stride + t];
        frag[2] = p[t + 4];
        frag[3] = p[8 * stride + t + 4];
    }

    // B fragment of an 8 x 8 tile stored n-major, column g at p: b0 (k = t, n = g), b1 (k = t+4, n = g).
    __device__ __forceinline__ static void load_b(uint32_t (&frag)[2], const Shared* p, int t) {
        frag[0] = p[t];
        frag[1] = p[t + 4];
    }

    __device__ __forceinline__ static void mma(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
        asm volatile(
                "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                "{%0,%1,%2,%3};"
                : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
};

// bfloat16 inputs (raw bit patterns in global memory).
struct Bf16 {
    using Element = uint16_t;
    using Shared = uint16_t;
    static constexpr int MMA_K = 16;
    static constexpr int BK = 32;
    static constexpr int PAD = 8;
    static constexpr int VEC = 8;

    __device__ __forceinline__ static Shared convert(Element x) { return x; }

    // Two consecutive k values (the lower one in the low half) per 32-bit register.
    __device__ __forceinline__ static uint32_t pair(const Shared* p) { return *reinterpret_cast<const uint32_t*>(p); }

    // a0 (g, 2t..2t+1), a1 (g+8, 2t..), a2 (g, 2t+8..), a3 (g+8, 2t+8..)
    __device__ __forceinline__ static void load_a(uint32_t (&frag)[4], const Shared* p, int stride, int t) {
        frag[0] = pair(p + 2 * t);
        frag[1] = pair(p + 8 * stride + 2 * t);
        frag[2] = pair(p + 2 * t + 8);
        frag[3] = pair(p + 8 * stride + 2 * t + 8);
    }

    // b0 (k = 2t..2t+1, n = g), b1 (k = 2t+8.., n = g)
    __device__ __forceinline__ static void load_b(uint32_t (&frag)[2], const Shared* p, int t) {
        frag[0] = pair(p + 2 * t);
        frag[1] = pair(p + 2 * t + 8);
    }

    __device__ __forceinline__ static void mma(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
        asm volatile(
                "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                "{%0,%1,%2,%3};"
                : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
};

// One operand's share of a k slice: X rows of the block tile by BK, stored in shared memory as [X][BK + PAD].
//
// When k is contiguous in memory (A as given, B transposed) the slice is X rows by BK columns there and each
// 16-byte vector lands whole in one shared row. Otherwise (A transposed, B as given) it is BK rows by X columns and
// each vector's elements are scattered down a shared column; consecutive threads then walk down k, so that the 32
// scattered stores of a warp fall into distinct banks.
template <typename P, int X, bool K_CONTIGUOUS, bool VECTORISED>
struct SliceLoader {
    using Element = typename P::Element;
    using Shared = typename P::Shared;
    static constexpr int BK = P::BK;
    static constexpr int VEC = P::VEC;
    static constexpr int STRIDE = P::BK + P::PAD;
    static constexpr int LOADS = X * BK / VEC / THREADS;
    static_assert(X * BK % (VEC * THREADS) == 0, "slices load in whole vectors");

    Vec16 staged[LOADS];

    // (r, c): the vector's row and first column in the memory block.
    __device__ __forceinline__ static void position(int v, int& r, int& c) {
        if (K_CONTIGUOUS) {
            r = v / (BK / VEC);
            c = (v % (BK / VEC)) * VEC;
        } else {
            r = v % BK;
            c = (v / BK) * VEC;
        }
    }

    __device__ __forceinline__ void load(const Element* __restrict__ base, long long ld, int xSize, int kSize, int x0,
                                         int k0, int tid) {
#pragma unroll
        for (int i = 0; i < LOADS; ++i) {
            int r, c;
            position(tid + i * THREADS, r, c);
            staged[i] = K_CONTIGUOUS ? load_vec16<Element, VECTORISED>(base, ld, x0 + r, k0 + c, xSize, kSize)
                                     : load_vec16<Element, VECTORISED>(base, ld, k0 + r, x0 + c, kSize, xSize);
        }
    }

    __device__ __forceinline__ void store(Shared* shared, int tid) const {
#pragma unroll
        for (int i = 0; i < LOADS; ++i) {
            int r, c;
            position(tid + i * THREADS, r, c);
            const Element* elements = reinterpret_cast<const Element*>(&staged[i]);
            Vec16 converted;
            Shared* out = reinterpret_cast<Shared*>(&converted);
#pragma unroll
            for (int j = 0; j < VEC; ++j) out[j] = P::convert(elements[j]);
            if (K_CONTIGUOUS) {  // elements (x = r, k = c .. c+VEC-1)
                *reinterpret_cast<Vec16*>(&shared[r * STRIDE + c]) = converted;
            } else {             // elements (k = r, x = c .. c+VEC-1)
#pragma unroll
                for (int j = 0; j < VEC; ++j) shared[(c + j) * STRIDE + r] = out[j];
            }
        }
    }
};

template <typename P, bool TRANS_A, bool TRANS_B, bool VECTORISED>
__device__ __forceinline__ void gemm(int m, int n, int k, float alpha,
                                     const typename P::Element* __restrict__ a, long long lda, long long strideA,
                                     const typename P::Element* __restrict__ b, long long ldb, long long strideB,
                                     float beta, float* __restrict__ c, long long ldc, long long strideC,
                                     int batchCount) {
    using Shared = typename P::Shared;
    constexpr int BK = P::BK;
    constexpr int STRIDE = P::BK + P::PAD;
    __shared__ __align__(16) Shared sharedA[2][BM * STRIDE];
    __shared__ __align__(16) Shared sharedB[2][BN * STRIDE];

    const int tid = threadIdx.x;
    const int warp = tid / kWarpSize;
    const int lane = tid % kWarpSize;
    const int warpRow = warp / WARPS_N;
    const int warpCol = warp % WARPS_N;
    const int g = lane / 4;
    const int t = lane % 4;
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    const int slices = (k + BK - 1) / BK;

    for (int batch = blockIdx.z; batch < batchCount; batch += gridDim.z) {
        const typename P::Element* A = a + batch * strideA;
        const typename P::Element* B = b + batch * strideB;
        float* C = c + batch * strideC;

        SliceLoader<P, BM, !TRANS_A, VECTORISED> loadA;
        SliceLoader<P, BN, TRANS_B, VECTORISED> loadB;

        float acc[M_FRAGS][N_FRAGS][4];
#pragma unroll
        for (int i = 0; i < M_FRAGS; ++i)
#pragma unroll
            for (int j = 0; j < N_FRAGS; ++j)
#pragma unroll
                for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.0f;

        loadA.load(A, lda, m, k, m0, 0, tid);
        loadB.load(B, ldb, n, k, n0, 0, tid);
        loadA.store(sharedA[0], tid);
        loadB.store(sharedB[0], tid);
        __syncthreads();

        for (int s = 0; s < slices; ++s) {
            const int current = s & 1;
            const bool more = s + 1 < slices;
            if (more) {
                loadA.load(A, lda, m, k, m0, (s + 1) * BK, tid);
                loadB.load(B, ldb, n, k, n0, (s + 1) * BK, tid);
            }
            const Shared* As = sharedA[current];
            const Shared* Bs = sharedB[current];
#pragma unroll
            for (int ks = 0; ks < BK; ks += P::MMA_K) {
                uint32_t fragA[M_FRAGS][4];
                uint32_t fragB[N_FRAGS][2];
#pragma unroll
                for (int i = 0; i < M_FRAGS; ++i) {
                    P::load_a(fragA[i], &As[(warpRow * WM + i * MMA_M + g) * STRIDE + ks], STRIDE, t);
                }
#pragma unroll
                for (int j = 0; j < N_FRAGS; ++j) {
                    P::load_b(fragB[j], &Bs[(warpCol * WN + j * MMA_N + g) * STRIDE + ks], t);
                }
#pragma unroll
                for (int i = 0; i < M_FRAGS; ++i)
#pragma unroll
                    for (int j = 0; j < N_FRAGS; ++j) P::mma(acc[i][j], fragA[i], fragB[j]);
            }
            if (more) {
                loadA.store(sharedA[current ^ 1], tid);
                loadB.store(sharedB[current ^ 1], tid);
            }
            __syncthreads();
        }

        // acc[i][j][q] is C row g + 8 * (q / 2), column 2t + (q % 2) of the 16 x 8 tile (i, j).
#pragma unroll
        for (int i = 0; i < M_FRAGS; ++i) {
#pragma unroll
            for (int half = 0; half < 2; ++half) {
                const int row = m0 + warpRow * WM + i * MMA_M + g + 8 * half;
                if (row >= m) continue;
                float* cRow = C + row * ldc;
#pragma unroll
                for (int j = 0; j < N_FRAGS; ++j) {
                    const int col = n0 + warpCol * WN + j * MMA_N + 2 * t;
                    store_column_pair<VECTORISED>(cRow, col, n, &acc[i][j][2 * half], alpha, beta);
                }
            }
        }
    }
}

}  // namespace tensorcore
}  // namespace carpathia

// Entry points, launched like the sgemm ones (grid ceil(n/128) x ceil(m/128) x batches, 256 threads). a and b hold
// float32 (tf32 forms) or bfloat16 bit patterns (bf16 forms); c is float32.
#define CARPATHIA_TENSORCORE_ENTRY(NAME, PRECISION, TRANS_A, TRANS_B, VECTORISED)                                  \
    extern "C" __global__ void                                                                                     \
    __launch_bounds__(carpathia::tensorcore::THREADS, carpathia::kGemmMinBlocksPerSm)                              \
            NAME(int m, int n, int k, float alpha, const PRECISION::Element* __restrict__ a, long long lda,        \
                 long long strideA, const PRECISION::Element* __restrict__ b, long long ldb, long long strideB,    \
                 float beta, float* __restrict__ c, long long ldc, long long strideC, int batchCount) {            \
        carpathia::tensorcore::gemm<PRECISION, TRANS_A, TRANS_B, VECTORISED>(m, n, k, alpha, a, lda, strideA, b,   \
                                                                             ldb, strideB, beta, c, ldc, strideC,  \
                                                                             batchCount);                          \
    }

CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_tf32_nn, carpathia::tensorcore::Tf32, false, false, false)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_tf32_nt, carpathia::tensorcore::Tf32, false, true, false)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_tf32_tn, carpathia::tensorcore::Tf32, true, false, false)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_tf32_nn_vec, carpathia::tensorcore::Tf32, false, false, true)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_tf32_nt_vec, carpathia::tensorcore::Tf32, false, true, true)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_tf32_tn_vec, carpathia::tensorcore::Tf32, true, false, true)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_bf16_nn, carpathia::tensorcore::Bf16, false, false, false)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_bf16_nt, carpathia::tensorcore::Bf16, false, true, false)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_bf16_tn, carpathia::tensorcore::Bf16, true, false, false)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_bf16_nn_vec, carpathia::tensorcore::Bf16, false, false, true)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_bf16_nt_vec, carpathia::tensorcore::Bf16, false, true, true)
CARPATHIA_TENSORCORE_ENTRY(carpathia_gemm_bf16_tn_vec, carpathia::tensorcore::Bf16, true, false, true)
