// NF4 (4-bit NormalFloat, QLoRA) dequantization and a fused NF4 matrix-vector product, in the bitsandbytes layout:
//
//   packed  uint8[ceil(n / 2)]   element 2i in the high nibble of byte i, element 2i+1 in the low nibble
//   absmax  float[ceil(n / B)]   one scale per block of B consecutive elements of the flattened row-major tensor
//                                (B = 64 in QLoRA; any power of two from 2 up)
//   value   = NF4[code] * absmax[element / B]
//
// With double quantization ("compress_statistics") the scales are themselves 8-bit codes:
//
//   absmax[b] = codebook[absmaxCodes[b]] * absmaxScales[b / B2] + absmaxOffset
//
// with one 256-entry float codebook (bitsandbytes' dynamic map), one float scale per group of B2 = 256 blocks and
// one float offset (the mean that was subtracted before quantizing the scales). Every product and sum is rounded
// on its own (__fmul_rn, __fadd_rn: never fused into an FMA), in the order bitsandbytes computes them, so that the
// values can equal bitsandbytes' bit for bit; the Java reference takes the same steps and the checks require
// equality with it.
//
// The constants are mirrored by io.carpathia.kernels.reference.Nf4Emulation.
#pragma once

#include "common.cuh"

namespace carpathia {
namespace nf4 {

constexpr int THREADS = 256;            // dequantization block
constexpr int GEMV_WARPS = 4;           // matrix-vector product: one warp per row, 4 rows per block
constexpr int ELEMENTS_PER_VECTOR = 32; // one 16-byte load of packed codes

// The 16 NF4 levels: quantiles of N(0, 1) scaled to [-1, 1] (QLoRA, appendix E; bitsandbytes' table).
__device__ const float kLevels[16] = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

// Where a tensor's scales live: plain float absmax, or (absmaxCodes != nullptr) double-quantized.
struct Scales {
    const float* absmax;
    const uint8_t* absmaxCodes;
    const float* codebook;
    const float* absmaxScales;
    float absmaxOffset;
    int log2Block;        // B = 1 << log2Block
    int log2NestedBlock;  // B2 = 1 << log2NestedBlock

    __device__ __forceinline__ float of_element(long long element) const {
        const long long block = element >> log2Block;
        if (absmaxCodes == nullptr) return absmax[block];
        const float scaled = __fmul_rn(codebook[absmaxCodes[block]], absmaxScales[block >> log2NestedBlock]);
        return __fadd_rn(scaled, absmaxOffset);
    }
};

// The table, copied into shared memory by the first 16 threads: 16 words in 16 distinct banks, so any pattern of
// codes across a warp reads without conflicts.
__device__ __forceinline__ void load_levels(float* levels) {
    if (threadIdx.x < 16) levels[threadIdx.x] = kLevels[threadIdx.x];
    __syncthreads();
}

__device__ __forceinline__ int code_of(const uint8_t* packed, long long element) {
    const uint8_t byte = packed[element >> 1];
    return (element & 1) ? (byte & 0x0f) : (byte >> 4);
}

// The 32 codes of one 16-byte vector in element order: byte j of word w holds elements 8w + 2j (high nibble) and
// 8w + 2j + 1 (low nibble); the words are little-endian, so byte j is bits 8j .. 8j+7.
__device__ __forceinline__ int code_in_vector(const Vec16& bytes, int e) {
    const uint32_t byte = (bytes.word[e / 8] >> (8 * ((e % 8) / 2))) & 0xffu;
    return (e & 1) ? static_cast<int>(byte & 0x0fu) : static_cast<int>(byte >> 4);
}

// Grid-stride loop. VECTORISED (the host checks: packed and out 16-byte aligned, B >= 32) turns 16 packed bytes
// into 32 outputs per step; the remaining n % 32 elements, or all of them otherwise, go one per step.
template <bool BF16_OUT>
__device__ __forceinline__ void dequantize(const uint8_t* __restrict__ packed, Scales scales, long long n,
                                           void* __restrict__ out, bool vectorised) {
    __shared__ float levels[16];
    load_levels(levels);

    const long long first = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
    const long long vectors = vectorised ? n / ELEMENTS_PER_VECTOR : 0;

    for (long long v = first; v < vectors; v += stride) {
        const Vec16 bytes = reinterpret_cast<const Vec16*>(packed)[v];
        const long long e0 = v * ELEMENTS_PER_VECTOR;
        const float scale = scales.of_element(e0);  // B >= 32: one block covers the whole vector
        float values[ELEMENTS_PER_VECTOR];
#pragma unroll
        for (int e = 0; e < ELEMENTS_PER_VECTOR; ++e) values[e] = __fmul_rn(levels[code_in_vector(bytes, e)], scale);
        if (BF16_OUT) {
            Vec16* target = reinterpret_cast<Vec16*>(static_cast<uint16_t*>(out) + e0);
#pragma unroll
            for (int q = 0; q < 4; ++q) {
                Vec16 packedOut;
#pragma unroll
                for (int w = 0; w < 4; ++w) {
                    const uint32_t lo = float_to_bf16(values[8 * q + 2 * w]);
                    const uint32_t hi = float_to_bf16(values[8 * q + 2 * w + 1]);
                    packedOut.word[w] = lo | (hi << 16);
                }
                target[q] = packedOut;
            }
        } else {
            float4* target = reinterpret_cast<float4*>(static_cast<float*>(out) + e0);
#pragma unroll
            for (int q = 0; q < 8; ++q) {
                target[q] = make_float4(values[4 * q], values[4 * q + 1], values[4 * q + 2], values[4 * q + 3]);
            }
        }
    }

    for (long long e = vectors * ELEMENTS_PER_VECTOR + first; e < n; e += stride) {
        const float value = __fmul_rn(levels[code_of(packed, e)], scales.of_element(e));
        if (BF16_OUT) {
            static_cast<uint16_t*>(out)[e] = float_to_bf16(value);
        } else {
            static_cast<float*>(out)[e] = value;
        }
    }
}

// y[rows] = W x for an NF4 weight W [rows, cols] (flattened row-major blocks, as bitsandbytes stores nn.Linear
// weights [out, in]) and a float32 x [cols]: the batch-1 step of generation, where reading W is the whole cost, so
// W is dequantized in registers inside the dot product and never written out.
//
// One warp per row. VECTORISED (cols % 32 == 0, B >= 32, packed and x 16-byte aligned) lets lane l take the 16-byte
// vectors l, l + 32, ... of its row; otherwise lane l takes columns l, l + 32, ... one at a time. The 32 partial
// sums are then added in a butterfly (xor 16, 8, 4, 2, 1).
__device__ __forceinline__ void gemv(const uint8_t* __restrict__ packed, Scales scales, int rows, int cols,
                                     const float* __restrict__ x, float* __restrict__ y, bool vectorised) {
    __shared__ float levels[16];
    load_levels(levels);

    const int lane = threadIdx.x % kWarpSize;
    const int row = blockIdx.x * GEMV_WARPS + threadIdx.x / kWarpSize;
    if (row >= rows) return;
    const long long rowStart = static_cast<long long>(row) * cols;

    float sum = 0.0f;
    if (vectorised) {
        const Vec16* rowVectors = reinterpret_cast<const Vec16*>(packed + rowStart / 2);
        const int vectors = cols / ELEMENTS_PER_VECTOR;
        for (int v = lane; v < vectors; v += kWarpSize) {
            const Vec16 bytes = rowVectors[v];
            const float scale = scales.of_element(rowStart + static_cast<long long>(v) * ELEMENTS_PER_VECTOR);
            const float4* xs = reinterpret_cast<const float4*>(x + v * ELEMENTS_PER_VECTOR);
#pragma unroll
            for (int q = 0; q < 8; ++q) {
                const float4 xq = xs[q];
                sum = __fmaf_rn(__fmul_rn(levels[code_in_vector(bytes, 4 * q + 0)], scale), xq.x, sum);
                sum = __fmaf_rn(__fmul_rn(levels[code_in_vector(bytes, 4 * q + 1)], scale), xq.y, sum);
                sum = __fmaf_rn(__fmul_rn(levels[code_in_vector(bytes, 4 * q + 2)], scale), xq.z, sum);
                sum = __fmaf_rn(__fmul_rn(levels[code_in_vector(bytes, 4 * q + 3)], scale), xq.w, sum);
            }
        }
    } else {
        for (int col = lane; col < cols; col += kWarpSize) {
            const long long e = rowStart + col;
            sum = __fmaf_rn(__fmul_rn(levels[code_of(packed, e)], scales.of_element(e)), x[col], sum);
        }
    }
#pragma unroll
    for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
        sum = __fadd_rn(sum, __shfl_xor_sync(0xffffffffu, sum, offset));
    }
    if (lane == 0) y[row] = sum;
}

}  // namespace nf4
}  // namespace carpathia

