// Shared helpers of the Carpathia kernels: element loads with bounds, bfloat16 and tf32 conversions.
//
// Every kernel here is reached from Java through the CUDA driver API (cuLaunchKernel), so each entry point is an
// `extern "C"` __global__ function whose name the Java side spells out; the templates behind them are device-only.
// Matrices are row-major with a leading dimension (`ld`, elements between the starts of two rows), as in
// io.carpathia.engine.cpu.Blas.
#pragma once

#include <stdint.h>

namespace carpathia {

constexpr int kWarpSize = 32;

// Blocks of 256 threads the GEMM kernels ask to fit on one multiprocessor. Two caps registers at 128 per thread,
// which ptxas meets for sm_90 with at most 24 bytes spilled; for sm_80 it would spill up to 116 bytes in the inner
// loop, so there one block may take up to 255 registers per thread.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
constexpr int kGemmMinBlocksPerSm = 1;
#else
constexpr int kGemmMinBlocksPerSm = 2;
#endif

// 16 bytes: the widest load one thread issues. Four floats or eight bfloat16 values.
struct alignas(16) Vec16 {
    uint32_t word[4];
};

__device__ __forceinline__ Vec16 zero_vec16() {
    Vec16 v;
    v.word[0] = v.word[1] = v.word[2] = v.word[3] = 0u;
    return v;
}

// bfloat16 is the upper half of a float32: widening is a shift and exact.
__device__ __forceinline__ float bf16_to_float(uint16_t bits) {
    return __uint_as_float(static_cast<uint32_t>(bits) << 16);
}

// float32 -> bfloat16 rounded to nearest, ties to even (what __float2bfloat16 and PyTorch do). A NaN stays a NaN
// (its sign kept, the quiet bit set) instead of rounding into an infinity.
__device__ __forceinline__ uint16_t float_to_bf16(float value) {
    uint32_t bits = __float_as_uint(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x0040u);
    uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<uint16_t>((bits + rounding) >> 16);
}

// float32 -> tf32 (10-bit mantissa, kept in a 32-bit register with the low 13 bits zero), rounded to nearest with
// ties away from zero. The tensor cores would otherwise simply ignore the low 13 bits (truncation).
__device__ __forceinline__ uint32_t float_to_tf32(float value) {
    uint32_t result;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(result) : "f"(value));
    return result;
}

// Loads VEC consecutive elements (row, col .. col + VEC - 1) of a row-major matrix with `rows` rows and `cols`
// columns, zeros where they fall outside it, as 16 bytes. T is float (VEC = 4) or a bfloat16 bit pattern
// (uint16_t, VEC = 8).
//
// VECTORISED: the caller guarantees that the matrix base is 16-byte aligned and that cols, ld and col are multiples
// of VEC, so the VEC elements are either all inside the matrix or all outside and one 16-byte load fetches them.
// Otherwise every element is checked and loaded on its own (any size, any alignment).
template <typename T, bool VECTORISED>
__device__ __forceinline__ Vec16 load_vec16(const T* __restrict__ base, long long ld, int row, int col, int rows,
                                            int cols) {
    constexpr int VEC = 16 / sizeof(T);
    if (VECTORISED) {
        if (row < rows && col < cols) {
            return *reinterpret_cast<const Vec16*>(base + static_cast<long long>(row) * ld + col);
        }
        return zero_vec16();
    }
    Vec16 v = zero_vec16();
    T* elements = reinterpret_cast<T*>(&v);
    if (row < rows) {
        const T* rowStart = base + static_cast<long long>(row) * ld;
#pragma unroll
        for (int j = 0; j < VEC; ++j) {
            if (col + j < cols) elements[j] = rowStart[col + j];
        }
    }
    return v;
}

// The epilogue every matrix product shares: C = alpha * (A B) + beta * C, with C not read when beta == 0 (BLAS
// semantics: a C full of NaN is then simply overwritten). The rounding steps are spelled out (a product, then one
// fused multiply-add) so that the CPU emulation in Java reproduces them bit for bit.
__device__ __forceinline__ float gemm_epilogue(float accumulator, float alpha, float beta, const float* c) {
    float value = __fmul_rn(alpha, accumulator);
    if (beta != 0.0f) value = __fmaf_rn(beta, *c, value);
    return value;
}

// Writes the accumulators of columns col and col + 1 of one row of C through the epilogue, as the tensor-core kernels
// hold them (two adjacent columns per register pair). PAIRS: n, ldc and the batch stride even and C 8-byte aligned, so
// both columns are inside or both outside and one 8-byte access serves them; otherwise each column is checked alone.
template <bool PAIRS>
__device__ __forceinline__ void store_column_pair(float* cRow, int col, int n, const float* r, float alpha,
                                                  float beta) {
    if (PAIRS) {
        if (col < n) {
            float2 old = beta != 0.0f ? *reinterpret_cast<const float2*>(cRow + col) : make_float2(0.f, 0.f);
            float2 out;
            out.x = gemm_epilogue(r[0], alpha, beta, &old.x);
            out.y = gemm_epilogue(r[1], alpha, beta, &old.y);
            *reinterpret_cast<float2*>(cRow + col) = out;
        }
    } else {
        if (col < n) cRow[col] = gemm_epilogue(r[0], alpha, beta, cRow + col);
        if (col + 1 < n) cRow[col + 1] = gemm_epilogue(r[1], alpha, beta, cRow + col + 1);
    }
}

}  // namespace carpathia
