// FP32 matrix product on the CUDA cores: C = alpha * op(A) op(B) + beta * C, row-major, optionally batched.
//
// The structure is the classic one (shared-memory tiling, then 2-D register blocking, then warp tiling, with
// vectorised loads and a register-staged double buffer):
//
//   block:  a 128 x 128 tile of C; 256 threads = 8 warps laid out 2 (rows) x 4 (cols)
//   warp:   a 64 x 32 part of that tile, covered in 2 x 2 steps of 32 x 16
//   thread: per step a 4 x 4 micro-tile; 8 x 8 = 64 accumulators in registers
//   k:      slices of 16; slice t+1 is fetched from global memory into registers while slice t is multiplied out
//           of shared memory, then written to the other of two shared buffers (one barrier per slice)
//
// op(A) is m x k: A itself is [m, k] (NN, NT) or [k, m] when transposed (TN). op(B) is k x n: B is [k, n] (NN, TN)
// or [n, k] when transposed (NT). These three are what a linear layer needs: y = x W, dx = dy W^T, dW = x^T dy.
// Any m, n, k: slices that cross the matrix edge are filled with zeros and only elements inside C are written.
//
// The constants below are mirrored by io.carpathia.kernels.reference.SgemmEmulation, which runs this exact tiling
// and index arithmetic on the CPU (a test reads them from this file and compares).
#pragma once

#include "common.cuh"

namespace carpathia {
namespace sgemm {

constexpr int BM = 128;                       // rows of C per block
constexpr int BN = 128;                       // columns of C per block
constexpr int BK = 16;                        // depth of one k slice
constexpr int THREADS = 256;
constexpr int WARPS_N = 4;                    // warps across the columns of the block tile
constexpr int WARPS_M = THREADS / kWarpSize / WARPS_N;  // 2 warps down its rows
constexpr int WM = BM / WARPS_M;              // 64 rows per warp
constexpr int WN = BN / WARPS_N;              // 32 columns per warp
constexpr int WMITER = 2;                     // a warp covers its 64 x 32 in 2 x 2 steps
constexpr int WNITER = 2;
constexpr int WSUB_M = WM / WMITER;           // 32 rows per step
constexpr int WSUB_N = WN / WNITER;           // 16 columns per step
constexpr int TM = 4;                         // a thread's micro-tile per step: 4 x 4
constexpr int TN = 4;
constexpr int LANES_N = WSUB_N / TN;          // lanes across a step's columns (4) ...
constexpr int LANES_M = WSUB_M / TM;          // ... and down its rows (8)
static_assert(LANES_M * LANES_N == kWarpSize, "a warp step must give every lane one micro-tile");
static_assert(BM * BK % (4 * THREADS) == 0 && BN * BK % (4 * THREADS) == 0, "slices load in whole float4s");

// One operand's share of a k slice: X rows of the block tile (X = BM for A, BN for B) by BK, staged through
// registers and stored in shared memory as [BK][X] (k-major), the layout the multiply loop reads as float4s.
//
// In memory the slice is a row-major block of X rows by BK columns when k is the contiguous dimension (A as given,
// B transposed) and of BK rows by X columns otherwise (A transposed, B as given). Threads take consecutive
// 4-element vectors of that block, so a warp reads whole rows of it (coalesced).
template <int X, bool K_CONTIGUOUS, bool VECTORISED>
struct SliceLoader {
    static constexpr int LOADS = X * BK / 4 / THREADS;
    static constexpr int VECS_PER_ROW = (K_CONTIGUOUS ? BK : X) / 4;

    float4 staged[LOADS];

    // Fetches the slice whose tile starts at row/column x0 of the operand and at depth k0.
    __device__ __forceinline__ void load(const float* __restrict__ base, long long ld, int xSize, int kSize, int x0,
                                         int k0, int tid) {
#pragma unroll
        for (int i = 0; i < LOADS; ++i) {
            const int v = tid + i * THREADS;
            const int r = v / VECS_PER_ROW;
            const int c = (v % VECS_PER_ROW) * 4;
            const Vec16 raw = K_CONTIGUOUS ? load_vec16<float, VECTORISED>(base, ld, x0 + r, k0 + c, xSize, kSize)
                                           : load_vec16<float, VECTORISED>(base, ld, k0 + r, x0 + c, kSize, xSize);
            staged[i] = *reinterpret_cast<const float4*>(&raw);
        }
    }