// Dequantization: any 1-D grid of 256-thread blocks (the host picks enough blocks to fill the device); out is
// float32 or bfloat16. absmax == nullptr selects the double-quantized scales.
#define CARPATHIA_NF4_SCALES                                                                                       \
    carpathia::nf4::Scales { absmax, absmaxCodes, codebook, absmaxScales, absmaxOffset, log2Block, log2NestedBlock }

extern "C" __global__ void __launch_bounds__(carpathia::nf4::THREADS)
        carpathia_nf4_dequantize_f32(const uint8_t* __restrict__ packed, const float* __restrict__ absmax,
                                     const uint8_t* __restrict__ absmaxCodes, const float* __restrict__ codebook,
                                     const float* __restrict__ absmaxScales, float absmaxOffset, int log2Block,
                                     int log2NestedBlock, long long n, float* __restrict__ out, int vectorised) {
    carpathia::nf4::dequantize<false>(packed, CARPATHIA_NF4_SCALES, n, out, vectorised != 0);
}

extern "C" __global__ void __launch_bounds__(carpathia::nf4::THREADS)
        carpathia_nf4_dequantize_bf16(const uint8_t* __restrict__ packed, const float* __restrict__ absmax,
                                      const uint8_t* __restrict__ absmaxCodes, const float* __restrict__ codebook,
                                      const float* __restrict__ absmaxScales, float absmaxOffset, int log2Block,
                                      int log2NestedBlock, long long n, uint16_t* __restrict__ out, int vectorised) {
    carpathia::nf4::dequantize<true>(packed, CARPATHIA_NF4_SCALES, n, out, vectorised != 0);
}

// Matrix-vector product: grid ceil(rows / 4) blocks of 128 threads.
extern "C" __global__ void __launch_bounds__(carpathia::nf4::GEMV_WARPS * carpathia::kWarpSize)
        carpathia_nf4_gemv(const uint8_t* __restrict__ packed, const float* __restrict__ absmax,
                           const uint8_t* __restrict__ absmaxCodes, const float* __restrict__ codebook,
                           const float* __restrict__ absmaxScales, float absmaxOffset, int log2Block,
                           int log2NestedBlock, int rows, int cols, const float* __restrict__ x,
                           float* __restrict__ y, int vectorised) {
    carpathia::nf4::gemv(packed, CARPATHIA_NF4_SCALES, rows, cols, x, y, vectorised != 0);
}