    __device__ __forceinline__ void store(float* shared, int tid) const {
#pragma unroll
        for (int i = 0; i < LOADS; ++i) {
            const int v = tid + i * THREADS;
            const int r = v / VECS_PER_ROW;
            const int c = (v % VECS_PER_ROW) * 4;
            if (K_CONTIGUOUS) {
                // elements (x = r, k = c .. c+3) go to four k rows of the [BK][X] layout
                shared[(c + 0) * X + r] = staged[i].x;
                shared[(c + 1) * X + r] = staged[i].y;
                shared[(c + 2) * X + r] = staged[i].z;
                shared[(c + 3) * X + r] = staged[i].w;
            } else {
                // elements (k = r, x = c .. c+3) are already a piece of one k row
                *reinterpret_cast<float4*>(&shared[r * X + c]) = staged[i];
            }
        }
    }
};

template <bool TRANS_A, bool TRANS_B, bool VECTORISED>
__device__ __forceinline__ void sgemm(int m, int n, int k, float alpha,
                                      const float* __restrict__ a, long long lda, long long strideA,
                                      const float* __restrict__ b, long long ldb, long long strideB, float beta,
                                      float* __restrict__ c, long long ldc, long long strideC, int batchCount) {
    __shared__ __align__(16) float sharedA[2][BK * BM];
    __shared__ __align__(16) float sharedB[2][BK * BN];

    const int tid = threadIdx.x;
    const int warp = tid / kWarpSize;
    const int lane = tid % kWarpSize;
    const int warpRow = warp / WARPS_N;
    const int warpCol = warp % WARPS_N;
    const int laneRow = lane / LANES_N;
    const int laneCol = lane % LANES_N;
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    const int slices = (k + BK - 1) / BK;

    for (int batch = blockIdx.z; batch < batchCount; batch += gridDim.z) {
        const float* A = a + batch * strideA;
        const float* B = b + batch * strideB;
        float* C = c + batch * strideC;

        // A's tile rows are C's rows (m); B's tile rows are C's columns (n).
        SliceLoader<BM, !TRANS_A, VECTORISED> loadA;
        SliceLoader<BN, TRANS_B, VECTORISED> loadB;

        float acc[WMITER * TM][WNITER * TN];
#pragma unroll
        for (int i = 0; i < WMITER * TM; ++i)
#pragma unroll
            for (int j = 0; j < WNITER * TN; ++j) acc[i][j] = 0.0f;

        loadA.load(A, lda, m, k, m0, 0, tid);
        loadB.load(B, ldb, n, k, n0, 0, tid);
        loadA.store(sharedA[0], tid);
        loadB.store(sharedB[0], tid);
        __syncthreads();

        for (int s = 0; s < slices; ++s) {
            const int current = s & 1;
            const bool more = s + 1 < slices;
            if (more) {  // in flight while this slice is multiplied
                loadA.load(A, lda, m, k, m0, (s + 1) * BK, tid);
                loadB.load(B, ldb, n, k, n0, (s + 1) * BK, tid);
            }
            const float* As = sharedA[current];
            const float* Bs = sharedB[current];
#pragma unroll
            for (int kk = 0; kk < BK; ++kk) {
                float fragA[WMITER * TM];
                float fragB[WNITER * TN];
#pragma unroll
                for (int wm = 0; wm < WMITER; ++wm) {
                    const float4 v = *reinterpret_cast<const float4*>(
                            &As[kk * BM + warpRow * WM + wm * WSUB_M + laneRow * TM]);
                    fragA[wm * TM + 0] = v.x;
                    fragA[wm * TM + 1] = v.y;
                    fragA[wm * TM + 2] = v.z;
                    fragA[wm * TM + 3] = v.w;
                }
#pragma unroll
                for (int wn = 0; wn < WNITER; ++wn) {
                    const float4 v = *reinterpret_cast<const float4*>(
                            &Bs[kk * BN + warpCol * WN + wn * WSUB_N + laneCol * TN]);
                    fragB[wn * TN + 0] = v.x;
                    fragB[wn * TN + 1] = v.y;
                    fragB[wn * TN + 2] = v.z;
                    fragB[wn * TN + 3] = v.w;
                }
#pragma unroll
                for (int i = 0; i < WMITER * TM; ++i)
#pragma unroll
                    for (int j = 0; j < WNITER * TN; ++j) acc[i][j] = __fmaf_rn(fragA[i], fragB[j], acc[i][j]);
            }
            if (more) {
                loadA.store(sharedA[current ^ 1], tid);
                loadB.store(sharedB[current ^ 1], tid);
            }
            __syncthreads();
        }

#pragma unroll
        for (int wm = 0; wm < WMITER; ++wm) {
#pragma unroll
            for (int tm = 0; tm < TM; ++tm) {
                const int row = m0 + warpRow * WM + wm * WSUB_M + laneRow * TM + tm;
                if (row >= m) continue;
                float* cRow = C + row * ldc;
#pragma unroll
                for (int wn = 0; wn < WNITER; ++wn) {
                    const int col = n0 + warpCol * WN + wn * WSUB_N + laneCol * TN;
                    const float* r = &acc[wm * TM + tm][wn * TN];
                    if (VECTORISED) {  // n % 4 == 0: the four columns are all inside or all outside
                        if (col < n) {
                            float4 out;
                            float4 old = beta != 0.0f ? *reinterpret_cast<const float4*>(cRow + col)
                                                      : make_float4(0.f, 0.f, 0.f, 0.f);
                            out.x = gemm_epilogue(r[0], alpha, beta, &old.x);
                            out.y = gemm_epilogue(r[1], alpha, beta, &old.y);
                            out.z = gemm_epilogue(r[2], alpha, beta, &old.z);
                            out.w = gemm_epilogue(r[3], alpha, beta, &old.w);
                            *reinterpret_cast<float4*>(cRow + col) = out;
                        }
                    } else {
#pragma unroll
                        for (int tn = 0; tn < TN; ++tn) {
                            if (col + tn < n) cRow[col + tn] = gemm_epilogue(r[tn], alpha, beta, cRow + col + tn);
                        }
                    }
                }
            }
        }
    }
}

}  // namespace sgemm
}  // namespace carpathia

// Entry points. Grid: x = ceil(n / 128), y = ceil(m / 128), z = min(batchCount, 65535); block: 256 threads.
// The `_vec` forms need 16-byte aligned matrices whose contiguous dimensions, leading dimensions and batch strides
// are multiples of 4 (io.carpathia.kernels.Gemm decides).
#define CARPATHIA_SGEMM_ENTRY(NAME, TRANS_A, TRANS_B, VECTORISED)                                                  \
    extern "C" __global__ void                                                                                     \
    __launch_bounds__(carpathia::sgemm::THREADS, carpathia::kGemmMinBlocksPerSm)                                   \
            NAME(int m, int n, int k, float alpha, const float* __restrict__ a, long long lda, long long strideA,  \
                 const float* __restrict__ b, long long ldb, long long strideB, float beta, float* __restrict__ c, \
                 long long ldc, long long strideC, int batchCount) {                                               \
        carpathia::sgemm::sgemm<TRANS_A, TRANS_B, VECTORISED>(m, n, k, alpha, a, lda, strideA, b, ldb, strideB,    \
                                                              beta, c, ldc, strideC, batchCount);                  \
    }

CARPATHIA_SGEMM_ENTRY(carpathia_sgemm_nn, false, false, false)
CARPATHIA_SGEMM_ENTRY(carpathia_sgemm_nt, false, true, false)
CARPATHIA_SGEMM_ENTRY(carpathia_sgemm_tn, true, false, false)
CARPATHIA_SGEMM_ENTRY(carpathia_sgemm_nn_vec, false, false, true)
CARPATHIA_SGEMM_ENTRY(carpathia_sgemm_nt_vec, false, true, true)
CARPATHIA_SGEMM_ENTRY(carpathia_sgemm_tn_vec, true, false, true)
